"""The accounting export: a period's ledger bookings as a DATEV-style
journal (Buchungsstapel) CSV, and a summary.

Format (documented for the accountants):

- UTF-8 with a byte order mark, semicolon separated, CRLF line ends, one
  header row; no DATEV "EXTF" header record, so the file is imported as a
  plain booking list (ASCII import) or read by any spreadsheet.
- Columns: ``Umsatz (ohne Soll/Haben-Kz)`` (always positive, German decimal
  comma, no thousands separator: ``1234,56``), ``Soll/Haben-Kennzeichen``
  (``S``: Konto is debited, ``H``: Konto is credited), ``WKZ Umsatz``
  (``EUR``), ``Konto`` (always the receivables account), ``Gegenkonto (ohne
  BU-Schlüssel)``, ``BU-Schlüssel`` (empty: VAT is booked on its own rows),
  ``Belegdatum`` (``DD.MM.YYYY``: the full date, so exports across a year end
  stay unambiguous), ``Belegfeld 1`` (document number), ``Belegfeld 2`` (due
  date ``DDMMYY`` where there is one), ``Buchungstext`` (account number and
  the ledger text, at most 60 characters).
- The accounts come from the billing settings (SKR03 defaults). An invoice
  or credit note is split into net revenue per VAT rate (19 % / 7 % revenue
  accounts) and the VAT per rate (VAT accounts); a settlement's credited
  instalments go against the instalments account; instalments against the
  instalments account; payments, returned payments and refunds against the
  bank account; fees and interest against the fees account; write-offs
  against the write-off account (SKR03 2400, not configurable yet). The
  revenue accounts must therefore be set up without automatic VAT.
- Every row moves the receivables account by the signed ledger amount, so
  the receivables' movement equals the sum of the period's ledger entries,
  and every invoice's rows add up to its ledger amount.

A pure read: running it twice gives the same file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from billing.models import BillingSettings, InvoiceLine, LedgerEntry
from core.money import round_money

ZERO = Decimal("0.00")
STANDARD_RATE = Decimal("0.19")
REDUCED_RATE = Decimal("0.07")
WRITE_OFF_ACCOUNT = "2400"
COLUMNS = (
    "Umsatz (ohne Soll/Haben-Kz)",
    "Soll/Haben-Kennzeichen",
    "WKZ Umsatz",
    "Konto",
    "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel",
    "Belegdatum",
    "Belegfeld 1",
    "Belegfeld 2",
    "Buchungstext",
)
DEBIT, CREDIT = "S", "H"
DOCUMENT_KINDS = (LedgerEntry.Kind.INVOICE, LedgerEntry.Kind.CREDIT_NOTE)
DOCUMENT_MAX = 36
TEXT_MAX = 60


class ExportError(ValueError):
    """The period cannot be exported as it stands (a message for the operator)."""


@dataclass(frozen=True)
class Booking:
    """One journal row: `amount` positive; `side` S debits `account`, H credits it."""

    amount: Decimal
    side: str
    account: str
    contra_account: str
    document_date: dt.date
    document: str
    due_date: dt.date | None
    text: str
    kind: str

    @property
    def signed(self) -> Decimal:
        """The movement of `account`: positive for a debit."""
        return self.amount if self.side == DEBIT else -self.amount

    def row(self) -> list[str]:
        return [
            german_amount(self.amount),
            self.side,
            "EUR",
            self.account,
            self.contra_account,
            "",
            self.document_date.strftime("%d.%m.%Y"),
            self.document[:DOCUMENT_MAX],
            self.due_date.strftime("%d%m%y") if self.due_date else "",
            self.text[:TEXT_MAX],
        ]


@dataclass(frozen=True)
class KindTotal:
    kind: str
    label: str
    count: int
    total: Decimal


@dataclass(frozen=True)
class AccountTotal:
    account: str
    debit: Decimal
    credit: Decimal


@dataclass
class AccountingExport:
    first: dt.date
    last: dt.date
    bookings: list[Booking] = field(default_factory=list)
    kinds: list[KindTotal] = field(default_factory=list)
    ledger_total: Decimal = ZERO

    @property
    def accounts(self) -> list[AccountTotal]:
        debit: dict[str, Decimal] = defaultdict(lambda: ZERO)
        credit: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for booking in self.bookings:
            debited, credited = (
                (booking.account, booking.contra_account)
                if booking.side == DEBIT
                else (booking.contra_account, booking.account)
            )
            debit[debited] += booking.amount
            credit[credited] += booking.amount
        return [AccountTotal(number, debit[number], credit[number]) for number in sorted(set(debit) | set(credit))]

    @property
    def debit_total(self) -> Decimal:
        return sum((total.debit for total in self.accounts), ZERO)

    @property
    def credit_total(self) -> Decimal:
        return sum((total.credit for total in self.accounts), ZERO)

    @property
    def receivables_movement(self) -> Decimal:
        return sum((booking.signed for booking in self.bookings), ZERO)

    @property
    def balanced(self) -> bool:
        return self.debit_total == self.credit_total and self.receivables_movement == self.ledger_total

    def csv_bytes(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for booking in self.bookings:
            writer.writerow(booking.row())
        return buffer.getvalue().encode("utf-8-sig")

    def summary_lines(self) -> list[str]:
        lines = [
            _("Accounting export %(first)s to %(last)s")
            % {"first": self.first.isoformat(), "last": self.last.isoformat()},
            _("Booking rows: %(count)d") % {"count": len(self.bookings)},
            _("Ledger entries by kind:"),
        ]
        lines += [
            f"  {total.label}: {total.count} · {german_amount(total.total, signed=True)} EUR" for total in self.kinds
        ]
        lines.append(_("Totals by account (debit / credit):"))
        lines += [
            f"  {total.account}: {german_amount(total.debit)} / {german_amount(total.credit)}"
            for total in self.accounts
        ]
        lines.append(
            _("Debits %(debit)s EUR = credits %(credit)s EUR.")
            % {"debit": german_amount(self.debit_total), "credit": german_amount(self.credit_total)}
        )
        lines.append(
            _("Receivables moved by %(movement)s EUR; the ledger entries sum to %(ledger)s EUR.")
            % {
                "movement": german_amount(self.receivables_movement, signed=True),
                "ledger": german_amount(self.ledger_total, signed=True),
            }
        )
        return lines


def german_amount(amount: Decimal, *, signed: bool = False) -> str:
    """1234.5 -> "1234,50" (no thousands separator, as DATEV reads it)."""
    value = round_money(amount if signed else abs(amount))
    return f"{value:.2f}".replace(".", ",")


class _Accounts:
    def __init__(self, settings: BillingSettings) -> None:
        self.settings = settings
        self.receivables = settings.receivables_account
        self.contra = {
            LedgerEntry.Kind.INSTALMENT: settings.instalment_account,
            LedgerEntry.Kind.INSTALMENT_CREDIT: settings.instalment_account,
            LedgerEntry.Kind.PAYMENT: settings.bank_account,
            LedgerEntry.Kind.PAYMENT_RETURN: settings.bank_account,
            LedgerEntry.Kind.REFUND: settings.bank_account,
            LedgerEntry.Kind.FEE: settings.fee_account,
            LedgerEntry.Kind.INTEREST: settings.fee_account,
            LedgerEntry.Kind.WRITE_OFF: WRITE_OFF_ACCOUNT,
        }

    def for_rate(self, rate: Decimal, *, document: str) -> tuple[str, str]:
        """(revenue account, VAT account) of a VAT rate."""
        if rate == STANDARD_RATE:
            return self.settings.revenue_account, self.settings.vat_account
        if rate == REDUCED_RATE:
            return self.settings.revenue_account_reduced, self.settings.vat_account_reduced
        raise ExportError(
            _("%(document)s has VAT rate %(rate)s %%, for which no accounts are set.")
            % {"document": document, "rate": (rate * 100).normalize()}
        )


def _booking(entry: LedgerEntry, amount: Decimal, contra: str, receivables: str, document: str) -> Booking:
    return Booking(
        amount=abs(amount),
        side=DEBIT if amount > 0 else CREDIT,
        account=receivables,
        contra_account=contra,
        document_date=entry.booked_on,
        document=document,
        due_date=entry.due_date,
        text=f"{entry.account.number} {entry.text}",
        kind=entry.kind,
    )


def _document_bookings(
    entry: LedgerEntry, nets: dict[Decimal, Decimal], accounts: _Accounts, document: str
) -> list[Booking]:
    """An invoice's or credit note's entry: net revenue and VAT per rate, and
    a settlement's credited instalments."""
    invoice = entry.invoice
    vats = {rate: round_money(net * rate) for rate, net in nets.items()}
    if sum(vats.values(), ZERO) != invoice.vat_total or sum(nets.values(), ZERO) != invoice.net_total:
        raise ExportError(_("%(document)s: its lines do not add up to its totals.") % {"document": document})
    bookings = []
    for rate in sorted(nets, reverse=True):
        revenue_account, vat_account = accounts.for_rate(rate, document=document)
        for amount, contra in ((nets[rate], revenue_account), (vats[rate], vat_account)):
            if amount:
                bookings.append(_booking(entry, amount, contra, accounts.receivables, document))
    rest = entry.amount - invoice.gross_total
    if rest:
        if rest != -invoice.instalments_total:
            raise ExportError(_("%(document)s: its ledger amount differs from its total.") % {"document": document})
        bookings.append(
            _booking(entry, rest, accounts.contra[LedgerEntry.Kind.INSTALMENT_CREDIT], accounts.receivables, document)
        )
    return bookings


def accounting_export(*, first: dt.date, last: dt.date) -> AccountingExport:
    """The ledger entries booked from `first` to `last` (both included) as
    journal rows, in booking order, with the summary figures. Two queries."""
    if last < first:
        raise ExportError(_("The end date lies before the start date."))
    accounts = _Accounts(BillingSettings.current())
    entries = list(
        LedgerEntry.objects.filter(booked_on__gte=first, booked_on__lte=last)
        .select_related("account", "invoice")
        .order_by("booked_on", "id")
    )
    invoice_ids = {entry.invoice_id for entry in entries if entry.kind in DOCUMENT_KINDS and entry.invoice_id}
    nets: dict[int, dict[Decimal, Decimal]] = defaultdict(dict)
    for invoice_id, rate, net in (
        InvoiceLine.objects.filter(invoice_id__in=invoice_ids)
        .values("invoice_id", "vat_rate")
        .annotate(net=Sum("net_amount"))
        .values_list("invoice_id", "vat_rate", "net")
    ):
        nets[invoice_id][rate] = net
    export = AccountingExport(first=first, last=last)
    counts: dict[str, list] = {}
    for entry in entries:
        document = entry.reference or (entry.invoice.number if entry.invoice else "") or entry.key
        if entry.kind in DOCUMENT_KINDS and entry.invoice is not None:
            export.bookings += _document_bookings(entry, nets.get(entry.invoice_id, {}), accounts, document)
        else:
            contra = accounts.contra.get(entry.kind)
            if contra is None:
                raise ExportError(
                    _("%(document)s: a %(kind)s without its document cannot be exported.")
                    % {"document": document, "kind": entry.get_kind_display()}
                )
            if entry.amount:
                export.bookings.append(_booking(entry, entry.amount, contra, accounts.receivables, document))
        count = counts.setdefault(entry.kind, [0, ZERO])
        count[0] += 1
        count[1] += entry.amount
        export.ledger_total += entry.amount
    export.kinds = [
        KindTotal(kind, str(LedgerEntry.Kind(kind).label), count, total)
        for kind, (count, total) in sorted(counts.items())
    ]
    return export
