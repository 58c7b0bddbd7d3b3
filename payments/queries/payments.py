"""Reads: open bills to pay, and the payment history with what each payment settled."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.db.models.functions import ExtractYear

from accounts.models import Account
from billing.models import Invoice, LedgerClearing, LedgerEntry
from billing.services.ledger import open_debits
from core.money import round_money
from payments.models import Payment, Refund

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class OpenInvoice:
    invoice: Invoice
    open_amount: Decimal

    @property
    def due_date(self) -> dt.date | None:
        return self.invoice.due_date


def open_invoices(*, account: Account) -> list[OpenInvoice]:
    """The account's issued bills with something left to pay, oldest due first."""
    by_invoice: dict[int, Decimal] = {}
    for entry, left in open_debits(account=account):
        if entry.invoice_id is not None:
            by_invoice[entry.invoice_id] = by_invoice.get(entry.invoice_id, ZERO) + left
    invoices = Invoice.objects.in_bulk(list(by_invoice))
    return [
        OpenInvoice(invoice=invoices[invoice_id], open_amount=round_money(amount))
        for invoice_id, amount in by_invoice.items()
        if invoices[invoice_id].status == Invoice.Status.ISSUED and round_money(amount) > 0
    ]


@dataclass(frozen=True)
class Allocation:
    """Part of a payment that settled one item: a bill (with its number) or another debit."""

    label: str
    amount: Decimal
    invoice: Invoice | None


@dataclass(frozen=True)
class PaymentRow:
    payment: Payment
    allocations: list[Allocation]
    refunded: Decimal

    @property
    def unallocated(self) -> Decimal:
        """What of the payment is still credit on the account."""
        if self.payment.ledger_entry_id is None or self.payment.status == Payment.Status.RETURNED:
            return ZERO
        return self.payment.amount - sum((item.amount for item in self.allocations), ZERO)

    @property
    def invoice_numbers(self) -> list[str]:
        return [item.label for item in self.allocations]


def _label(entry: LedgerEntry) -> str:
    if entry.invoice is not None and entry.invoice.number:
        return entry.invoice.number
    return entry.reference or entry.text


def payments_of(*, accounts: QuerySet[Account] | list[Account], year: int | None = None) -> QuerySet[Payment]:
    """Payments of `accounts`, newest first, with everything the history shows in a fixed number of queries."""
    clearings = (
        LedgerClearing.objects.filter(reversed_at__isnull=True)
        .select_related("debit__invoice")
        .order_by("debit__booked_on", "id")
    )
    payments = (
        Payment.objects.filter(account__in=accounts)
        .select_related("account", "ledger_entry", "invoice", "checkout")
        .prefetch_related(
            Prefetch("ledger_entry__credit_clearings", queryset=clearings, to_attr="live_clearings"),
            Prefetch("refunds", queryset=Refund.objects.exclude(status=Refund.Status.FAILED), to_attr="live_refunds"),
        )
        .order_by("-received_on", "-id")
    )
    if year is not None:
        payments = payments.filter(received_on__year=year)
    return payments


def payment_rows(payments: QuerySet[Payment] | list[Payment]) -> list[PaymentRow]:
    """Each payment with the bills it settled (clearings that stand) and what was refunded of it."""
    rows = []
    for payment in payments:
        allocations = []
        if payment.ledger_entry is not None:
            for clearing in payment.ledger_entry.live_clearings:
                if clearing.debit_id == payment.return_entry_id:
                    continue
                allocations.append(
                    Allocation(label=_label(clearing.debit), amount=clearing.amount, invoice=clearing.debit.invoice)
                )
        refunded = sum((refund.amount for refund in payment.live_refunds), ZERO)
        rows.append(PaymentRow(payment=payment, allocations=allocations, refunded=refunded))
    return rows


def payment_history(*, accounts: QuerySet[Account] | list[Account], year: int | None = None) -> list[PaymentRow]:
    return payment_rows(payments_of(accounts=accounts, year=year))


def payment_years(*, accounts: QuerySet[Account] | list[Account]) -> list[int]:
    """The years that have payments, newest first (the history's year filter)."""
    years = (
        Payment.objects.filter(account__in=accounts)
        .annotate(year=ExtractYear("received_on"))
        .values_list("year", flat=True)
        .distinct()
    )
    return sorted(set(years), reverse=True)


def refunds_of(*, accounts: QuerySet[Account] | list[Account]) -> list[Refund]:
    return list(
        Refund.objects.filter(account__in=accounts)
        .select_related("account", "payment", "created_by")
        .order_by("-created_at", "-id")
    )
