"""The ledger over random sequences of bookings (hypothesis): bills,
instalments, credit notes, payments, refunds and returned payments, each
followed by clearing. Whatever the order:

- the balance is the sum of the ledger, and equals issued bills and
  instalments minus credit notes minus payments plus refunds and returns;
- a clearing never settles more than its debit or its credit holds;
- after clearing, open debits and open credits never remain side by side.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import Invoice, LedgerClearing, LedgerEntry
from billing.services.ledger import (
    account_balance,
    balances,
    entry_open_amount,
    ledger_book,
    ledger_clear,
    open_credits,
    open_debits,
)
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")
DAY = dt.date(2026, 1, 1)

cents = st.integers(min_value=1, max_value=500_000).map(lambda n: Decimal(n).scaleb(-2))
operations = st.lists(
    st.one_of(
        st.tuples(st.just("bill"), cents),
        st.tuples(st.just("instalment"), cents),
        st.tuples(st.just("payment"), cents),
        st.tuples(st.just("refund"), cents),
        st.tuples(st.just("credit_note"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("return"), st.integers(min_value=0, max_value=20)),
    ),
    min_size=1,
    max_size=25,
)


class Books:
    """One account's bookings made through the ledger, and what they should add up to."""

    def __init__(self) -> None:
        self.account = AccountFactory()
        self.n = 0
        self.bills: list[tuple[Invoice, LedgerEntry]] = []
        self.credited: set[int] = set()
        self.payments: list[LedgerEntry] = []
        self.returned: set[int] = set()
        self.sums: dict[str, Decimal] = defaultdict(lambda: ZERO)

    def _key(self, kind: str) -> str:
        self.n += 1
        return f"{kind}:{self.account.pk}:{self.n}"

    def _book(self, kind: str, amount: Decimal, **extra) -> LedgerEntry:
        entry, created = ledger_book(
            account=self.account,
            kind=kind,
            amount=amount,
            booked_on=DAY + dt.timedelta(days=self.n),
            key=self._key(kind.lower()),
            text=kind,
            **extra,
        )
        assert created
        return entry

    def bill(self, amount: Decimal) -> None:
        invoice = Invoice.objects.create(
            account=self.account,
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.ISSUED,
            number=self._key("RE"),
            period_start=DAY + dt.timedelta(days=self.n),
            period_end=DAY + dt.timedelta(days=self.n),
            issue_date=DAY,
            due_date=DAY + dt.timedelta(days=14),
            net_total=amount,
            vat_total=ZERO,
            gross_total=amount,
            customer_name="Test",
            customer_address="Test",
        )
        entry = self._book(LedgerEntry.Kind.INVOICE, amount, invoice=invoice, due_date=invoice.due_date)
        self.bills.append((invoice, entry))
        self.sums["bills"] += amount
        ledger_clear(account=self.account)

    def instalment(self, amount: Decimal) -> None:
        self._book(LedgerEntry.Kind.INSTALMENT, amount, due_date=DAY)
        self.sums["instalments"] += amount
        ledger_clear(account=self.account)

    def payment(self, amount: Decimal) -> None:
        self.payments.append(self._book(LedgerEntry.Kind.PAYMENT, -amount))
        self.sums["payments"] += amount
        ledger_clear(account=self.account)

    def refund(self, amount: Decimal) -> None:
        self._book(LedgerEntry.Kind.REFUND, amount)
        self.sums["refunds"] += amount
        ledger_clear(account=self.account)

    def credit_note(self, pick: int) -> None:
        """Cancel a bill not cancelled yet: a credit note of its whole amount, cleared against it first."""
        open_bills = [(invoice, entry) for invoice, entry in self.bills if invoice.pk not in self.credited]
        if not open_bills:
            return
        invoice, entry = open_bills[pick % len(open_bills)]
        note = Invoice.objects.create(
            account=self.account,
            kind=Invoice.Kind.CREDIT_NOTE,
            status=Invoice.Status.ISSUED,
            number=self._key("GS"),
            cancels=invoice,
            period_start=DAY,
            period_end=DAY,
            issue_date=DAY,
            net_total=-invoice.gross_total,
            vat_total=ZERO,
            gross_total=-invoice.gross_total,
            customer_name="Test",
            customer_address="Test",
        )
        self._book(LedgerEntry.Kind.CREDIT_NOTE, -invoice.gross_total, invoice=note)
        self.credited.add(invoice.pk)
        self.sums["credit_notes"] += invoice.gross_total
        ledger_clear(account=self.account, prefer=[entry])

    def payment_return(self, pick: int) -> None:
        """The bank returns a payment: its clearings are reversed and the return is booked as a debit."""
        kept = [entry for entry in self.payments if entry.pk not in self.returned]
        if not kept:
            return
        payment = kept[pick % len(kept)]
        LedgerClearing.objects.filter(credit=payment, reversed_at__isnull=True).update(reversed_at=timezone.now())
        returned = self._book(LedgerEntry.Kind.PAYMENT_RETURN, -payment.amount)
        self.returned.add(payment.pk)
        self.sums["returns"] += -payment.amount
        ledger_clear(account=self.account, prefer=[returned])

    def apply(self, operation: tuple) -> None:
        name, value = operation
        {
            "bill": self.bill,
            "instalment": self.instalment,
            "payment": self.payment,
            "refund": self.refund,
            "credit_note": self.credit_note,
            "return": self.payment_return,
        }[name](value)

    @property
    def expected_balance(self) -> Decimal:
        s = self.sums
        return s["bills"] + s["instalments"] - s["credit_notes"] - s["payments"] + s["refunds"] + s["returns"]


def check(books: Books) -> None:
    account = books.account
    entries = list(LedgerEntry.objects.filter(account=account))
    ledger_sum = sum((entry.amount for entry in entries), ZERO)
    balance = account_balance(account=account)

    # The balance is the sum of the ledger, and what the documents add up to.
    assert balance == ledger_sum
    assert balance == books.expected_balance
    assert balances(account_ids=[account.pk]) == {account.pk: ledger_sum}
    issued = Invoice.objects.filter(account=account, status=Invoice.Status.ISSUED)
    assert sum((i.gross_total for i in issued), ZERO) == books.sums["bills"] - books.sums["credit_notes"]

    # Clearings settle a debit with a credit, and never more than either holds.
    by_debit: dict[int, Decimal] = defaultdict(lambda: ZERO)
    by_credit: dict[int, Decimal] = defaultdict(lambda: ZERO)
    amounts = {entry.pk: entry.amount for entry in entries}
    for clearing in LedgerClearing.objects.filter(debit__account=account, reversed_at__isnull=True):
        assert clearing.amount > 0
        assert amounts[clearing.debit_id] > 0 > amounts[clearing.credit_id]
        by_debit[clearing.debit_id] += clearing.amount
        by_credit[clearing.credit_id] += clearing.amount
    for entry_id, cleared in by_debit.items():
        assert cleared <= amounts[entry_id], "a debit is over-cleared"
    for entry_id, cleared in by_credit.items():
        assert cleared <= -amounts[entry_id], "a credit is used more than it holds"

    # Open amounts are what is left, and clearing leaves no debit and credit open side by side.
    for entry in entries:
        left = entry_open_amount(entry=entry)
        used = by_debit[entry.pk] if entry.amount > 0 else by_credit[entry.pk]
        assert left == abs(entry.amount) - used
    debits, credits = open_debits(account=account), open_credits(account=account)
    assert not (debits and credits)
    assert sum((left for _e, left in debits), ZERO) - sum((left for _e, left in credits), ZERO) == balance


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations)
def test_balances_and_clearings_agree_after_any_sequence_of_bookings(steps):
    books = Books()
    for step in steps:
        books.apply(step)
        check(books)


def test_the_same_booking_twice_books_once():
    account = AccountFactory()
    for _attempt in range(2):
        ledger_book(
            account=account,
            kind=LedgerEntry.Kind.PAYMENT,
            amount=Decimal("-10.00"),
            booked_on=DAY,
            key="payment:twice",
            text="Payment",
        )
    assert LedgerEntry.objects.filter(key="payment:twice").count() == 1
    assert account_balance(account=account) == Decimal("-10.00")


def test_clearing_twice_clears_once():
    books = Books()
    books.bill(Decimal("100.00"))
    books.payment(Decimal("60.00"))
    assert ledger_clear(account=books.account) == []
    assert LedgerClearing.objects.filter(debit__account=books.account).count() == 1
    check(books)
