"""Bills for the bills pages' tests: real bills through billing.services.invoicing
(supply, reads, bill_account), plain issued documents for list and export
tests, and payments booked on the ledger."""

import datetime as dt
from decimal import Decimal

from accounts.models import Account, BillingPreferences
from billing.models import Invoice, InvoiceLine, LedgerEntry
from billing.services.invoicing import bill_account
from billing.services.ledger import ledger_book, ledger_clear
from core.money import round_money
from meters.models import Read
from tests.billing.read_data import at, register_of, supplied


def billed_year(*, n: int = 1, account: Account | None = None, end_value: str = "4650", as_of=dt.date(2027, 1, 5)):
    """An electricity supply over 2026 (1000 -> end_value kWh), billed on `as_of`:
    3650 kWh x 0.30 + 120.00 standing charge = 1215.00 net, 230.85 VAT, 1445.85 gross."""
    agreement = supplied(n=n, account=account, start_date=dt.date(2026, 1, 1), start_read="1000")
    BillingPreferences.objects.update_or_create(
        account=agreement.account, defaults={"frequency": "ANNUAL", "budget_billing": False}
    )
    Read.objects.create(
        register=register_of(agreement), taken_at=at(2027, 1, 1), value=Decimal(end_value), source="CUSTOMER"
    )
    outcome = bill_account(account=agreement.account, as_of=as_of)
    return Invoice.objects.get(pk=outcome.invoice_id)


def issued_invoice(
    account: Account,
    *,
    number: str,
    issue_date: dt.date,
    due_date: dt.date | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    nets: dict[str, str] | None = None,
    kind: str = Invoice.Kind.INVOICE,
    status: str = Invoice.Status.ISSUED,
    book: bool = True,
) -> Invoice:
    """An issued bill with one line per VAT rate (`nets`: rate -> net) and its
    ledger entry, as billing.services.invoicing books it; the period defaults to the
    month before the issue date."""
    period_end = period_end or issue_date.replace(day=1) - dt.timedelta(days=1)
    period_start = period_start or period_end.replace(day=1)
    nets = {rate: Decimal(net) for rate, net in (nets or {"0.19": "100.00"}).items()}
    net_total = sum(nets.values(), Decimal("0.00"))
    vat_total = sum((round_money(net * Decimal(rate)) for rate, net in nets.items()), Decimal("0.00"))
    invoice = Invoice.objects.create(
        account=account,
        number=number,
        kind=kind,
        status=status,
        period_start=period_start,
        period_end=period_end,
        issue_date=issue_date,
        due_date=due_date or issue_date + dt.timedelta(days=14),
        net_total=net_total,
        vat_total=vat_total,
        gross_total=net_total + vat_total,
        customer_name="Erika Mustermann",
        customer_address="Lindenstraße 12\n10969 Berlin",
    )
    for position, (rate, net) in enumerate(nets.items(), start=1):
        InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            kind=InvoiceLine.Kind.CONSUMPTION,
            description=f"Electricity {rate}",
            utility="ELECTRICITY",
            quantity=Decimal("100"),
            unit="kWh",
            unit_price=net / 100,
            net_amount=net,
            vat_rate=Decimal(rate),
            period_start=period_start,
            period_end=period_end,
        )
    if book:
        ledger_book(
            account=account,
            kind=LedgerEntry.Kind.INVOICE,
            amount=invoice.gross_total,
            booked_on=issue_date,
            key=f"invoice:{invoice.pk}",
            text=f"Bill {number}",
            invoice=invoice,
            reference=number,
            due_date=invoice.due_date,
        )
    return invoice


def payment_book(account: Account, amount: str, *, day: dt.date, key: str) -> LedgerEntry:
    """A payment received and cleared against the oldest open items."""
    entry, _created = ledger_book(
        account=account,
        kind=LedgerEntry.Kind.PAYMENT,
        amount=-Decimal(amount),
        booked_on=day,
        key=key,
        text="Payment",
        reference=key,
    )
    ledger_clear(account=account)
    return entry
