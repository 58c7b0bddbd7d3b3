"""Reads for the bills pages, the statement of account and the API: which
documents a customer sees, what is still open of each (in one query for a
whole page), the statement with its running balance, and the agents' queue
of held bills."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from billing.models import Invoice, LedgerClearing, LedgerEntry

ZERO = Decimal("0.00")
# The documents a customer (and the API) sees: issued, cancelled, credit notes.
VISIBLE_STATES = (Invoice.Status.ISSUED, Invoice.Status.CANCELLED)
# The ledger entries that book a document: the bill or credit note itself and,
# for a settlement, the credit of the instalments it settles.
DOCUMENT_ENTRY_KINDS = (
    LedgerEntry.Kind.INVOICE,
    LedgerEntry.Kind.CREDIT_NOTE,
    LedgerEntry.Kind.INSTALMENT_CREDIT,
)
HELD_QUEUE_LIMIT = 200


class BillState:
    """What a bill's badge says."""

    OPEN = "open"
    PAID = "paid"
    OVERDUE = "overdue"
    CREDITED = "credited"
    CREDIT = "credit"

    LABELS = {
        OPEN: _("open"),
        PAID: _("paid"),
        OVERDUE: _("overdue"),
        CREDITED: _("credited"),
        CREDIT: _("credit"),
    }
    BADGES = {
        OPEN: "text-bg-info",
        PAID: "text-bg-success",
        OVERDUE: "text-bg-danger",
        CREDITED: "text-bg-secondary",
        CREDIT: "text-bg-light",
    }


@dataclass(frozen=True)
class BillRow:
    """A document with what is still open of it and its badge."""

    invoice: Invoice
    open_amount: Decimal
    state: str

    @property
    def label(self) -> str:
        return str(BillState.LABELS[self.state])

    @property
    def badge(self) -> str:
        return BillState.BADGES[self.state]

    @property
    def is_overdue(self) -> bool:
        return self.state == BillState.OVERDUE

    @property
    def is_paid(self) -> bool:
        return self.state == BillState.PAID


def documents_visible(*, accounts: Iterable[Account] | QuerySet[Account]) -> QuerySet[Invoice]:
    """The accounts' issued and cancelled bills and their credit notes, newest
    first; never held or discarded ones."""
    return (
        Invoice.objects.filter(account__in=accounts, status__in=VISIBLE_STATES)
        .select_related("account", "cancels")
        .order_by("-issue_date", "-id")
    )


def _cleared_subquery(side: str) -> Subquery:
    clearings = (
        LedgerClearing.objects.filter(**{side: OuterRef("pk")}, reversed_at__isnull=True)
        .values(side)
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Subquery(clearings, output_field=DecimalField(max_digits=12, decimal_places=2))


def entries_with_open_amounts(entries: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
    """`entries` annotated with `open_amount`: what is still open of each
    (a debit: unpaid; a credit: unused), positive, in the same query."""
    zero = Value(ZERO, output_field=DecimalField(max_digits=12, decimal_places=2))
    return entries.annotate(
        cleared_as_debit=Coalesce(_cleared_subquery("debit"), zero),
        cleared_as_credit=Coalesce(_cleared_subquery("credit"), zero),
    )


def entry_open(entry: LedgerEntry) -> Decimal:
    """The open amount of an entry from `entries_with_open_amounts`."""
    if entry.amount > 0:
        return entry.amount - entry.cleared_as_debit
    return -entry.amount - entry.cleared_as_credit


def invoice_open_amounts(*, invoice_ids: Sequence[int]) -> dict[int, Decimal]:
    """What is still open of each document's ledger entries, signed
    (positive: owed by the customer, negative: a credit not yet used), in
    one query for any number of documents."""
    entries = entries_with_open_amounts(
        LedgerEntry.objects.filter(invoice_id__in=list(invoice_ids), kind__in=DOCUMENT_ENTRY_KINDS)
    )
    result: dict[int, Decimal] = {}
    for entry in entries:
        left = entry_open(entry)
        result[entry.invoice_id] = result.get(entry.invoice_id, ZERO) + (left if entry.amount > 0 else -left)
    return result


def bill_state(*, invoice: Invoice, open_amount: Decimal, as_of: dt.date) -> str:
    if invoice.is_cancelled:
        return BillState.CREDITED
    if invoice.is_credit_note:
        return BillState.CREDIT
    if open_amount < 0:
        return BillState.CREDIT
    if open_amount == 0:
        return BillState.PAID
    if invoice.due_date is not None and invoice.due_date < as_of:
        return BillState.OVERDUE
    return BillState.OPEN


def bill_rows(*, invoices: Sequence[Invoice], as_of: dt.date) -> list[BillRow]:
    """Each document with its open amount and badge; one query for all of them.
    A document without its ledger entry counts with its whole amount open."""
    open_amounts = invoice_open_amounts(invoice_ids=[invoice.pk for invoice in invoices])
    rows = []
    for invoice in invoices:
        open_amount = open_amounts.get(invoice.pk, invoice.amount_due)
        rows.append(BillRow(invoice, open_amount, bill_state(invoice=invoice, open_amount=open_amount, as_of=as_of)))
    return rows


def credit_note_for(*, invoice: Invoice) -> Invoice | None:
    return Invoice.objects.filter(cancels=invoice, kind=Invoice.Kind.CREDIT_NOTE).first()


# --- Statement of account ----------------------------------------------------------


@dataclass(frozen=True)
class StatementRow:
    entry: LedgerEntry
    balance: Decimal

    @property
    def debit(self) -> Decimal | None:
        return self.entry.amount if self.entry.amount > 0 else None

    @property
    def credit(self) -> Decimal | None:
        return -self.entry.amount if self.entry.amount < 0 else None


@dataclass(frozen=True)
class Statement:
    """Ledger entries with the balance after each; `year` None: all of them."""

    account: Account
    year: int | None
    years: list[int]
    opening_balance: Decimal
    rows: list[StatementRow]

    @property
    def closing_balance(self) -> Decimal:
        return self.rows[-1].balance if self.rows else self.opening_balance


def statement_years(*, account: Account) -> list[int]:
    """The years with bookings, newest first."""
    return [day.year for day in LedgerEntry.objects.filter(account=account).dates("booked_on", "year", order="DESC")]


def account_statement(*, account: Account, year: int | None = None, years: list[int] | None = None) -> Statement:
    """The statement of account in booking order (date, then entry), with the
    running balance; for a year, starting from the balance brought forward.
    `years`: the account's `statement_years` when the caller has them."""
    entries = LedgerEntry.objects.filter(account=account)
    opening = ZERO
    if year is not None:
        first = dt.date(year, 1, 1)
        opening = entries.filter(booked_on__lt=first).aggregate(total=Sum("amount"))["total"] or ZERO
        entries = entries.filter(booked_on__gte=first, booked_on__lt=dt.date(year + 1, 1, 1))
    balance = opening
    rows = []
    for entry in entries.select_related("invoice").order_by("booked_on", "id"):
        balance += entry.amount
        rows.append(StatementRow(entry, balance))
    years = statement_years(account=account) if years is None else years
    return Statement(account, year, years, opening, rows)


# --- Dashboard --------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountBilling:
    """The dashboard's figures for one account."""

    account: Account
    balance: Decimal
    next_due_date: dt.date | None
    next_due_amount: Decimal
    last_bill: Invoice | None

    @property
    def is_credit(self) -> bool:
        return self.balance < 0

    @property
    def amount_shown(self) -> Decimal:
        """The balance without its sign: what is owed, or the credit."""
        return abs(self.balance)


def accounts_billing(*, accounts: Sequence[Account]) -> list[AccountBilling]:
    """Balance, the earliest due date of what is still open, and the latest
    bill of each account, in three queries for any number of accounts."""
    ids = [account.pk for account in accounts]
    balances = dict(
        LedgerEntry.objects.filter(account_id__in=ids)
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    debits = entries_with_open_amounts(
        LedgerEntry.objects.filter(account_id__in=ids, amount__gt=0, due_date__isnull=False)
    ).filter(amount__gt=F("cleared_as_debit"))
    next_due: dict[int, tuple[dt.date, Decimal]] = {}
    for entry in debits.order_by("due_date", "id"):
        day, amount = next_due.get(entry.account_id, (entry.due_date, ZERO))
        if entry.due_date == day:
            next_due[entry.account_id] = (day, amount + entry_open(entry))
    last_bills: dict[int, Invoice] = {}
    bills = Invoice.objects.filter(account_id__in=ids, status__in=VISIBLE_STATES, kind__in=Invoice.BILL_KINDS).order_by(
        "account_id", "-issue_date", "-id"
    )
    for bill in bills.only("id", "account_id", "number", "issue_date", "gross_total", "kind", "status"):
        last_bills.setdefault(bill.account_id, bill)
    return [
        AccountBilling(
            account=account,
            balance=balances.get(account.pk) or ZERO,
            next_due_date=next_due.get(account.pk, (None, ZERO))[0],
            next_due_amount=next_due.get(account.pk, (None, ZERO))[1],
            last_bill=last_bills.get(account.pk),
        )
        for account in accounts
    ]


# --- Held bills ------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldBill:
    """A held bill beside the account's previous bill, compared per day."""

    invoice: Invoice
    previous: Invoice | None

    @property
    def days(self) -> int:
        return (self.invoice.period_end - self.invoice.period_start).days + 1

    @property
    def per_day(self) -> Decimal:
        return self.invoice.gross_total / self.days

    @property
    def previous_per_day(self) -> Decimal | None:
        if self.previous is None:
            return None
        return self.previous.gross_total / ((self.previous.period_end - self.previous.period_start).days + 1)

    @property
    def factor(self) -> Decimal | None:
        """This bill's amount per day as a multiple of the previous bill's."""
        previous = self.previous_per_day
        if not previous:
            return None
        return (self.per_day / previous).quantize(Decimal("0.01"))


def held_bills_count() -> int:
    return Invoice.objects.filter(status=Invoice.Status.HELD).count()


def held_bills(*, limit: int = HELD_QUEUE_LIMIT) -> list[HeldBill]:
    """Held bills, oldest first, each with the previous issued bill of its
    account; two queries."""
    held = list(
        Invoice.objects.filter(status=Invoice.Status.HELD)
        .select_related("account__customer")
        .order_by("created_at", "id")[:limit]
    )
    previous_bills = (
        Invoice.objects.filter(
            account_id__in={invoice.account_id for invoice in held},
            status=Invoice.Status.ISSUED,
            kind__in=Invoice.BILL_KINDS,
        )
        .only("id", "account_id", "number", "period_start", "period_end", "gross_total", "issue_date")
        .order_by("account_id", "-period_end", "-id")
    )
    by_account: dict[int, list[Invoice]] = {}
    for bill in previous_bills:
        by_account.setdefault(bill.account_id, []).append(bill)
    return [
        HeldBill(
            invoice,
            next(
                (bill for bill in by_account.get(invoice.account_id, []) if bill.period_end < invoice.period_start),
                None,
            ),
        )
        for invoice in held
    ]


def _csv_amount(amount: Decimal | None, *, decimal_comma: bool) -> str:
    if amount is None:
        return ""
    text = f"{amount:.2f}"
    return text.replace(".", ",") if decimal_comma else text


def statement_csv(*, statement: Statement, language: str) -> bytes:
    """The statement as CSV for a spreadsheet in `language`: German files
    use semicolons and decimal commas (UTF-8 with BOM), English ones commas
    and decimal points. Dates are ISO (YYYY-MM-DD)."""
    german = language == "de"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if german else ",", lineterminator="\r\n")
    with translation.override(language):
        writer.writerow(
            [
                gettext("Date"),
                gettext("Text"),
                gettext("Document"),
                gettext("Due date"),
                gettext("Debit"),
                gettext("Credit"),
                gettext("Balance"),
            ]
        )
        writer.writerow(
            [
                "",
                gettext("Balance brought forward"),
                "",
                "",
                "",
                "",
                _csv_amount(statement.opening_balance, decimal_comma=german),
            ]
        )
        for row in statement.rows:
            entry = row.entry
            writer.writerow(
                [
                    entry.booked_on.isoformat(),
                    entry.text,
                    entry.reference,
                    entry.due_date.isoformat() if entry.due_date else "",
                    _csv_amount(row.debit, decimal_comma=german),
                    _csv_amount(row.credit, decimal_comma=german),
                    _csv_amount(row.balance, decimal_comma=german),
                ]
            )
    return buffer.getvalue().encode("utf-8-sig")
