"""A checkout for a named amount (the arrears page pays exactly what it
shows): more than zero, in cents and at most the balance; the bills named
are settled first."""

import datetime as dt
from decimal import Decimal

import pytest

from payments.models import CheckoutSession
from payments.services.online import CheckoutRefused, checkout_start
from tests.accounts.factories import AccountFactory
from tests.billing.factories import invoice_issued

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def sandbox(settings):
    settings.STRIPE_SECRET_KEY = ""


def start(account, amount, invoices=(), key="k-1"):
    return checkout_start(
        account=account,
        invoices=list(invoices),
        created_by=None,
        idempotency_key=key,
        as_of=TODAY,
        amount=amount,
    )


def test_a_named_amount_is_what_the_checkout_asks_for():
    account = AccountFactory()
    invoice = invoice_issued(account, gross=Decimal("100.00"))
    invoice_issued(account, gross=Decimal("50.00"))

    checkout = start(account, Decimal("101.50"), invoices=[invoice])

    assert checkout.amount == Decimal("101.50")
    assert list(checkout.invoices.all()) == [invoice]
    assert checkout.url


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("0.00"), "nothing to pay"),
        (Decimal("-5.00"), "nothing to pay"),
        (Decimal("10.005"), "whole cents"),
        (Decimal("150.01"), "at most the balance of 150.00 EUR"),
    ],
)
def test_a_named_amount_outside_the_balance_is_refused(amount, message):
    account = AccountFactory()
    invoice_issued(account, gross=Decimal("100.00"))
    invoice_issued(account, gross=Decimal("50.00"))

    with pytest.raises(CheckoutRefused, match=message):
        start(account, amount)

    assert not CheckoutSession.objects.exists()


def test_without_an_amount_the_callers_get_what_they_always_got():
    account = AccountFactory()
    invoice = invoice_issued(account, gross=Decimal("100.00"))
    invoice_issued(account, gross=Decimal("50.00"))

    named = start(account, None, invoices=[invoice], key="k-named")
    balance = start(account, None, key="k-balance")

    assert (named.amount, balance.amount) == (Decimal("100.00"), Decimal("150.00"))
