"""Booking and allocation: oldest first unless an invoice is named, overpayment
kept as credit, partial payments leave the rest open; refunds and returns."""

import datetime as dt
from decimal import Decimal

import pytest

from arrears.models import DunningHold
from billing.models import LedgerEntry
from billing.services.ledger import account_balance, entry_open_amount
from payments.models import Payment, PaymentMethod, Refund
from payments.queries.payments import open_invoices, payment_history
from payments.services.payments import (
    PaymentRefused,
    RefundRefused,
    payment_external,
    payment_record_manual,
    payment_return,
    refund_issue,
)
from tests.accounts.factories import AccountFactory, UserFactory, account_with_mandate
from tests.billing.factories import invoice_issued

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 1)


def _debit(invoice):
    return LedgerEntry.objects.get(key=f"invoice:{invoice.pk}")


def _manual(account, amount, **kwargs):
    return payment_record_manual(
        account=account,
        amount=Decimal(amount),
        method=PaymentMethod.CASH,
        received_on=TODAY,
        created_by=UserFactory(is_staff=True),
        as_of=TODAY,
        **kwargs,
    )


def test_a_payment_settles_the_oldest_open_bill_first():
    account = AccountFactory()
    older = invoice_issued(clear=True, account=account, gross=Decimal("50.00"), issue_date=dt.date(2026, 1, 5))
    newer = invoice_issued(clear=True, account=account, gross=Decimal("80.00"), issue_date=dt.date(2026, 2, 5))

    _manual(account, "60.00")

    assert entry_open_amount(entry=_debit(older)) == Decimal("0.00")
    assert entry_open_amount(entry=_debit(newer)) == Decimal("70.00")
    assert account_balance(account=account) == Decimal("70.00")


def test_a_payment_naming_a_bill_settles_that_bill_first():
    account = AccountFactory()
    older = invoice_issued(clear=True, account=account, gross=Decimal("50.00"), issue_date=dt.date(2026, 1, 5))
    newer = invoice_issued(clear=True, account=account, gross=Decimal("80.00"), issue_date=dt.date(2026, 2, 5))

    _manual(account, "80.00", invoice=newer)

    assert entry_open_amount(entry=_debit(newer)) == Decimal("0.00")
    assert entry_open_amount(entry=_debit(older)) == Decimal("50.00")


def test_an_overpayment_stays_as_credit_and_settles_the_next_bill():
    account = AccountFactory()
    invoice_issued(clear=True, account=account, gross=Decimal("40.00"))

    payment = _manual(account, "100.00")
    (row,) = payment_history(accounts=[account])
    assert row.unallocated == Decimal("60.00")
    assert account_balance(account=account) == Decimal("-60.00")

    next_bill = invoice_issued(clear=True, account=account, gross=Decimal("45.00"), issue_date=dt.date(2026, 4, 1))

    assert entry_open_amount(entry=_debit(next_bill)) == Decimal("0.00")
    assert payment.ledger_entry.amount == Decimal("-100.00")
    assert account_balance(account=account) == Decimal("-15.00")


def test_a_partial_payment_leaves_the_rest_open():
    account = AccountFactory()
    invoice = invoice_issued(clear=True, account=account, gross=Decimal("99.99"))

    _manual(account, "33.33")

    (item,) = open_invoices(account=account)
    assert item.invoice == invoice
    assert item.open_amount == Decimal("66.66")


def test_booking_twice_books_once():
    from payments.services.payments import payment_book

    account = AccountFactory()
    payment = _manual(account, "10.00")

    payment_book(payment=payment, as_of=TODAY)

    assert LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.PAYMENT).count() == 1


@pytest.mark.parametrize(
    ("amount", "field"),
    [("0", "amount"), ("-5", "amount"), ("1.001", "amount"), ("NaN", "amount")],
)
def test_a_manual_payment_with_a_bad_amount_is_refused_and_saves_nothing(amount, field):
    account = AccountFactory()

    with pytest.raises(PaymentRefused) as refused:
        _manual(account, amount)

    assert refused.value.field == field
    assert not Payment.objects.exists()


def test_a_manual_payment_in_the_future_is_refused():
    account = AccountFactory()

    with pytest.raises(PaymentRefused):
        payment_record_manual(
            account=account,
            amount=Decimal("5.00"),
            method=PaymentMethod.CASH,
            received_on=TODAY + dt.timedelta(days=1),
            created_by=UserFactory(),
            as_of=TODAY,
        )


def test_a_manual_payment_for_another_accounts_bill_is_refused():
    account = AccountFactory()
    foreign = invoice_issued(clear=True, account=AccountFactory(), gross=Decimal("10.00"))

    with pytest.raises(PaymentRefused, match="another account"):
        _manual(account, "10.00", invoice=foreign)


def test_a_cheque_number_is_recorded_once():
    account = AccountFactory()
    _manual(account, "10.00", reference="CHQ-1")

    with pytest.raises(PaymentRefused, match="already recorded"):
        _manual(account, "10.00", reference="CHQ-1")


def test_an_external_payment_with_the_same_reference_is_booked_once():
    account = AccountFactory()
    invoice_issued(clear=True, account=account, gross=Decimal("30.00"))
    first, created = payment_external(
        account=account,
        amount=Decimal("30.00"),
        received_on=TODAY,
        reference="EXT-1",
        method=PaymentMethod.TRANSFER,
        as_of=TODAY,
    )

    again, created_again = payment_external(
        account=account,
        amount=Decimal("30.00"),
        received_on=TODAY,
        reference="EXT-1",
        method=PaymentMethod.TRANSFER,
        as_of=TODAY,
    )

    assert (created, created_again) == (True, False)
    assert again == first
    assert account_balance(account=account) == Decimal("0.00")


def test_a_credit_is_refunded_to_the_iban_on_file():
    account = account_with_mandate()
    _manual(account, "25.00")

    refund = refund_issue(
        account=account,
        amount=Decimal("25.00"),
        method=Refund.Method.SEPA_TRANSFER,
        created_by=UserFactory(is_staff=True),
        as_of=TODAY,
    )

    assert refund.status == Refund.Status.PENDING
    assert refund.iban == account.mandates.get().iban
    assert account_balance(account=account) == Decimal("0.00")


def test_a_refund_above_the_credit_is_refused_and_books_nothing():
    account = account_with_mandate()
    _manual(account, "25.00")

    with pytest.raises(RefundRefused, match="credit balance"):
        refund_issue(
            account=account,
            amount=Decimal("25.01"),
            method=Refund.Method.SEPA_TRANSFER,
            created_by=UserFactory(),
            as_of=TODAY,
        )

    assert not Refund.objects.exists()
    assert account_balance(account=account) == Decimal("-25.00")


def test_a_refund_without_an_iban_on_file_is_refused():
    account = AccountFactory()
    _manual(account, "25.00")

    with pytest.raises(RefundRefused, match="no IBAN"):
        refund_issue(
            account=account,
            amount=Decimal("5.00"),
            method=Refund.Method.SEPA_TRANSFER,
            created_by=UserFactory(),
            as_of=TODAY,
        )


def test_a_returned_payment_reopens_its_bill_books_the_fee_and_flags_the_account():
    account = AccountFactory()
    invoice = invoice_issued(clear=True, account=account, gross=Decimal("70.00"))
    payment = _manual(account, "70.00")

    payment_return(payment=payment, as_of=TODAY, reason_code="AM04", fee=Decimal("3.00"))
    payment_return(payment=payment, as_of=TODAY, reason_code="AM04", fee=Decimal("3.00"))

    payment.refresh_from_db()
    assert payment.status == Payment.Status.RETURNED
    assert entry_open_amount(entry=_debit(invoice)) == Decimal("70.00")
    assert account_balance(account=account) == Decimal("73.00")
    assert DunningHold.objects.filter(account=account, invoice=None, source=f"payment:{payment.pk}").count() == 1
    (row,) = payment_history(accounts=[account])
    assert row.allocations == []
