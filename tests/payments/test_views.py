"""The customer's payment pages with the sandbox provider: pay a bill end to
end, a failed payment, the history with its filters and files, and privacy."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from billing.services.ledger import account_balance
from payments.models import CheckoutSession, Payment, PaymentMethod
from payments.services.payments import payment_external
from tests.accounts.factories import AccountFactory
from tests.billing.factories import invoice_issued

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_stripe(settings):
    settings.STRIPE_SECRET_KEY = ""


@pytest.fixture
def account():
    return AccountFactory()


@pytest.fixture
def customer_client(client, account, settings):
    client.force_login(account.customer.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _start(customer_client, account, **data):
    page = customer_client.get(reverse("payments:pay"), {"account": account.number})
    token = page.context["form"]["token"].value()
    return customer_client.post(reverse("payments:pay"), {"account": account.number, "token": token, **data})


def test_paying_a_bill_in_the_sandbox_books_and_allocates_it_and_the_history_shows_it(customer_client, account):
    first = invoice_issued(clear=True, account=account, gross=Decimal("40.00"), issue_date=dt.date(2026, 1, 5))
    second = invoice_issued(clear=True, account=account, gross=Decimal("60.00"), issue_date=dt.date(2026, 2, 5))

    response = _start(customer_client, account, scope="selected", invoices=[str(second.pk)])

    checkout = CheckoutSession.objects.get()
    assert checkout.amount == Decimal("60.00")
    assert response.status_code == 302
    assert response["Location"].endswith(reverse("payments:sandbox", args=[checkout.pk]))
    page = customer_client.get(reverse("payments:sandbox", args=[checkout.pk]))
    assert "Sandbox – no real money" in page.content.decode()

    done = customer_client.post(reverse("payments:sandbox", args=[checkout.pk]), {"action": "pay"}, follow=True)

    assert "We received your payment" in done.content.decode()
    payment = Payment.objects.get()
    assert (payment.status, payment.invoice, payment.provider) == ("SUCCEEDED", second, "sandbox")
    assert account_balance(account=account) == Decimal("40.00")
    history = customer_client.get(reverse("payments:history")).content.decode()
    assert second.number in history
    assert first.number not in history.split("payment-history")[1]


def test_a_failed_sandbox_payment_shows_a_message_and_books_nothing(customer_client, account):
    invoice_issued(clear=True, account=account, gross=Decimal("40.00"))
    _start(customer_client, account, scope="balance")
    checkout = CheckoutSession.objects.get()

    response = customer_client.post(reverse("payments:sandbox", args=[checkout.pk]), {"action": "fail"}, follow=True)

    assert "The payment failed" in response.content.decode()
    assert not Payment.objects.exists()
    assert account_balance(account=account) == Decimal("40.00")
    checkout.refresh_from_db()
    assert checkout.status == CheckoutSession.Status.FAILED


def test_pressing_pay_twice_books_once(customer_client, account):
    invoice_issued(clear=True, account=account, gross=Decimal("40.00"))
    _start(customer_client, account, scope="balance")
    checkout = CheckoutSession.objects.get()
    url = reverse("payments:sandbox", args=[checkout.pk])

    customer_client.post(url, {"action": "pay"})
    customer_client.post(url, {"action": "pay"})

    assert Payment.objects.count() == 1
    assert account_balance(account=account) == Decimal("0.00")


def test_sending_the_pay_form_twice_starts_one_checkout(customer_client, account):
    invoice_issued(clear=True, account=account, gross=Decimal("40.00"))
    page = customer_client.get(reverse("payments:pay"))
    data = {"account": account.number, "token": page.context["form"]["token"].value(), "scope": "balance"}

    customer_client.post(reverse("payments:pay"), data)
    customer_client.post(reverse("payments:pay"), data)

    assert CheckoutSession.objects.count() == 1


def test_choosing_no_bill_asks_for_one(customer_client, account):
    invoice_issued(clear=True, account=account, gross=Decimal("40.00"))

    response = _start(customer_client, account, scope="selected")

    assert "Choose at least one bill" in response.content.decode()
    assert not CheckoutSession.objects.exists()


def test_nothing_to_pay_offers_no_form(customer_client, account):
    response = customer_client.get(reverse("payments:pay"))

    assert "Nothing to pay right now." in response.content.decode()
    assert not CheckoutSession.objects.exists()


def test_another_customers_pages_are_404(customer_client, account):
    other = AccountFactory()
    invoice_issued(clear=True, account=other, gross=Decimal("40.00"))
    other_checkout = CheckoutSession.objects.create(
        account=other, provider="sandbox", amount=Decimal("40.00"), idempotency_key="other"
    )

    assert customer_client.get(reverse("payments:pay"), {"account": other.number}).status_code == 404
    for name in ("payments:sandbox", "payments:checkout_done", "payments:checkout_cancelled"):
        assert customer_client.get(reverse(name, args=[other_checkout.pk])).status_code == 404
    response = customer_client.post(reverse("payments:sandbox", args=[other_checkout.pk]), {"action": "pay"})
    assert response.status_code == 404
    assert not Payment.objects.exists()


def test_the_history_shows_only_the_customers_own_payments_and_filters_by_year(customer_client, account):
    other = AccountFactory()
    for who, day, reference in [
        (account, dt.date(2025, 6, 1), "OWN-2025"),
        (account, dt.date(2026, 2, 1), "OWN-2026"),
        (other, dt.date(2026, 2, 1), "OTHER-2026"),
    ]:
        payment_external(
            account=who,
            amount=Decimal("10.00"),
            received_on=day,
            reference=reference,
            method=PaymentMethod.TRANSFER,
            as_of=dt.date(2026, 3, 1),
        )

    everything = customer_client.get(reverse("payments:history")).content.decode()
    only_2026 = customer_client.get(reverse("payments:history"), {"year": "2026"}).content.decode()

    assert "OWN-2025" in everything and "OWN-2026" in everything and "OTHER-2026" not in everything
    assert "OWN-2026" in only_2026 and "OWN-2025" not in only_2026


def test_the_history_downloads_as_csv_and_pdf(customer_client, account):
    invoice = invoice_issued(clear=True, account=account, gross=Decimal("10.00"))
    payment_external(
        account=account,
        amount=Decimal("10.00"),
        received_on=dt.date(2026, 2, 1),
        reference="CSV-1",
        method=PaymentMethod.TRANSFER,
        as_of=dt.date(2026, 3, 1),
    )

    csv_response = customer_client.get(reverse("payments:history_csv"), {"year": "2026"})
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)):
        pdf_response = customer_client.get(reverse("payments:history_pdf"))

    lines = csv_response.content.decode().splitlines()
    assert lines[0] == "date;account_number;amount;currency;method;status;reference;invoices_paid;refunded"
    assert lines[1].startswith(f"2026-02-01;{account.number};10.00;EUR;")
    assert f"{invoice.number}:10.00" in lines[1]
    assert pdf_response["Content-Type"] == "application/pdf"
    assert pdf_response.content.startswith(b"%PDF")


def test_the_history_list_needs_a_fixed_number_of_queries(customer_client, account, django_assert_max_num_queries):
    def add_payments(count, start):
        for index in range(count):
            invoice_issued(clear=True, account=account, gross=Decimal("5.00"))
            payment_external(
                account=account,
                amount=Decimal("5.00"),
                received_on=dt.date(2026, 1, 1),
                reference=f"Q-{start + index}",
                method=PaymentMethod.TRANSFER,
                as_of=dt.date(2026, 3, 1),
            )

    add_payments(2, 0)
    with django_assert_max_num_queries(30) as few:
        customer_client.get(reverse("payments:history"))
    add_payments(10, 100)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = customer_client.get(reverse("payments:history"))

    assert response.content.decode().count('data-testid="payment-row"') == 12


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("payments:history"))

    assert response.status_code == 302
    assert "login" in response["Location"]
