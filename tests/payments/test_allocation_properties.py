"""Allocation properties over any sequence of bills, payments (naming a bill
or not), refunds and returns: no payment and no bill is ever over-allocated,
the balance is the ledger sum and matches what happened, and open credit and
open debits never stand side by side."""

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from billing.models import LedgerClearing, LedgerEntry
from billing.services.ledger import account_balance, open_credits, open_debits
from core.money import round_money
from payments.models import Payment, PaymentMethod, Refund
from payments.services.payments import payment_record_manual, payment_return, refund_issue
from tests.accounts.factories import UserFactory, account_with_mandate
from tests.billing.factories import invoice_issued

TODAY = dt.date(2026, 3, 1)
cents = st.integers(min_value=1, max_value=50_000).map(lambda value: Decimal(value) / 100)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.account = account_with_mandate()
        self.agent = UserFactory(is_staff=True)
        self.invoices = []
        self.expected = Decimal("0.00")

    @rule(amount=cents)
    def bill(self, amount):
        self.invoices.append(invoice_issued(clear=True, account=self.account, gross=amount))
        self.expected += amount

    @rule(amount=cents, name_a_bill=st.booleans(), pick=st.integers(min_value=0))
    def pay(self, amount, name_a_bill, pick):
        invoice = self.invoices[pick % len(self.invoices)] if name_a_bill and self.invoices else None
        payment_record_manual(
            account=self.account,
            amount=amount,
            method=PaymentMethod.CASH,
            received_on=TODAY,
            created_by=self.agent,
            as_of=TODAY,
            invoice=invoice,
        )
        self.expected -= amount

    @rule(share=st.integers(min_value=1, max_value=100))
    def refund_credit(self, share):
        credit = -round_money(account_balance(account=self.account))
        amount = (credit * share / 100).quantize(Decimal("0.01"))
        if amount <= 0:
            return
        refund_issue(
            account=self.account,
            amount=amount,
            method=Refund.Method.SEPA_TRANSFER,
            created_by=self.agent,
            as_of=TODAY,
        )
        self.expected += amount

    @rule(pick=st.integers(min_value=0), fee=st.sampled_from([None, Decimal("3.00")]))
    def return_a_payment(self, pick, fee):
        payments = list(Payment.objects.filter(account=self.account, status=Payment.Status.SUCCEEDED).order_by("id"))
        if not payments:
            return
        payment = payments[pick % len(payments)]
        payment_return(payment=payment, as_of=TODAY, reason_code="AM04", fee=fee)
        self.expected += payment.amount + (fee or 0)

    @invariant()
    def no_payment_is_over_allocated(self):
        for entry in LedgerEntry.objects.filter(account=self.account, amount__lt=0):
            used = entry.credit_clearings.filter(reversed_at__isnull=True).values_list("amount", flat=True)
            assert sum(used, Decimal("0")) <= -entry.amount

    @invariant()
    def no_bill_is_over_allocated(self):
        for entry in LedgerEntry.objects.filter(account=self.account, amount__gt=0):
            settled = entry.debit_clearings.filter(reversed_at__isnull=True).values_list("amount", flat=True)
            assert sum(settled, Decimal("0")) <= entry.amount

    @invariant()
    def the_balance_is_the_ledger_sum_and_what_happened(self):
        # SQLite sums in floating point: compare to the cent.
        ledger_sum = sum((entry.amount for entry in LedgerEntry.objects.filter(account=self.account)), Decimal("0"))
        assert round_money(account_balance(account=self.account)) == ledger_sum == self.expected

    @invariant()
    def open_items_add_up_to_the_balance_and_never_stand_beside_open_credit(self):
        debits = open_debits(account=self.account)
        credits = open_credits(account=self.account)
        assert not (debits and credits)
        open_total = sum((left for _entry, left in debits), Decimal("0")) - sum(
            (left for _entry, left in credits), Decimal("0")
        )
        assert round_money(open_total) == round_money(account_balance(account=self.account))

    @invariant()
    def clearings_stay_positive(self):
        assert not LedgerClearing.objects.filter(amount__lte=0).exists()


LedgerMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class TestAllocationProperties(LedgerMachine.TestCase, TestCase):
    pass
