"""The back-office order pages: access by permission, the queue with its
filters (new, scheduled, due today, overdue) and counts in few queries, an
order scheduled (the customer is told), completed or cancelled after a
confirmation page (late only with the fee), ordering for a caller (agent-only
items too, the channel recorded), and the orders tab of the customer page."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from billing.models import Invoice
from core.models import OutboxMessage
from orders.models import Order, Product
from orders.services import order_schedule
from tests.accounts.factories import AccountFactory, staff_user
from tests.orders.factories import order_made, product_make, slot_make
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 1)
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def agent_client():
    return signed_in(staff_user(email="agent@example.com", group="Agents"))


@pytest.fixture
def account():
    return supplied(start_date=dt.date(2027, 1, 1), language="en").account


@pytest.fixture
def visit():
    product_make("LATE_FEE_TEST", ordered_by=Product.OrderedBy.AGENT, cancellable=False)
    return product_make(
        "VISIT_TEST",
        needs_appointment=True,
        lead_time_days=2,
        late_cancellation_fee=Product.objects.get(code="LATE_FEE_TEST"),
    )


def at(days: float, hour: int = 9) -> dt.datetime:
    return NOW.replace(hour=hour) + dt.timedelta(days=days)


def text(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


# --- Access -------------------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("staff_orders:queue"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_customers_may_not_enter_the_order_back_office(client, account, visit):
    order = order_made(account, visit, as_of=TODAY)
    client.force_login(account.customer.user)

    assert client.get(reverse("staff_orders:queue")).status_code == 403
    assert client.get(reverse("staff_orders:order", args=[order.pk])).status_code == 403
    assert client.post(reverse("staff_orders:complete", args=[order.pk])).status_code == 403


def test_staff_without_the_order_permissions_are_refused(account, visit):
    order = order_made(account, visit, as_of=TODAY)
    client = signed_in(staff_user(email="nobody@example.com", group=""))

    assert client.get(reverse("staff_orders:queue")).status_code == 403
    assert client.post(reverse("staff_orders:complete", args=[order.pk])).status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


# --- The queue ------------------------------------------------------------------------------------------------------


def test_the_queue_filters_new_scheduled_due_today_and_overdue(agent_client, account, visit):
    new = order_made(account, visit, as_of=TODAY, key="new", slot=slot_make(visit, starts_at=at(10)))
    scheduled = order_made(account, visit, as_of=TODAY, key="scheduled")
    order_made(AccountFactory(), visit, as_of=TODAY, key="done", confirm=False)
    with time_machine.travel(at(-5), tick=False):
        past = slot_make(visit, starts_at=at(-1))
        overdue = order_made(account, visit, as_of=TODAY - dt.timedelta(days=5), key="overdue", slot=past)
        today = order_made(
            account, visit, as_of=TODAY - dt.timedelta(days=5), key="today", slot=slot_make(visit, starts_at=at(0, 14))
        )
    scheduled_slot = slot_make(visit, starts_at=at(12))
    order_schedule(order=scheduled, slot=scheduled_slot, by=None)

    def shown(key):
        page = text(agent_client.get(reverse("staff_orders:queue"), {"filter": key}))
        return {
            order.pk for order in (new, scheduled, overdue, today) if f'data-testid="queue-order-{order.pk}"' in page
        }

    assert shown("new") == {new.pk, overdue.pk, today.pk}
    assert shown("scheduled") == {scheduled.pk}
    assert shown("today") == {today.pk}
    assert shown("overdue") == {overdue.pk}
    assert shown("all") == {new.pk, scheduled.pk, overdue.pk, today.pk}


def test_the_queue_needs_few_queries_for_a_full_page(agent_client, visit, django_assert_max_num_queries):
    for n in range(12):
        order_made(AccountFactory(), visit, as_of=TODAY, key=f"k{n}", slot=slot_make(visit, starts_at=at(10 + n)))
    agent_client.get(reverse("staff_orders:queue"))

    with django_assert_max_num_queries(14):
        page = text(agent_client.get(reverse("staff_orders:queue")))

    assert page.count('data-testid="queue-order-') == 12
    assert 'data-testid="new-orders-count">12<' in page


def test_the_queue_pages_through_many_orders(agent_client, visit):
    for n in range(51):
        order_made(AccountFactory(), visit, as_of=TODAY, key=f"k{n}")

    first = text(agent_client.get(reverse("staff_orders:queue")))
    second = text(agent_client.get(reverse("staff_orders:queue"), {"filter": "new", "page": 2}))

    assert first.count('data-testid="queue-order-') == 50
    assert "?filter=new&amp;page=2" in first
    assert second.count('data-testid="queue-order-') == 1


# --- One order ------------------------------------------------------------------------------------------------------


def test_scheduling_moves_the_appointment_and_tells_the_customer(agent_client, account, visit):
    order = order_made(account, visit, as_of=TODAY, slot=slot_make(visit, starts_at=at(10)))
    later = slot_make(visit, starts_at=at(11))
    page = text(agent_client.get(reverse("staff_orders:order", args=[order.pk])))
    assert 'data-testid="schedule-form"' in page

    response = agent_client.post(reverse("staff_orders:schedule", args=[order.pk]), {"slot": str(later.pk)})

    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.slot) == (Order.Status.SCHEDULED, later)
    assert OutboxMessage.objects.filter(template="order_scheduled", to_address=account.customer.email).exists()


def test_a_slot_that_is_not_offered_is_refused(agent_client, account, visit):
    order = order_made(account, visit, as_of=TODAY)
    other = slot_make(product_make("OTHER", needs_appointment=True), starts_at=at(10))

    page = text(agent_client.post(reverse("staff_orders:schedule", args=[order.pk]), {"slot": str(other.pk)}))

    assert "This appointment is no longer free; please choose another." in page
    order.refresh_from_db()
    assert (order.status, order.slot) == (Order.Status.CONFIRMED, None)


def test_completing_an_order(agent_client, account, visit):
    order = order_made(account, visit, as_of=TODAY)

    agent_client.post(reverse("staff_orders:complete", args=[order.pk]))

    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert order.completed_by.email == "agent@example.com"


def test_cancelling_asks_first_and_then_credits_the_invoice(agent_client, account, visit):
    order = order_made(account, visit, as_of=TODAY, slot=slot_make(visit, starts_at=at(10)))

    text(agent_client.get(reverse("staff_orders:cancel", args=[order.pk])))
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    agent_client.post(reverse("staff_orders:cancel", args=[order.pk]), {"reason": "Customer called"})

    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (Order.Status.CANCELLED, "Customer called")
    assert Invoice.objects.filter(cancels=order.invoice, kind=Invoice.Kind.CREDIT_NOTE).exists()


def test_a_late_cancellation_needs_the_fee_ticked_and_charges_it_as_a_new_order(agent_client, account, visit):
    order = order_made(account, visit, as_of=TODAY, slot=slot_make(visit, starts_at=at(3)))
    url = reverse("staff_orders:cancel", args=[order.pk])

    with time_machine.travel(at(2, 12), tick=False):
        page = text(agent_client.get(url))
        refused = text(agent_client.post(url, {"reason": "Too late"}))
        order.refresh_from_db()
        assert order.status == Order.Status.CONFIRMED
        agent_client.post(url, {"reason": "Too late", "charge_late_fee": "on"})

    assert 'data-testid="late"' in page
    assert "could be cancelled free of charge until" in refused
    order.refresh_from_db()
    fee = Order.objects.get(fee_for=order)
    assert order.status == Order.Status.CANCELLED
    assert (fee.product.code, fee.status, fee.channel) == ("LATE_FEE_TEST", Order.Status.CONFIRMED, "AGENT")


# --- Ordering for a caller and the customer page ---------------------------------------------------------------------


def test_an_agent_orders_an_agent_only_item_for_a_caller(agent_client, account):
    product_make("AGENT_ONLY", ordered_by=Product.OrderedBy.AGENT)
    customer = account.customer
    catalogue = text(agent_client.get(reverse("staff_orders:catalogue", args=[customer.pk])))
    assert 'data-testid="staff-order-AGENT_ONLY"' in catalogue
    url = reverse("staff_orders:new", args=[customer.pk, "AGENT_ONLY"])
    values = {"account": account.number, "supply": "", "quantity": "2", "key": "phone-1", "note": "On the phone"}

    quote = text(agent_client.post(url, {**values, "action": "quote"}))
    assert 'data-testid="quote-gross">€178.50' in quote
    assert not Order.objects.exists()
    agent_client.post(url, {**values, "action": "confirm"})
    agent_client.post(url, {**values, "action": "confirm"})

    order = Order.objects.get()
    assert (order.channel, order.status, order.note) == (Order.Channel.AGENT, Order.Status.CONFIRMED, "On the phone")
    assert order.created_by.email == "agent@example.com"
    assert order.invoice is not None


def test_an_agent_prices_a_quote_only_item(agent_client, account):
    product_make("ASK_US", quote_only=True)
    url = reverse("staff_orders:new", args=[account.customer.pk, "ASK_US"])
    values = {"account": account.number, "supply": "", "quantity": "1", "key": "q-1", "action": "confirm"}

    missing = text(agent_client.post(url, values))
    assert "Enter the price agreed in the quote." in missing
    assert not Order.objects.exists()
    agent_client.post(url, {**values, "unit_price": "1200,00"})

    assert Order.objects.get().net_total == 1200


def test_the_customer_page_has_an_orders_tab(agent_client, account, visit):
    order = order_made(account, visit, as_of=TODAY)
    order_made(AccountFactory(), visit, as_of=TODAY, key="other")

    page = text(
        agent_client.get(reverse("staff:customer", args=[account.customer.pk]), {"tab": "orders"}),
    )

    assert 'data-testid="staff-orders-tab"' in page
    assert 'data-testid="customer-orders"' in page
    assert reverse("staff_orders:order", args=[order.pk]) in page
    assert page.count(reverse("staff_orders:order", args=[order.pk])) == 1
    assert reverse("staff_orders:catalogue", args=[account.customer.pk]) in page


def test_an_agent_agrees_to_the_customers_chosen_appointment(agent_client, account, visit):
    chosen = slot_make(visit, starts_at=at(10))
    order = order_made(account, visit, as_of=TODAY, slot=chosen)

    page = text(agent_client.get(reverse("staff_orders:order", args=[order.pk])))
    agent_client.post(reverse("staff_orders:schedule", args=[order.pk]), {"slot": str(chosen.pk)})

    assert f'value="{chosen.pk}"' in page
    order.refresh_from_db()
    assert (order.status, order.slot) == (Order.Status.SCHEDULED, chosen)
