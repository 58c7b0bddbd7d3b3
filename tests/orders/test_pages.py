"""The customer's order pages: the catalogue (agent-only items hidden,
quote-only items ask for a quote), ordering in two steps (the quote saves
nothing; confirming issues the invoice once, however often the form is
sent), the express request inside the withdrawal period, bad input, the
order with its invoice and "Pay now" or the direct-debit date, cancelling
after a confirmation page with the credit note shown, "My orders", the
dashboard card, and privacy: another customer's order is 404."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from billing.models import Invoice
from meters.models import Utility
from orders.models import Order, Product
from tests.accounts.factories import AccountFactory, SepaMandateFactory
from tests.orders.factories import order_made, product_make, slot_make
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 1)
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agreement():
    return supplied(start_date=dt.date(2027, 1, 1), language="en")


@pytest.fixture
def account(agreement):
    return agreement.account


@pytest.fixture
def visit():
    """A technician visit: an appointment at least two days ahead, cancellable until 24 hours before."""
    return product_make("VISIT_TEST", needs_appointment=True, lead_time_days=2, position=0)


@pytest.fixture
def slot(visit):
    return slot_make(visit, starts_at=NOW + dt.timedelta(days=20))


def signed_in(client, account, language="en"):
    client.force_login(account.customer.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def text(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def form_values(account, *, quantity="1", slot=None, supply="", key="key-1", action="quote", **extra):
    values = {"account": account.number, "supply": supply, "quantity": quantity, "key": key, "action": action}
    if slot is not None:
        values["slot"] = str(slot.pk)
    values.update(extra)
    return values


# --- The catalogue ---------------------------------------------------------------------------------------------


def test_the_catalogue_shows_what_the_customer_may_order_with_the_gross_price(client, account, visit):
    product_make("AGENT_ONLY", ordered_by=Product.OrderedBy.AGENT)
    product_make("GAS_ONLY", utility=Utility.GAS)
    product_make("ASK_US", quote_only=True)

    page = text(signed_in(client, account).get(reverse("orders:catalogue")))

    assert 'data-testid="order-VISIT_TEST"' in page
    assert "€89.25" in page  # 75.00 net + 19 % VAT
    assert "AGENT_ONLY" not in page
    assert "GAS_ONLY" not in page  # the customer has no gas supply
    assert 'data-testid="order-ASK_US"' not in page
    assert 'data-testid="quote-ASK_US"' in page
    assert reverse("support:ticket_new") + "?kind=INQUIRY" in page


def test_an_agent_only_item_cannot_be_opened_by_a_customer(client, account):
    product_make("AGENT_ONLY", ordered_by=Product.OrderedBy.AGENT)

    response = signed_in(client, account).get(reverse("orders:new", args=["AGENT_ONLY"]))

    assert response.status_code == 404


def test_a_quote_only_item_asks_for_a_quote_and_cannot_be_confirmed(client, account):
    product_make("ASK_US", quote_only=True)
    client = signed_in(client, account)

    page = text(client.get(reverse("orders:new", args=["ASK_US"])))
    client.post(reverse("orders:new", args=["ASK_US"]), form_values(account, action="confirm"))

    assert 'data-testid="quote-only"' in page
    assert not Order.objects.exists()


# --- Ordering ----------------------------------------------------------------------------------------------------


def test_the_order_page_offers_only_free_slots_after_the_lead_time(client, account, visit, slot):
    too_soon = slot_make(visit, starts_at=NOW + dt.timedelta(days=1))
    full = slot_make(visit, starts_at=NOW + dt.timedelta(days=21))
    order_made(AccountFactory(), visit, as_of=TODAY, slot=full, key="other")

    page = text(signed_in(client, account).get(reverse("orders:new", args=["VISIT_TEST"])))

    assert f'value="{slot.pk}"' in page
    assert f'value="{too_soon.pk}"' not in page
    assert f'value="{full.pk}"' not in page


def test_the_quote_shows_the_amounts_and_terms_and_saves_nothing(client, account, visit, slot):
    response = signed_in(client, account).post(
        reverse("orders:new", args=["VISIT_TEST"]), form_values(account, quantity="3", slot=slot)
    )

    page = text(response)
    assert 'data-testid="quote-net">€225.00' in page
    assert 'data-testid="quote-vat">€42.75' in page
    assert 'data-testid="quote-gross">€267.75' in page
    assert "You can cancel free of charge until 24 hours before the appointment." in page
    assert "withdraw from this contract within 14 days" in page
    assert 'name="key" value="key-1"' in page
    assert not Order.objects.exists()
    assert not Invoice.objects.filter(kind=Invoice.Kind.ORDER).exists()


def test_confirming_issues_the_invoice_once_however_often_the_form_is_sent(client, account, visit, slot):
    client = signed_in(client, account)
    url = reverse("orders:new", args=["VISIT_TEST"])
    values = form_values(account, quantity="2", slot=slot, action="confirm")

    first = client.post(url, values)
    second = client.post(url, values)

    order = Order.objects.get()
    assert first["Location"] == second["Location"] == reverse("orders:order", args=[order.pk])
    assert (order.status, order.channel) == (Order.Status.CONFIRMED, Order.Channel.PORTAL)
    assert order.lines.get().quantity == 2
    assert order.slot == slot
    assert order.created_by == account.customer.user
    assert order.gross_total == Decimal("178.50")
    assert Invoice.objects.filter(kind=Invoice.Kind.ORDER).count() == 1


def test_the_confirmed_order_shows_its_invoice_and_pay_now(client, account, visit, slot):
    client = signed_in(client, account)
    response = client.post(
        reverse("orders:new", args=["VISIT_TEST"]), form_values(account, slot=slot, action="confirm"), follow=True
    )

    page = text(response)
    order = Order.objects.get()
    assert order.invoice.number in page
    assert reverse("bills:pdf", args=[order.invoice.pk]) in page
    assert 'data-testid="pay-now"' in page
    assert f'name="invoices" value="{order.invoice.pk}"' in page
    assert "Thank you for your order" in page


def test_a_direct_debit_account_sees_the_collection_date_instead_of_pay_now(client, visit, slot):
    account = supplied(
        start_date=dt.date(2027, 1, 1), account=AccountFactory(payment_method="SEPA", customer__language="en")
    ).account
    SepaMandateFactory(account=account)
    client = signed_in(client, account)

    page = text(
        client.post(
            reverse("orders:new", args=["VISIT_TEST"]),
            form_values(account, slot=slot, action="confirm"),
            follow=True,
        )
    )

    assert 'data-testid="direct-debit"' in page
    assert "by SEPA direct debit on" in page
    assert 'data-testid="pay-now"' not in page


def test_an_appointment_inside_the_withdrawal_period_needs_the_express_request(client, account, visit):
    soon = slot_make(visit, starts_at=NOW + dt.timedelta(days=5))
    client = signed_in(client, account)
    url = reverse("orders:new", args=["VISIT_TEST"])

    refused = text(client.post(url, form_values(account, slot=soon, action="confirm")))
    assert not Order.objects.exists()
    assert "tick the box to ask us to come then" in refused

    client.post(url, form_values(account, slot=soon, action="confirm", express_start="on"))
    assert Order.objects.get().express_start is True


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "The quantity must be a whole number from 1 to 99."),
        ("100", "The quantity must be a whole number from 1 to 99."),
        ("abc", "Enter the quantity as a whole number."),
        ("", "Enter how many you want (1 to 99)."),
    ],
)
def test_a_bad_quantity_is_refused_and_nothing_is_saved(client, account, visit, slot, quantity, message):
    response = signed_in(client, account).post(
        reverse("orders:new", args=["VISIT_TEST"]), form_values(account, quantity=quantity, slot=slot, action="confirm")
    )

    assert message in text(response)
    assert not Order.objects.exists()


def test_a_missing_or_foreign_slot_is_refused(client, account, visit):
    other = product_make("OTHER", needs_appointment=True)
    foreign = slot_make(other, starts_at=NOW + dt.timedelta(days=20))
    client = signed_in(client, account)
    url = reverse("orders:new", args=["VISIT_TEST"])

    missing = text(client.post(url, form_values(account, action="confirm")))
    wrong = text(client.post(url, form_values(account, slot=foreign, action="confirm")))

    assert "Choose an appointment." in missing
    assert "This appointment is no longer free; please choose another." in wrong
    assert not Order.objects.exists()


def test_another_customers_supply_or_account_is_refused(client, account, visit, slot):
    stranger = supplied(2, start_date=dt.date(2027, 1, 1))
    client = signed_in(client, account)
    url = reverse("orders:new", args=["VISIT_TEST"])

    foreign_supply = text(
        client.post(url, form_values(account, slot=slot, supply=str(stranger.supply_point_id), action="confirm"))
    )
    foreign_account = text(
        client.post(url, form_values(stranger.account, slot=slot, action="confirm")),
    )

    assert "Choose one of the supplies shown." in foreign_supply
    assert "Choose one of your accounts." in foreign_account
    assert not Order.objects.exists()


def test_an_item_for_a_utility_needs_that_supply(client, account, agreement):
    product_make("SMART", utility=Utility.ELECTRICITY)
    client = signed_in(client, account)
    url = reverse("orders:new", args=["SMART"])

    without = text(client.post(url, form_values(account, action="confirm")))
    assert "Choose the supply this item is for." in without
    assert not Order.objects.exists()

    client.post(url, form_values(account, supply=str(agreement.supply_point_id), action="confirm"))
    assert Order.objects.get().supply_point == agreement.supply_point


# --- An order, and cancelling it ---------------------------------------------------------------------------------


def test_another_customers_order_is_404(client, account, visit, slot):
    order = order_made(AccountFactory(), visit, as_of=TODAY, slot=slot)
    client = signed_in(client, account)

    assert client.get(reverse("orders:order", args=[order.pk])).status_code == 404
    assert client.get(reverse("orders:cancel", args=[order.pk])).status_code == 404
    assert client.post(reverse("orders:cancel", args=[order.pk])).status_code == 404
    assert client.post(reverse("orders:confirm", args=[order.pk])).status_code == 404
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


def test_cancelling_asks_first_then_credits_the_invoice(client, account, visit, slot):
    order = order_made(account, visit, as_of=TODAY, slot=slot)
    client = signed_in(client, account)

    confirm_page = text(client.get(reverse("orders:cancel", args=[order.pk])))
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert order.invoice.number in confirm_page

    page = text(client.post(reverse("orders:cancel", args=[order.pk]), {"reason": "Not needed"}, follow=True))

    order.refresh_from_db()
    note = Invoice.objects.get(cancels=order.invoice, kind=Invoice.Kind.CREDIT_NOTE)
    assert (order.status, order.cancel_reason) == (Order.Status.CANCELLED, "Not needed")
    assert 'data-testid="credit-note"' in page
    assert note.number in page
    assert note.number in text(client.get(reverse("orders:list")))


def test_an_order_past_its_cancellation_deadline_cannot_be_cancelled(client, account, visit):
    soon = slot_make(visit, starts_at=NOW + dt.timedelta(days=3))
    order = order_made(account, visit, as_of=TODAY, slot=soon)
    client = signed_in(client, account)

    with time_machine.travel(NOW + dt.timedelta(days=2, hours=12), tick=False):
        page = text(client.get(reverse("orders:order", args=[order.pk])))
        response = client.post(reverse("orders:cancel", args=[order.pk]))

    assert 'data-testid="cancel-refused"' in page
    assert 'data-testid="cancel-order"' not in page
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


def test_a_quote_from_the_app_is_confirmed_on_its_page(client, account, visit, slot):
    order = order_made(account, visit, as_of=TODAY, slot=slot, confirm=False)
    client = signed_in(client, account)

    assert 'data-testid="confirm-form"' in text(client.get(reverse("orders:order", args=[order.pk])))
    client.post(reverse("orders:confirm", args=[order.pk]))
    client.post(reverse("orders:confirm", args=[order.pk]))

    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert Invoice.objects.filter(kind=Invoice.Kind.ORDER).count() == 1


# --- My orders, dashboard, navigation ------------------------------------------------------------------------------


def test_my_orders_lists_only_the_customers_orders_in_few_queries(
    client, account, visit, django_assert_max_num_queries
):
    for n in range(6):
        order_made(
            account, visit, as_of=TODAY, slot=slot_make(visit, starts_at=NOW + dt.timedelta(days=20 + n)), key=f"k{n}"
        )
    foreign = order_made(AccountFactory(), visit, as_of=TODAY, key="foreign")
    client = signed_in(client, account)
    client.get(reverse("orders:list"))

    with django_assert_max_num_queries(12):
        page = text(client.get(reverse("orders:list")))

    assert page.count('data-testid="order-row"') == 6
    assert reverse("orders:order", args=[foreign.pk]) not in page


def test_the_dashboard_and_navigation_lead_to_the_orders(client, account, visit, slot):
    order_made(account, visit, as_of=TODAY, slot=slot)

    page = text(signed_in(client, account).get(reverse("home")))

    assert 'data-testid="dashboard-orders"' in page
    assert "Service VISIT_TEST" in page
    assert reverse("orders:list") in page
    assert reverse("orders:catalogue") in page
