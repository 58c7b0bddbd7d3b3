"""Billing test data: bills through the real invoicing (billed_year), issued
invoices and credit notes built directly, and ledger bookings.

invoice_make builds a complete document (lines, reading, details, snapshots)
so the document and delivery tests do not depend on the bill calculation; its
example: electricity for 2026 with a price change on 1 July, 3,000 kWh
(start read, end interpolated), standing charge 120 EUR a year, 19 % VAT.
"""

import datetime as dt
import itertools
from decimal import Decimal

from accounts.models import Account, BillingPreferences
from billing.models import BillingSettings, Instalment, Invoice, InvoiceLine, InvoiceReading, LedgerEntry
from billing.services.invoicing import bill_account
from billing.services.ledger import entry_open_amount, ledger_book, ledger_clear
from core import clock
from core.money import round_money
from meters.models import Read
from tests.accounts.factories import AccountFactory, CustomerFactory
from tests.meters.factories import at, register_of
from tests.supply.factories import supplied

D = Decimal
_numbers = itertools.count(1)
MALO = "50000000017"

LINES = [
    # kind, description, quantity, unit, unit price, net, from, to, price valid from
    (
        "CONSUMPTION",
        "Consumption Meter reading",
        "1487.671233",
        "kWh",
        "0.300000",
        "446.30",
        "2026-01-01",
        "2026-06-30",
        "2026-01-01",
    ),  # noqa: E501
    (
        "CONSUMPTION",
        "Consumption Meter reading",
        "1512.328767",
        "kWh",
        "0.320000",
        "483.95",
        "2026-07-01",
        "2026-12-31",
        "2026-07-01",
    ),  # noqa: E501
    (
        "STANDING_CHARGE",
        "Standing charge",
        "181",
        "days",
        "0.328767",
        "59.51",
        "2026-01-01",
        "2026-06-30",
        "2026-01-01",
    ),  # noqa: E501
    (
        "STANDING_CHARGE",
        "Standing charge",
        "184",
        "days",
        "0.328767",
        "60.49",
        "2026-07-01",
        "2026-12-31",
        "2026-07-01",
    ),  # noqa: E501
]
NET = D("1050.25")
VAT = D("199.55")  # 19 % of 1,050.25 = 199.5475
GROSS = NET + VAT


def supplier_snapshot() -> dict:
    """The supplier data a bill keeps (as billing.services.invoicing snapshots it)."""
    rules = BillingSettings.current()
    return {
        "name": rules.supplier_name,
        "street": rules.supplier_street,
        "postcode": rules.supplier_postcode,
        "city": rules.supplier_city,
        "country": rules.supplier_country,
        "vat_id": rules.supplier_vat_id,
        "tax_number": "37/123/45678",
        "register_court": rules.register_court,
        "hotline": rules.hotline,
        "email": rules.support_email,
        "website": rules.website,
        "creditor_id": rules.creditor_id,
        "bank_name": rules.bank_name,
        "iban": rules.iban,
        "bic": rules.bic,
        "arbitration_board": rules.arbitration_board,
    }


def details(*, last_year: str | None = "2750.000") -> dict:
    return {
        "supplies": [
            {
                "utility": "ELECTRICITY",
                "supply_point": MALO,
                "address": "Lindenstraße 12, 10969 Berlin",
                "tariff_code": "STROM-BASIS",
                "tariff_name": "Strom Basis",
                "start": "2026-01-01",
                "end": "2026-12-31",
                "meters": ["1ESY1160012345"],
                "contract": {
                    "minimum_term_months": 12,
                    "notice_period_weeks": 4,
                    "next_cancellation_date": "2027-01-31",
                },
                "gas_factors": None,
                "oldest_actual_read": None,
            }
        ],
        "comparison": [
            {
                "supply_point": MALO,
                "meter_serial": "1ESY1160012345",
                "obis": "1-0:1.8.0",
                "unit": "KWH",
                "this_period": "3000.000",
                "last_year": last_year,
            }
        ],
        "vat_summary": [{"rate": "0.1900", "net": str(NET), "vat": str(VAT)}],
        "instalments": [],
    }


def invoice_make(
    *,
    account=None,
    number: str = "RE2027-000001",
    language: str = "en",
    business: bool = False,
    kind: str = Invoice.Kind.INVOICE,
    instalments: list[tuple[str, str]] | None = None,
    end_method: str = "interpolated",
    channel: str = BillingPreferences.DeliveryChannel.EMAIL,
) -> Invoice:
    """An issued invoice for 2026 with its lines and reading."""
    if account is None:
        customer = (
            CustomerFactory(customer_type="BUSINESS", company_name="Bäckerei Kruse GmbH", vat_id="DE811907980")
            if business
            else CustomerFactory(first_name="Erika", last_name="Mustermann")
        )
        account = AccountFactory(
            customer=customer, street="Heidestraße", house_number="17", postcode="51147", city="Köln"
        )
    customer = account.customer
    instalments = instalments or []
    instalments_total = sum((D(amount) for _due, amount in instalments), D("0.00"))
    data = details()
    data["instalments"] = [{"due_date": due, "amount": amount} for due, amount in instalments]
    invoice = Invoice.objects.create(
        account=account,
        number=number,
        kind=kind,
        status=Invoice.Status.ISSUED,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        issue_date=dt.date(2027, 1, 5),
        due_date=dt.date(2027, 1, 19),
        net_total=NET,
        vat_total=VAT,
        gross_total=GROSS,
        instalments_total=instalments_total,
        language=language,
        customer_name=customer.display_name,
        customer_address="\n".join(account.billing_address_lines),
        customer_vat_id=customer.vat_id,
        is_business=customer.is_business,
        supplier=supplier_snapshot(),
        details=data,
        estimated=end_method.startswith("estimated"),
        delivery_channel=channel,
        issued_at=clock.now(),
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=position,
            kind=kind_,
            description=description,
            utility="ELECTRICITY",
            supply_point=MALO,
            meter_serial="1ESY1160012345" if kind_ == "CONSUMPTION" else "",
            obis="1-0:1.8.0" if kind_ == "CONSUMPTION" else "",
            quantity=D(quantity),
            unit=unit,
            unit_price=D(price),
            net_amount=D(net),
            vat_rate=D("0.1900"),
            period_start=dt.date.fromisoformat(start),
            period_end=dt.date.fromisoformat(end),
            tariff_code="STROM-BASIS",
            price_valid_from=dt.date.fromisoformat(valid),
        )
        for position, (kind_, description, quantity, unit, price, net, start, end, valid) in enumerate(LINES, 1)
    )
    InvoiceReading.objects.create(
        invoice=invoice,
        supply_point=MALO,
        meter_serial="1ESY1160012345",
        obis="1-0:1.8.0",
        unit="KWH",
        start_at=clock.start_of_day(dt.date(2026, 1, 1)),
        start_value=D("1234.500"),
        start_method="read",
        end_at=clock.start_of_day(dt.date(2027, 1, 1)),
        end_value=D("4234.500"),
        end_method=end_method,
        consumption=D("3000.000"),
        billed_quantity=D("3000.000"),
        billed_unit="kWh",
        previous_year_consumption=D("2750.000"),
    )
    BillingPreferences.objects.update_or_create(account=account, defaults={"delivery_channel": channel})
    return invoice


def credit_note_make(invoice: Invoice, *, number: str = "GS2027-000001", reason: str = "Corrected reads") -> Invoice:
    """A credit note cancelling `invoice`, lines mirrored (as invoice_cancel makes it)."""
    note = Invoice.objects.create(
        account=invoice.account,
        number=number,
        kind=Invoice.Kind.CREDIT_NOTE,
        status=Invoice.Status.ISSUED,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        issue_date=dt.date(2027, 2, 1),
        due_date=dt.date(2027, 2, 1),
        net_total=-invoice.net_total,
        vat_total=-invoice.vat_total,
        gross_total=-invoice.gross_total,
        instalments_total=-invoice.instalments_total,
        cancels=invoice,
        language=invoice.language,
        customer_name=invoice.customer_name,
        customer_address=invoice.customer_address,
        customer_vat_id=invoice.customer_vat_id,
        is_business=invoice.is_business,
        supplier=invoice.supplier,
        details={**invoice.details, "cancels": invoice.number, "reason": reason},
        delivery_channel=invoice.delivery_channel,
        issued_at=clock.now(),
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=note,
            position=line.position,
            kind=line.kind,
            description=line.description,
            utility=line.utility,
            supply_point=line.supply_point,
            meter_serial=line.meter_serial,
            obis=line.obis,
            quantity=-line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            net_amount=-line.net_amount,
            vat_rate=line.vat_rate,
            period_start=line.period_start,
            period_end=line.period_end,
            tariff_code=line.tariff_code,
            price_valid_from=line.price_valid_from,
        )
        for line in invoice.lines.order_by("position")
    )
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.CANCELLED)
    return note


def _vat_sqlite_can_check(gross: Decimal) -> Decimal:
    """19 % VAT in the gross, moved by a cent where SQLite's floating-point CHECK
    (gross = net + VAT) would refuse the exact decimal split."""
    vat = round_money(gross * Decimal(19) / Decimal(119))
    for candidate in (vat, vat - Decimal("0.01"), vat + Decimal("0.01"), Decimal("0.00")):
        if float(gross - candidate) + float(candidate) == float(gross):
            return candidate
    return Decimal("0.00")


def _free_period(account: Account, period_end: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month ending on `period_end`, or the latest earlier one the
    account has no live bill for (one live bill per account and period)."""
    period_start = period_end.replace(day=1)
    live = account.invoices.filter(status__in=[Invoice.Status.HELD, Invoice.Status.ISSUED]).exclude(
        kind=Invoice.Kind.CREDIT_NOTE
    )
    while live.filter(period_start=period_start).exists():
        period_end = period_start - dt.timedelta(days=1)
        period_start = period_end.replace(day=1)
    return period_start, period_end


def invoice_issued(
    account: Account,
    *,
    number: str | None = None,
    gross: Decimal | str | None = None,
    nets: dict[str, str] | None = None,
    issue_date: dt.date | None = None,
    due_date: dt.date | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    kind: str = Invoice.Kind.INVOICE,
    status: str = Invoice.Status.ISSUED,
    customer_name: str | None = None,
    book: bool = True,
    clear: bool = False,
) -> Invoice:
    """An issued bill and its INVOICE debit on the ledger (key "invoice:<id>"),
    booked as billing.services.invoicing books it.

    `nets` (VAT rate -> net) gives one consumption line per rate; `gross` alone
    gives a bill without lines with 19 % VAT in it; neither is 100.00 net at
    19 %. Without a number one is made up. The issue date defaults to 15 January
    2026, or 14 days before `due_date`; the due date to 14 days after the issue
    date. The period defaults to the month before the issue date (the latest
    earlier month the account has no bill for yet); a `period_start` alone is a
    one-day period. `book=False` leaves the ledger alone; `clear=True` clears
    the debit against any credit on the account."""
    number = number or f"R-T-{next(_numbers):06d}"
    if issue_date is None:
        issue_date = due_date - dt.timedelta(days=14) if due_date else dt.date(2026, 1, 15)
    if period_start is None:
        period_start, period_end = _free_period(account, period_end or issue_date.replace(day=1) - dt.timedelta(days=1))
    period_end = period_end or period_start
    if gross is not None and nets is None:
        gross_total = Decimal(gross)
        vat_total = _vat_sqlite_can_check(gross_total)
        net_total = gross_total - vat_total
        lines = {}
    else:
        lines = {rate: Decimal(net) for rate, net in (nets or {"0.19": "100.00"}).items()}
        net_total = sum(lines.values(), Decimal("0.00"))
        vat_total = sum((round_money(net * Decimal(rate)) for rate, net in lines.items()), Decimal("0.00"))
        gross_total = net_total + vat_total
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
        gross_total=gross_total,
        customer_name=customer_name or account.customer.display_name,
        customer_address="\n".join(account.billing_address_lines),
    )
    for position, (rate, net) in enumerate(lines.items(), start=1):
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
            text=f"Invoice {number}",
            invoice=invoice,
            reference=number,
            due_date=invoice.due_date,
        )
    if clear:
        ledger_clear(account=account)
    return invoice


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


def instalment(account: Account, *, amount: Decimal, due_date: dt.date) -> Instalment:
    entry, _created = ledger_book(
        account=account,
        kind=LedgerEntry.Kind.INSTALMENT,
        amount=amount,
        booked_on=due_date - dt.timedelta(days=14),
        key=f"instalment:{account.pk}:{due_date}",
        text="Instalment",
        due_date=due_date,
    )
    return Instalment.objects.create(account=account, due_date=due_date, amount=amount, ledger_entry=entry)


def invoice_open(invoice: Invoice) -> Decimal:
    return sum(
        (entry_open_amount(entry=entry) for entry in LedgerEntry.objects.filter(invoice=invoice, amount__gt=0)),
        Decimal("0.00"),
    )
