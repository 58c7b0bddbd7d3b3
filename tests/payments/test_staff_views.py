"""Agents: a customer's payments with provider references and allocations,
recording a manual payment, refunding a credit balance with confirmation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.services.ledger import account_balance
from payments.models import Payment, PaymentMethod, Refund
from payments.services.payments import payment_book, payment_external
from tests.accounts.factories import AccountFactory, UserFactory, account_with_mandate, staff_user, with_two_factor
from tests.billing.factories import invoice_issued

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client, settings):
    agent = staff_user("agent@example.com", group="Agents")
    client.force_login(agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _credit(account, amount):
    payment_external(
        account=account,
        amount=Decimal(amount),
        received_on=dt.date(2026, 2, 1),
        reference=f"CREDIT-{account.number}",
        method=PaymentMethod.TRANSFER,
        as_of=dt.date(2026, 2, 1),
    )


def test_the_agent_sees_payments_with_provider_references_and_allocations(agent_client):
    account = AccountFactory()
    invoice = invoice_issued(clear=True, account=account, gross=Decimal("12.00"))
    _credit(account, "12.00")

    response = agent_client.get(reverse("staff_payments:customer", args=[account.customer_id]))

    page = response.content.decode()
    assert response.status_code == 200
    assert invoice.number in page
    assert f"CREDIT-{account.number}" in page
    assert "api" in page


def test_the_agent_records_a_cash_payment_and_it_settles_the_bill(agent_client):
    account = AccountFactory()
    invoice = invoice_issued(clear=True, account=account, gross=Decimal("12.00"))

    response = agent_client.post(
        reverse("staff_payments:record", args=[account.pk]),
        {"amount": "12,00", "method": "CASH", "received_on": "2026-02-01", "invoice": invoice.pk},
    )

    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.created_by.email) == (Decimal("12.00"), "CASH", "agent@example.com")
    assert account_balance(account=account) == Decimal("0.00")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "abc", "method": "CASH", "received_on": "2026-02-01"}, "Enter an amount in euros, e.g. 49.90."),
        ({"amount": "0", "method": "CASH", "received_on": "2026-02-01"}, "Ensure this value is greater than or equal"),
        ({"amount": "5", "method": "CARD", "received_on": "2026-02-01"}, "Select a valid choice."),
        ({"amount": "5", "method": "CASH", "received_on": "2999-01-01"}, "cannot be received in the future"),
    ],
)
def test_a_bad_manual_payment_shows_the_message_and_saves_nothing(agent_client, data, message):
    account = AccountFactory()

    response = agent_client.post(reverse("staff_payments:record", args=[account.pk]), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Payment.objects.exists()


def test_a_refund_to_the_iban_on_file_asks_for_confirmation_first(agent_client):
    account = account_with_mandate()
    _credit(account, "40.00")
    url = reverse("staff_payments:refund", args=[account.pk])
    data = {"amount": "15.00", "method": Refund.Method.SEPA_TRANSFER, "reason": "Customer asked"}

    check = agent_client.post(url, data)
    assert "Confirm the refund" in check.content.decode()
    assert not Refund.objects.exists()

    done = agent_client.post(url, {**data, "confirm": "yes"})

    assert done.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.iban) == (Decimal("15.00"), "PENDING", account.mandates.get().iban)
    assert account_balance(account=account) == Decimal("-25.00")


def test_a_refund_above_the_credit_is_refused_with_a_message(agent_client):
    account = account_with_mandate()
    _credit(account, "10.00")

    response = agent_client.post(
        reverse("staff_payments:refund", args=[account.pk]),
        {"amount": "10.01", "method": Refund.Method.SEPA_TRANSFER, "confirm": "yes"},
    )

    assert "may not exceed the credit balance" in response.content.decode()
    assert not Refund.objects.exists()


def test_a_card_refund_goes_back_through_the_sandbox(agent_client, settings):
    settings.STRIPE_SECRET_KEY = ""
    account = AccountFactory()
    payment = Payment.objects.create(
        account=account,
        amount=Decimal("30.00"),
        method=PaymentMethod.CARD,
        provider="sandbox",
        provider_ref="sandbox_pay_x",
        source="CHECKOUT",
        received_on=dt.date(2026, 2, 1),
    )
    payment_book(payment=payment, as_of=dt.date(2026, 2, 1))

    agent_client.post(
        reverse("staff_payments:refund", args=[account.pk]),
        {"amount": "30.00", "method": Refund.Method.CARD, "payment": payment.pk, "confirm": "yes"},
    )

    refund = Refund.objects.get()
    assert refund.status == Refund.Status.SUCCEEDED
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert account_balance(account=account) == Decimal("0.00")


def test_staff_without_payment_permissions_get_403_and_customers_are_sent_away(client):
    account = AccountFactory()
    viewer = UserFactory(email="viewer@example.com", is_staff=True)
    with_two_factor(viewer)
    client.force_login(viewer)

    for url in (
        reverse("staff_payments:customer", args=[account.customer_id]),
        reverse("staff_payments:record", args=[account.pk]),
        reverse("staff_payments:refund", args=[account.pk]),
    ):
        assert client.get(url).status_code == 403
    client.force_login(account.customer.user)
    assert client.get(reverse("staff_payments:customer", args=[account.customer_id])).status_code == 403
