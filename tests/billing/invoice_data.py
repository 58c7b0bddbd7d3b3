"""Issued invoices built directly (lines, readings, details, snapshots), so
the document and delivery tests do not depend on the bill calculation.

The example: electricity for 2026 with a price change on 1 July, 3,000 kWh
(start read, end interpolated), standing charge 120 EUR a year, 19 % VAT.
"""

import datetime as dt
from decimal import Decimal

from accounts.models import BillingPreferences
from billing.models import BillingSettings, Invoice, InvoiceLine, InvoiceReading
from core import clock
from tests.factories import AccountFactory, CustomerFactory

D = Decimal
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
