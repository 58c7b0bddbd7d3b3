"""Invoices computed by hand: the contract with our users (README / DESIGN
"Billing calculation"). Every case is worked out in the comment above it and
checked twice: through the pure calculation (`bill_calculate`) and through a
real bill (`bill_account`) of data built with the real services and models.
Every line (kind, description, quantity, unit, unit price, net amount, VAT
rate, period) and the totals are asserted to the cent.

Prices are net. Electricity 19 % VAT; gas 7 % until 2024-03-31, 19 % from
2024-04-01 (the seeded German rates); internet 19 %.
"""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import BillingPreferences
from billing.calculation import BoundValue, GasFactors, PriceVersion, RegisterUse, SupplyInput, bill_calculate
from billing.models import Instalment, Invoice, InvoiceReading, LedgerEntry
from billing.services.budget import instalments_raise
from billing.services.invoicing import bill_account
from billing.services.ledger import account_balance, ledger_book, ledger_clear
from meters.models import GasConversionFactor, Read, Register, Utility
from supply.models import ServiceAgreement
from supply.services.agreements import supply_import
from tests.accounts.factories import AccountFactory
from tests.meters.factories import at
from tests.supply.factories import PREMISE, request_for, tariff_make, version_add

pytestmark = pytest.mark.django_db

D = Decimal
BERLIN_MIDNIGHT = at
ELECTRICITY_VAT = D("0.1900")
STANDING_PER_DAY_120 = D("0.328767")  # 120.00 / 365 = 0.328767123… shown to 6 decimals
STANDING_PER_DAY_150 = D("0.410959")  # 150.00 / 365 = 0.410958904…
STANDING_PER_DAY_180 = D("0.493151")  # 180.00 / 365 = 0.493150684…


def line(kind, description, quantity, unit, unit_price, net, vat, start, end):
    return (kind, description, D(quantity), unit, D(unit_price), D(net), D(vat), start, end)


def invoice_lines(invoice: Invoice) -> list[tuple]:
    return [
        (
            row.kind,
            row.description,
            row.quantity,
            row.unit,
            row.unit_price,
            row.net_amount,
            row.vat_rate,
            row.period_start,
            row.period_end,
        )
        for row in invoice.lines.order_by("position")
    ]


def calculated_lines(calculation) -> list[tuple]:
    return [
        (
            row.kind,
            row.description,
            row.quantity,
            row.unit,
            row.unit_price,
            row.net_amount,
            row.vat_rate,
            row.period_start,
            row.period_end,
        )
        for row in calculation.lines
    ]


def totals(invoice_or_calculation) -> tuple[Decimal, Decimal, Decimal]:
    return (invoice_or_calculation.net_total, invoice_or_calculation.vat_total, invoice_or_calculation.gross_total)


def vat_summary(calculation) -> dict[Decimal, tuple[Decimal, Decimal]]:
    return dict(calculation.vat_summary)


def invoice_vat_summary(invoice: Invoice) -> dict[Decimal, tuple[Decimal, Decimal]]:
    return {D(row["rate"]): (D(row["net"]), D(row["vat"])) for row in invoice.details["vat_summary"]}


# --- Building supplies through the real services ---------------------------------------------------------------


def supply(
    *,
    tariff,
    start_date: dt.date,
    start_reads: dict[str, str] | None = None,
    n: int = 1,
    account=None,
    annual: str | None = "3650",
    frequency: str = BillingPreferences.Frequency.ANNUAL,
    budget_billing: bool = False,
) -> ServiceAgreement:
    """An ACTIVE supply imported with its start reads; the customer reads English bills."""
    account = account or AccountFactory(customer__language="en")
    BillingPreferences.objects.update_or_create(
        account=account, defaults={"frequency": frequency, "budget_billing": budget_billing}
    )
    request = request_for(
        tariff,
        n=n,
        start_date=start_date,
        start_reads={obis: D(value) for obis, value in (start_reads or {}).items()},
        expected_annual_consumption=D(annual) if annual else None,
    )
    return supply_import(account=account, premise=PREMISE, request=request, as_of=start_date)


def read(agreement: ServiceAgreement, obis: str, day: dt.date, value: str) -> Read:
    register = Register.objects.get(meter__supply_point=agreement.supply_point, obis=obis)
    return Read.objects.create(
        register=register,
        taken_at=BERLIN_MIDNIGHT(day.year, day.month, day.day),
        value=D(value),
        source=Read.Source.OPERATOR,
    )


def billed(agreement: ServiceAgreement, *, as_of: dt.date) -> Invoice:
    outcome = bill_account(account=agreement.account, as_of=as_of)
    assert outcome.status == "BILLED", outcome.reason
    return Invoice.objects.get(pk=outcome.invoice_id)


def electricity_tariff(code="STROM-HAND", **options):
    options.setdefault("standing_charge_per_year", "120.00")
    options.setdefault("unit_prices", {"*": "0.300000"})
    return tariff_make(code=code, **options)


def bound(day: dt.date, value: str, method: str = "read") -> BoundValue:
    return BoundValue(BERLIN_MIDNIGHT(day.year, day.month, day.day), D(value), method, method.startswith("estimated"))


def price(valid_from: dt.date, *, standing=None, fee=None, **unit_prices) -> PriceVersion:
    return PriceVersion(
        valid_from=valid_from,
        standing_charge_per_year=D(standing) if standing is not None else None,
        monthly_fee=D(fee) if fee is not None else None,
        unit_prices={obis.replace("_", ":"): D(p) for obis, p in unit_prices.items()},
    )


def electricity(start, end, *, versions, registers, vat=((dt.date(2021, 1, 1), ELECTRICITY_VAT),)) -> SupplyInput:
    return SupplyInput(
        utility="ELECTRICITY",
        supply_point="51238696781",
        tariff_code="STROM-HAND",
        tariff_name="Electricity",
        start=start,
        end=end,
        versions=versions,
        vat_rates=list(vat),
        registers=registers,
    )


def register(obis: str, start: BoundValue, end: BoundValue, *, unit="KWH", label="") -> RegisterUse:
    return RegisterUse(meter_serial="1ESY00000001", obis=obis, unit=unit, digits=6, start=start, end=end, label=label)


JAN_1_2026, DEC_31_2026, JAN_1_2027 = dt.date(2026, 1, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 1)


# --- 1. A plain year ----------------------------------------------------------------------------------------
#
# Electricity 2026 (365 days), 120.00 EUR a year + 0.30 EUR/kWh net.
# Reads: 1000 on 2026-01-01, 4650 on 2027-01-01 -> 3650 kWh.
#   Consumption      3650 kWh x 0.30              = 1095.00
#   Standing charge  365 days x 120.00 / 365      =  120.00
#   Net 1215.00, VAT 19 % = 230.85, gross 1445.85.
PLAIN_YEAR_LINES = [
    line("CONSUMPTION", "Consumption", "3650", "KWH", "0.30", "1095.00", "0.19", JAN_1_2026, DEC_31_2026),
    line(
        "STANDING_CHARGE",
        "Standing charge",
        "365",
        "days",
        STANDING_PER_DAY_120,
        "120.00",
        "0.19",
        JAN_1_2026,
        DEC_31_2026,
    ),
]
PLAIN_YEAR_TOTALS = (D("1215.00"), D("230.85"), D("1445.85"))


def test_a_plain_year_calculated():
    calculation = bill_calculate(
        supplies=[
            electricity(
                JAN_1_2026,
                DEC_31_2026,
                versions=[price(JAN_1_2026, standing="120.00", **{"*": "0.30"})],
                registers=[register("1-0:1.8.0", bound(JAN_1_2026, "1000"), bound(JAN_1_2027, "4650"))],
            )
        ]
    )
    assert calculated_lines(calculation) == PLAIN_YEAR_LINES
    assert totals(calculation) == PLAIN_YEAR_TOTALS
    assert vat_summary(calculation) == {D("0.19"): (D("1215.00"), D("230.85"))}
    assert calculation.estimated is False


def test_a_plain_year_billed():
    agreement = supply(tariff=electricity_tariff(), start_date=JAN_1_2026, start_reads={"1-0:1.8.0": "1000"})
    read(agreement, "1-0:1.8.0", JAN_1_2027, "4650")

    invoice = billed(agreement, as_of=dt.date(2027, 1, 2))

    assert (invoice.kind, invoice.status) == (Invoice.Kind.INVOICE, Invoice.Status.ISSUED)
    assert (invoice.period_start, invoice.period_end) == (JAN_1_2026, DEC_31_2026)
    assert invoice_lines(invoice) == PLAIN_YEAR_LINES
    assert totals(invoice) == PLAIN_YEAR_TOTALS
    assert invoice_vat_summary(invoice) == {D("0.19"): (D("1215.00"), D("230.85"))}
    assert (invoice.instalments_total, invoice.amount_due, invoice.estimated) == (D("0.00"), D("1445.85"), False)
    reading = invoice.readings.get()
    assert (reading.start_value, reading.start_method, reading.end_value, reading.end_method) == (
        D("1000"),
        "read",
        D("4650"),
        "read",
    )
    assert (reading.consumption, reading.billed_quantity) == (D("3650"), D("3650"))
    entry = LedgerEntry.objects.get(invoice=invoice)
    assert (entry.kind, entry.amount) == (LedgerEntry.Kind.INVOICE, D("1445.85"))
    assert account_balance(account=agreement.account) == D("1445.85")


# --- 2. A price change inside the period --------------------------------------------------------------------
#
# Electricity 2026, 3000 kWh (1000 -> 4000). Prices: 120.00/year + 0.30 until 2026-06-30,
# 150.00/year + 0.36 from 2026-07-01. Slices: 2026-01-01..06-30 = 181 days, 07-01..12-31 = 184 days.
# Consumption split by days, not rounded before pricing:
#   3000 x 181/365 = 1487.671233 kWh x 0.30 = 446.301369… -> 446.30
#   3000 x 184/365 = 1512.328767 kWh x 0.36 = 544.438356… -> 544.44
#   Standing 181 days x 120.00/365 = 59.506849… -> 59.51
#   Standing 184 days x 150.00/365 = 75.616438… -> 75.62
#   Net 1125.87, VAT 19 % = 213.9153 -> 213.92, gross 1339.79.
JUN_30, JUL_1 = dt.date(2026, 6, 30), dt.date(2026, 7, 1)
PRICE_CHANGE_LINES = [
    line("CONSUMPTION", "Consumption", "1487.671233", "KWH", "0.30", "446.30", "0.19", JAN_1_2026, JUN_30),
    line("CONSUMPTION", "Consumption", "1512.328767", "KWH", "0.36", "544.44", "0.19", JUL_1, DEC_31_2026),
    line(
        "STANDING_CHARGE", "Standing charge", "181", "days", STANDING_PER_DAY_120, "59.51", "0.19", JAN_1_2026, JUN_30
    ),
    line(
        "STANDING_CHARGE", "Standing charge", "184", "days", STANDING_PER_DAY_150, "75.62", "0.19", JUL_1, DEC_31_2026
    ),
]
PRICE_CHANGE_TOTALS = (D("1125.87"), D("213.92"), D("1339.79"))


def test_a_price_change_mid_period_calculated():
    calculation = bill_calculate(
        supplies=[
            electricity(
                JAN_1_2026,
                DEC_31_2026,
                versions=[
                    price(JAN_1_2026, standing="120.00", **{"*": "0.30"}),
                    price(JUL_1, standing="150.00", **{"*": "0.36"}),
                ],
                registers=[register("1-0:1.8.0", bound(JAN_1_2026, "1000"), bound(JAN_1_2027, "4000"))],
            )
        ]
    )
    assert calculated_lines(calculation) == PRICE_CHANGE_LINES
    assert totals(calculation) == PRICE_CHANGE_TOTALS


def test_a_price_change_mid_period_billed():
    tariff = electricity_tariff()
    version_add(tariff=tariff, valid_from=JUL_1, standing_charge_per_year="150.00", unit_prices={"*": "0.360000"})
    agreement = supply(tariff=tariff, start_date=JAN_1_2026, start_reads={"1-0:1.8.0": "1000"})
    read(agreement, "1-0:1.8.0", JAN_1_2027, "4000")

    invoice = billed(agreement, as_of=dt.date(2027, 1, 2))

    assert invoice_lines(invoice) == PRICE_CHANGE_LINES
    assert totals(invoice) == PRICE_CHANGE_TOTALS
    assert [row.price_valid_from for row in invoice.lines.order_by("position")] == [JAN_1_2026, JUL_1] * 2


# --- 3. A VAT change inside the period (gas, 2024-04-01: 7 % -> 19 %) ---------------------------------------------
#
# Gas, half-yearly bill 2024-01-01..2024-06-30 (182 days), 180.00/year + 0.10 EUR/kWh net.
# Reads: 5000 m³ on 2024-01-01, 5600 m³ on 2024-07-01 -> 600 m³.
# kWh = 600 x state number 0.9636 x calorific value 11.123 = 6430.87368 -> 6431 kWh (whole kWh, half up).
# Slices by VAT: 2024-01-01..03-31 = 91 days (7 %), 04-01..06-30 = 91 days (19 %).
#   6431 x 91/182 = 3215.5 kWh x 0.10 = 321.55 (each slice)
#   Standing 91 days x 180.00/365 = 44.876712… -> 44.88 (each slice)
#   7 %:  net 321.55 + 44.88 = 366.43, VAT 25.6501 -> 25.65
#   19 %: net 366.43, VAT 69.6217 -> 69.62
#   Net 732.86, VAT 95.27, gross 828.13.
GAS_START, GAS_END, MAR_31, APR_1 = dt.date(2024, 1, 1), dt.date(2024, 6, 30), dt.date(2024, 3, 31), dt.date(2024, 4, 1)
GAS_LINES = [
    line("CONSUMPTION", "Consumption", "3215.5", "KWH", "0.10", "321.55", "0.07", GAS_START, MAR_31),
    line("CONSUMPTION", "Consumption", "3215.5", "KWH", "0.10", "321.55", "0.19", APR_1, GAS_END),
    line("STANDING_CHARGE", "Standing charge", "91", "days", STANDING_PER_DAY_180, "44.88", "0.07", GAS_START, MAR_31),
    line("STANDING_CHARGE", "Standing charge", "91", "days", STANDING_PER_DAY_180, "44.88", "0.19", APR_1, GAS_END),
]
GAS_TOTALS = (D("732.86"), D("95.27"), D("828.13"))
GAS_VAT = {D("0.07"): (D("366.43"), D("25.65")), D("0.19"): (D("366.43"), D("69.62"))}


def test_a_vat_change_mid_period_calculated():
    calculation = bill_calculate(
        supplies=[
            SupplyInput(
                utility="GAS",
                supply_point="51238696781",
                tariff_code="GAS-HAND",
                tariff_name="Gas",
                start=GAS_START,
                end=GAS_END,
                versions=[price(GAS_START, standing="180.00", **{"*": "0.10"})],
                vat_rates=[(dt.date(2022, 10, 1), D("0.07")), (APR_1, D("0.19"))],
                registers=[
                    register(
                        "7-0:3.0.0",
                        bound(GAS_START, "5000"),
                        bound(dt.date(2024, 7, 1), "5600"),
                        unit="M3",
                        label="",
                    )
                ],
                gas_factors=GasFactors(state_number=D("0.9636"), calorific_value=D("11.123")),
            )
        ]
    )
    assert calculated_lines(calculation) == GAS_LINES
    assert totals(calculation) == GAS_TOTALS
    assert vat_summary(calculation) == GAS_VAT
    (result,) = calculation.registers
    assert (result.consumption, result.billed_quantity, result.billed_unit) == (D("600"), D("6431"), "KWH")


def test_a_vat_change_mid_period_billed():
    tariff = tariff_make(
        code="GAS-HAND",
        utility=Utility.GAS,
        valid_from=GAS_START,
        standing_charge_per_year="180.00",
        unit_prices={"*": "0.100000"},
    )
    agreement = supply(
        tariff=tariff,
        start_date=GAS_START,
        start_reads={"7-0:3.0.0": "5000"},
        annual="12000",
        frequency=BillingPreferences.Frequency.HALF_YEARLY,
    )
    GasConversionFactor.objects.create(
        supply_point=agreement.supply_point,
        valid_from=GAS_START,
        state_number=D("0.9636"),
        calorific_value=D("11.123"),
    )
    read(agreement, "7-0:3.0.0", dt.date(2024, 7, 1), "5600")

    invoice = billed(agreement, as_of=dt.date(2024, 7, 2))

    assert (invoice.period_start, invoice.period_end) == (GAS_START, GAS_END)
    assert invoice_lines(invoice) == GAS_LINES
    assert totals(invoice) == GAS_TOTALS
    assert invoice_vat_summary(invoice) == GAS_VAT
    reading = invoice.readings.get()
    assert (reading.consumption, reading.state_number, reading.calorific_value) == (
        D("600"),
        D("0.9636"),
        D("11.123"),
    )
    assert (reading.billed_quantity, reading.billed_unit) == (D("6431"), "KWH")
    (detail,) = invoice.details["supplies"]
    assert detail["gas_factors"] == {"state_number": "0.9636", "calorific_value": "11.123"}


# --- 4. HT/NT registers with their own prices ---------------------------------------------------------------------
#
# Electricity 2026 with a two-rate meter: HT (1-0:1.8.1) 0.32 EUR/kWh, NT (1-0:1.8.2) 0.24 EUR/kWh, 120.00/year.
# HT 1000 -> 3000 = 2000 kWh, NT 500 -> 1500 = 1000 kWh.
#   HT  2000 x 0.32 = 640.00
#   NT  1000 x 0.24 = 240.00
#   Standing 365 days x 120.00/365 = 120.00
#   Net 1000.00, VAT 19 % = 190.00, gross 1190.00.
HT_NT_LINES = [
    line(
        "CONSUMPTION",
        "Consumption HT (peak rate)",
        "2000",
        "KWH",
        "0.32",
        "640.00",
        "0.19",
        JAN_1_2026,
        DEC_31_2026,
    ),
    line(
        "CONSUMPTION",
        "Consumption NT (off-peak rate)",
        "1000",
        "KWH",
        "0.24",
        "240.00",
        "0.19",
        JAN_1_2026,
        DEC_31_2026,
    ),
    line(
        "STANDING_CHARGE",
        "Standing charge",
        "365",
        "days",
        STANDING_PER_DAY_120,
        "120.00",
        "0.19",
        JAN_1_2026,
        DEC_31_2026,
    ),
]
HT_NT_TOTALS = (D("1000.00"), D("190.00"), D("1190.00"))


def test_ht_nt_registers_calculated():
    calculation = bill_calculate(
        supplies=[
            electricity(
                JAN_1_2026,
                DEC_31_2026,
                versions=[price(JAN_1_2026, standing="120.00", **{"1-0_1.8.1": "0.32", "1-0_1.8.2": "0.24"})],
                registers=[
                    register(
                        "1-0:1.8.1",
                        bound(JAN_1_2026, "1000"),
                        bound(JAN_1_2027, "3000"),
                        label="HT (peak rate)",
                    ),
                    register(
                        "1-0:1.8.2",
                        bound(JAN_1_2026, "500"),
                        bound(JAN_1_2027, "1500"),
                        label="NT (off-peak rate)",
                    ),
                ],
            )
        ]
    )
    assert calculated_lines(calculation) == HT_NT_LINES
    assert totals(calculation) == HT_NT_TOTALS


def test_ht_nt_registers_billed():
    tariff = electricity_tariff(code="STROM-HTNT", unit_prices={"1-0:1.8.1": "0.320000", "1-0:1.8.2": "0.240000"})
    agreement = supply(tariff=tariff, start_date=JAN_1_2026, start_reads={"1-0:1.8.1": "1000", "1-0:1.8.2": "500"})
    read(agreement, "1-0:1.8.1", JAN_1_2027, "3000")
    read(agreement, "1-0:1.8.2", JAN_1_2027, "1500")

    invoice = billed(agreement, as_of=dt.date(2027, 1, 2))

    assert invoice_lines(invoice) == HT_NT_LINES
    assert totals(invoice) == HT_NT_TOTALS
    assert [(r.obis, r.consumption) for r in invoice.readings.order_by("obis")] == [
        ("1-0:1.8.1", D("2000")),
        ("1-0:1.8.2", D("1000")),
    ]


# --- 5. Internet, a partial month ------------------------------------------------------------------------------
#
# Internet 29.99 EUR a month net, supply from 2026-02-10, quarterly bill 2026-02-10..2026-03-31.
#   February: 19 of 28 days: 29.99 x 19/28 = 20.350357… -> 20.35 (quantity 0.678571 months)
#   March:    the whole month:  29.99 x 31/31 = 29.99      (quantity 1 month)
#   Net 50.34, VAT 19 % = 9.5646 -> 9.56, gross 59.90.
FEB_10, FEB_28, MAR_1, MAR_31_2026 = (
    dt.date(2026, 2, 10),
    dt.date(2026, 2, 28),
    dt.date(2026, 3, 1),
    dt.date(2026, 3, 31),
)
INTERNET_LINES = [
    line("MONTHLY_FEE", "Monthly fee", "0.678571", "months", "29.99", "20.35", "0.19", FEB_10, FEB_28),
    line("MONTHLY_FEE", "Monthly fee", "1", "months", "29.99", "29.99", "0.19", MAR_1, MAR_31_2026),
]
INTERNET_TOTALS = (D("50.34"), D("9.56"), D("59.90"))


def test_internet_partial_month_calculated():
    calculation = bill_calculate(
        supplies=[
            SupplyInput(
                utility="INTERNET",
                supply_point="LINE-1",
                tariff_code="NET-HAND",
                tariff_name="Internet",
                start=FEB_10,
                end=MAR_31_2026,
                versions=[price(JAN_1_2026, fee="29.99")],
                vat_rates=[(dt.date(2021, 1, 1), D("0.19"))],
            )
        ]
    )
    assert calculated_lines(calculation) == INTERNET_LINES
    assert totals(calculation) == INTERNET_TOTALS


def test_internet_partial_month_billed():
    tariff = tariff_make(
        code="NET-HAND", utility=Utility.INTERNET, standing_charge_per_year=None, monthly_fee="29.99", unit_prices={}
    )
    agreement = supply(tariff=tariff, start_date=FEB_10, frequency=BillingPreferences.Frequency.QUARTERLY)

    invoice = billed(agreement, as_of=dt.date(2026, 4, 1))

    assert (invoice.period_start, invoice.period_end) == (FEB_10, MAR_31_2026)
    assert invoice_lines(invoice) == INTERNET_LINES
    assert totals(invoice) == INTERNET_TOTALS
    assert not invoice.readings.exists()


# --- 6. A leap year -----------------------------------------------------------------------------------------
#
# Electricity 2028 (366 days), 120.00/year + 0.30 EUR/kWh. Reads 1000 on 2028-01-01, 4660 on 2029-01-01.
#   Consumption 3660 kWh x 0.30 = 1098.00
#   Standing 366 days x 120.00/365 = 120.328767… -> 120.33 (a leap year costs a day more)
#   Net 1218.33, VAT 19 % = 231.4827 -> 231.48, gross 1449.81.
JAN_1_2028, DEC_31_2028, JAN_1_2029 = dt.date(2028, 1, 1), dt.date(2028, 12, 31), dt.date(2029, 1, 1)
LEAP_LINES = [
    line("CONSUMPTION", "Consumption", "3660", "KWH", "0.30", "1098.00", "0.19", JAN_1_2028, DEC_31_2028),
    line(
        "STANDING_CHARGE",
        "Standing charge",
        "366",
        "days",
        STANDING_PER_DAY_120,
        "120.33",
        "0.19",
        JAN_1_2028,
        DEC_31_2028,
    ),
]
LEAP_TOTALS = (D("1218.33"), D("231.48"), D("1449.81"))


def test_a_leap_year_calculated():
    calculation = bill_calculate(
        supplies=[
            electricity(
                JAN_1_2028,
                DEC_31_2028,
                versions=[price(JAN_1_2026, standing="120.00", **{"*": "0.30"})],
                registers=[register("1-0:1.8.0", bound(JAN_1_2028, "1000"), bound(JAN_1_2029, "4660"))],
            )
        ]
    )
    assert calculated_lines(calculation) == LEAP_LINES
    assert totals(calculation) == LEAP_TOTALS


def test_a_leap_year_billed():
    agreement = supply(tariff=electricity_tariff(), start_date=JAN_1_2028, start_reads={"1-0:1.8.0": "1000"})
    read(agreement, "1-0:1.8.0", JAN_1_2029, "4660")

    invoice = billed(agreement, as_of=dt.date(2029, 1, 2))

    assert invoice_lines(invoice) == LEAP_LINES
    assert totals(invoice) == LEAP_TOTALS


# --- 7. An estimated end value ---------------------------------------------------------------------------------
#
# Electricity 2026. Reads: 1000 on 2026-01-01 and 4340 on 2026-12-01 (334 days, both in winter time:
# 3340 kWh / 334 days = 10 kWh a day). No read on or after 2027-01-01: the end value is estimated from
# the history, 4340 + 31 days x 10 = 4650 -> 3650 kWh, and the bill says so.
#   The lines and totals are those of the plain year: 1095.00 + 120.00 = 1215.00 net, 230.85 VAT, 1445.85 gross.


def test_an_estimated_end_value_calculated():
    calculation = bill_calculate(
        supplies=[
            electricity(
                JAN_1_2026,
                DEC_31_2026,
                versions=[price(JAN_1_2026, standing="120.00", **{"*": "0.30"})],
                registers=[
                    register("1-0:1.8.0", bound(JAN_1_2026, "1000"), bound(JAN_1_2027, "4650", "estimated_history"))
                ],
            )
        ]
    )
    assert calculated_lines(calculation) == PLAIN_YEAR_LINES
    assert totals(calculation) == PLAIN_YEAR_TOTALS
    assert calculation.estimated is True


def test_an_estimated_end_value_billed():
    agreement = supply(tariff=electricity_tariff(), start_date=JAN_1_2026, start_reads={"1-0:1.8.0": "1000"})
    read(agreement, "1-0:1.8.0", dt.date(2026, 12, 1), "4340")

    invoice = billed(agreement, as_of=dt.date(2027, 1, 2))

    assert invoice.estimated is True
    assert invoice_lines(invoice) == PLAIN_YEAR_LINES
    assert totals(invoice) == PLAIN_YEAR_TOTALS
    reading = invoice.readings.get()
    assert (reading.start_value, reading.start_method) == (D("1000"), "read")
    assert (reading.end_value, reading.end_method) == (D("4650"), "estimated_history")


# --- 8. Budget billing and the settlement ------------------------------------------------------------------------
#
# Electricity 2026 with budget billing; expected 3650 kWh a year: (120.00 + 3650 x 0.30) = 1215.00 net
# + 230.85 VAT = 1445.85 / 12 = 120.49 -> 120 EUR a month, due on the 15th: 12 x 120.00 = 1440.00.
# The customer pays every instalment (12 payments of 120.00).
# a) Debit: 3650 kWh used -> the plain year's bill, gross 1445.85; instalments credited 1440.00;
#    amount due 5.85; ledger 1440.00 (instalments) - 1440.00 (payments) + 1445.85 (bill) - 1440.00
#    (credit of the instalments) = 5.85 = cost - payments.
# b) Credit: 3000 kWh used -> 900.00 + 120.00 = 1020.00 net, VAT 193.80, gross 1213.80; amount due
#    1213.80 - 1440.00 = -226.20; balance -226.20 (the customer gets 226.20 back).
CREDIT_LINES = [
    line("CONSUMPTION", "Consumption", "3000", "KWH", "0.30", "900.00", "0.19", JAN_1_2026, DEC_31_2026),
    line(
        "STANDING_CHARGE",
        "Standing charge",
        "365",
        "days",
        STANDING_PER_DAY_120,
        "120.00",
        "0.19",
        JAN_1_2026,
        DEC_31_2026,
    ),
]


def _budget_year(end_value: str) -> tuple[ServiceAgreement, Invoice]:
    agreement = supply(
        tariff=electricity_tariff(), start_date=JAN_1_2026, start_reads={"1-0:1.8.0": "1000"}, budget_billing=True
    )
    account = agreement.account
    for month in range(1, 13):
        assert instalments_raise(as_of=dt.date(2026, month, 15)) == 1
        payment, _created = ledger_book(
            account=account,
            kind=LedgerEntry.Kind.PAYMENT,
            amount=D("-120.00"),
            booked_on=dt.date(2026, month, 15),
            key=f"payment:test:{account.pk}:{month}",
            text="Payment",
        )
        ledger_clear(account=account)
    assert [i.amount for i in Instalment.objects.filter(account=account)] == [D("120.00")] * 12
    read(agreement, "1-0:1.8.0", JAN_1_2027, end_value)
    return agreement, billed(agreement, as_of=dt.date(2027, 1, 2))


def test_budget_billing_settlement_with_a_debit():
    agreement, invoice = _budget_year("4650")

    assert invoice.kind == Invoice.Kind.SETTLEMENT
    assert invoice_lines(invoice) == PLAIN_YEAR_LINES
    assert totals(invoice) == PLAIN_YEAR_TOTALS
    assert (invoice.instalments_total, invoice.amount_due) == (D("1440.00"), D("5.85"))
    assert Instalment.objects.filter(account=agreement.account, settled_by=invoice).count() == 12
    assert [row["amount"] for row in invoice.details["instalments"]] == ["120.00"] * 12
    bookings = dict(LedgerEntry.objects.filter(invoice=invoice).values_list("kind", "amount"))
    assert bookings == {LedgerEntry.Kind.INVOICE: D("1445.85"), LedgerEntry.Kind.INSTALMENT_CREDIT: D("-1440.00")}
    assert account_balance(account=agreement.account) == D("5.85")  # cost 1445.85 - payments 1440.00


def test_budget_billing_settlement_with_a_credit():
    agreement, invoice = _budget_year("4000")

    assert invoice.kind == Invoice.Kind.SETTLEMENT
    assert invoice_lines(invoice) == CREDIT_LINES
    assert totals(invoice) == (D("1020.00"), D("193.80"), D("1213.80"))
    assert (invoice.instalments_total, invoice.amount_due) == (D("1440.00"), D("-226.20"))
    assert account_balance(account=agreement.account) == D("-226.20")  # cost 1213.80 - payments 1440.00


# --- 9. A final bill after moving out mid-month -------------------------------------------------------------------
#
# Electricity from 2026-01-01, the customer moves out: the agreement ends on 2026-08-15 (last day of supply).
# Period 2026-01-01..2026-08-15 = 31+28+31+30+31+30+31+15 = 227 days; the end is the read dated
# 2026-08-16 (00:00 after the last day): 1000 -> 3270 = 2270 kWh.
#   Consumption 2270 kWh x 0.30 = 681.00
#   Standing 227 days x 120.00/365 = 74.630137… -> 74.63
#   Net 755.63, VAT 19 % = 143.5697 -> 143.57, gross 899.20.
AUG_15 = dt.date(2026, 8, 15)
FINAL_LINES = [
    line("CONSUMPTION", "Consumption", "2270", "KWH", "0.30", "681.00", "0.19", JAN_1_2026, AUG_15),
    line(
        "STANDING_CHARGE", "Standing charge", "227", "days", STANDING_PER_DAY_120, "74.63", "0.19", JAN_1_2026, AUG_15
    ),
]
FINAL_TOTALS = (D("755.63"), D("143.57"), D("899.20"))


def test_a_final_bill_after_moving_out_calculated():
    calculation = bill_calculate(
        supplies=[
            electricity(
                JAN_1_2026,
                AUG_15,
                versions=[price(JAN_1_2026, standing="120.00", **{"*": "0.30"})],
                registers=[register("1-0:1.8.0", bound(JAN_1_2026, "1000"), bound(dt.date(2026, 8, 16), "3270"))],
            )
        ]
    )
    assert calculated_lines(calculation) == FINAL_LINES
    assert totals(calculation) == FINAL_TOTALS


def test_a_final_bill_after_moving_out_billed():
    agreement = supply(tariff=electricity_tariff(), start_date=JAN_1_2026, start_reads={"1-0:1.8.0": "1000"})
    ServiceAgreement.objects.filter(pk=agreement.pk).update(end_date=AUG_15, status=ServiceAgreement.Status.ENDED)
    read(agreement, "1-0:1.8.0", dt.date(2026, 8, 16), "3270")

    invoice = billed(agreement, as_of=dt.date(2026, 8, 20))

    assert invoice.kind == Invoice.Kind.FINAL
    assert (invoice.period_start, invoice.period_end) == (JAN_1_2026, AUG_15)
    assert invoice_lines(invoice) == FINAL_LINES
    assert totals(invoice) == FINAL_TOTALS
    assert InvoiceReading.objects.get(invoice=invoice).end_at == BERLIN_MIDNIGHT(2026, 8, 16)
