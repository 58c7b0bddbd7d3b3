"""The billing calculation, exactly as the README's "Billing calculation"
says. Pure: it gets everything it needs as plain data (register values at the
period bounds, price versions, VAT rates, gas factors) and returns the bill's
lines and totals; loading (`billing.queries.inputs`) and saving
(`billing.services.invoicing`) are elsewhere, so one bill and a run of 100,000 bills
compute the same way.

- A period is whole days [first, last], bounded by the register values at
  00:00 of `first` and of the day after `last`.
- Consumption = end - start (across the register's rollover). Gas: m³ x state
  number x calorific value, rounded half up to whole kWh.
- The period is cut into slices where a price version or a VAT rate changes;
  consumption is split across slices by days, unrounded.
- Standing charge: yearly net x slice days / 365. Internet: the monthly fee
  per calendar month x days / days of that month.
- Every line = quantity x net unit price, rounded half up to the cent. VAT
  per rate on the sum of that rate's lines, rounded once. Gross = net + VAT.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext

from core.money import round_money

ONE_DAY = dt.timedelta(days=1)
DAYS_PER_YEAR = Decimal(365)
QUANTITY_PLACES = Decimal("0.000001")
KWH = "KWH"
WHOLE = Decimal(1)


class CalculationError(ValueError):
    """The bill cannot be computed (no prices, no VAT rate, no gas factors)."""


@dataclass(frozen=True)
class PriceVersion:
    valid_from: dt.date
    standing_charge_per_year: Decimal | None
    monthly_fee: Decimal | None
    # Net price per unit by OBIS code; "*" for every register.
    unit_prices: dict[str, Decimal]

    def unit_price(self, obis: str) -> Decimal:
        if obis in self.unit_prices:
            return self.unit_prices[obis]
        if "*" in self.unit_prices:
            return self.unit_prices["*"]
        raise CalculationError(f"no price for register {obis} from {self.valid_from}")


@dataclass(frozen=True)
class BoundValue:
    """A register's value at a period bound and how it was obtained."""

    at: dt.datetime
    value: Decimal
    method: str
    estimated: bool
    # Who took the reading when the value is a reading (smart meter, customer …).
    source: str = ""


@dataclass(frozen=True)
class RegisterUse:
    meter_serial: str
    obis: str
    unit: str
    digits: int
    start: BoundValue
    end: BoundValue
    label: str = ""


@dataclass(frozen=True)
class GasFactors:
    state_number: Decimal
    calorific_value: Decimal


@dataclass(frozen=True)
class SupplyInput:
    """One agreement's part of a bill."""

    utility: str
    supply_point: str
    tariff_code: str
    tariff_name: str
    start: dt.date
    end: dt.date
    # Every version in force on some day of [start, end], oldest first.
    versions: Sequence[PriceVersion]
    # (valid_from, rate) in force on some day of [start, end], oldest first.
    vat_rates: Sequence[tuple[dt.date, Decimal]]
    registers: Sequence[RegisterUse] = ()
    gas_factors: GasFactors | None = None


@dataclass(frozen=True)
class Line:
    kind: str
    description: str
    utility: str
    supply_point: str
    meter_serial: str
    obis: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    net_amount: Decimal
    vat_rate: Decimal
    period_start: dt.date
    period_end: dt.date
    tariff_code: str
    price_valid_from: dt.date | None


@dataclass(frozen=True)
class RegisterResult:
    supply_point: str
    use: RegisterUse
    consumption: Decimal
    billed_quantity: Decimal
    billed_unit: str
    gas_factors: GasFactors | None


@dataclass
class BillCalculation:
    lines: list[Line] = field(default_factory=list)
    registers: list[RegisterResult] = field(default_factory=list)
    # rate -> (net, vat)
    vat_summary: dict[Decimal, tuple[Decimal, Decimal]] = field(default_factory=dict)
    net_total: Decimal = Decimal("0.00")
    vat_total: Decimal = Decimal("0.00")
    gross_total: Decimal = Decimal("0.00")

    @property
    def estimated(self) -> bool:
        return any(r.use.start.estimated or r.use.end.estimated for r in self.registers)


def days_in(start: dt.date, end: dt.date) -> int:
    """Days of [start, end], both inclusive."""
    return (end - start).days + 1


def register_consumption(*, start: Decimal, end: Decimal, digits: int) -> Decimal:
    """End minus start, across the register's rollover."""
    return end - start if end >= start else end + Decimal(10) ** digits - start


def gas_kwh(*, cubic_metres: Decimal, factors: GasFactors) -> Decimal:
    """Billed kWh of a gas volume: m³ x state number x calorific value, to whole kWh (half up)."""
    return round_money(cubic_metres * factors.state_number * factors.calorific_value, places=WHOLE)


def _in_force(dated: Sequence, day: dt.date, *, key) -> object:
    chosen = None
    for item in dated:
        if key(item) <= day:
            chosen = item
    if chosen is None:
        raise CalculationError(f"nothing in force on {day}")
    return chosen


@dataclass(frozen=True)
class Slice:
    start: dt.date
    end: dt.date
    version: PriceVersion
    vat_rate: Decimal

    @property
    def days(self) -> int:
        return days_in(self.start, self.end)


def slices(*, start: dt.date, end: dt.date, versions: Sequence[PriceVersion], vat_rates) -> list[Slice]:
    """[start, end] cut where a price version or a VAT rate begins."""
    if not versions:
        raise CalculationError(f"no prices between {start} and {end}")
    if not vat_rates:
        raise CalculationError(f"no VAT rate between {start} and {end}")
    cuts = sorted(
        {start}
        | {v.valid_from for v in versions if start < v.valid_from <= end}
        | {valid_from for valid_from, _rate in vat_rates if start < valid_from <= end}
    )
    result = []
    for index, first in enumerate(cuts):
        last = cuts[index + 1] - ONE_DAY if index + 1 < len(cuts) else end
        try:
            version = _in_force(versions, first, key=lambda v: v.valid_from)
            _from, rate = _in_force(vat_rates, first, key=lambda r: r[0])
        except CalculationError as error:
            raise CalculationError(f"no prices or VAT rate on {first}") from error
        result.append(Slice(first, last, version, rate))
    return result


def _months(start: dt.date, end: dt.date):
    """(first, last, days of the month) for each calendar month part of [start, end]."""
    first = start
    while first <= end:
        month_days = calendar.monthrange(first.year, first.month)[1]
        month_end = first.replace(day=month_days)
        last = min(month_end, end)
        yield first, last, month_days
        first = last + ONE_DAY


def _exact(numerator: Decimal, denominator: Decimal = WHOLE) -> Decimal:
    """A money amount from an exact fraction, rounded once, half up, to the cent."""
    with localcontext(prec=60):
        return round_money(numerator / denominator)


def _line(
    *,
    supply: SupplyInput,
    part: Slice,
    kind: str,
    description: str,
    quantity: Decimal,
    unit: str,
    unit_price: Decimal,
    net: Decimal,
    start: dt.date | None = None,
    end: dt.date | None = None,
    meter_serial: str = "",
    obis: str = "",
) -> Line:
    return Line(
        kind=kind,
        description=description,
        utility=supply.utility,
        supply_point=supply.supply_point,
        meter_serial=meter_serial,
        obis=obis,
        quantity=quantity.quantize(QUANTITY_PLACES),
        unit=unit,
        unit_price=unit_price.quantize(QUANTITY_PLACES),
        net_amount=net,
        vat_rate=part.vat_rate,
        period_start=start or part.start,
        period_end=end or part.end,
        tariff_code=supply.tariff_code,
        price_valid_from=part.version.valid_from,
    )


@dataclass(frozen=True)
class Labels:
    """The words of the lines, in the bill's language."""

    consumption: str = "Consumption {register}"
    consumption_plain: str = "Consumption"
    standing_charge: str = "Standing charge"
    monthly_fee: str = "Monthly fee"
    days: str = "days"
    month: str = "months"


def supply_lines(*, supply: SupplyInput, labels: Labels) -> tuple[list[Line], list[RegisterResult]]:
    """The lines and register results of one agreement's part of a bill."""
    parts = slices(start=supply.start, end=supply.end, versions=supply.versions, vat_rates=supply.vat_rates)
    total_days = Decimal(days_in(supply.start, supply.end))
    lines: list[Line] = []
    results: list[RegisterResult] = []
    for register in supply.registers:
        consumption = register_consumption(start=register.start.value, end=register.end.value, digits=register.digits)
        billed, unit = consumption, register.unit
        if supply.utility == "GAS":
            if supply.gas_factors is None:
                raise CalculationError(f"no gas factors for {supply.supply_point}")
            billed, unit = gas_kwh(cubic_metres=consumption, factors=supply.gas_factors), KWH
        results.append(RegisterResult(supply.supply_point, register, consumption, billed, unit, supply.gas_factors))
        for part in parts:
            price = part.version.unit_price(register.obis)
            days = Decimal(part.days)
            with localcontext(prec=60):
                quantity = billed * days / total_days
            lines.append(
                _line(
                    supply=supply,
                    part=part,
                    kind="CONSUMPTION",
                    description=labels.consumption.format(register=register.label)
                    if register.label
                    else labels.consumption_plain,
                    quantity=quantity,
                    unit=unit,
                    unit_price=price,
                    net=_exact(billed * days * price, total_days),
                    meter_serial=register.meter_serial,
                    obis=register.obis,
                )
            )
    for part in parts:
        yearly = part.version.standing_charge_per_year
        if yearly is not None:
            days = Decimal(part.days)
            with localcontext(prec=60):
                daily = yearly / DAYS_PER_YEAR
            lines.append(
                _line(
                    supply=supply,
                    part=part,
                    kind="STANDING_CHARGE",
                    description=labels.standing_charge,
                    quantity=days,
                    unit=labels.days,
                    unit_price=daily,
                    net=_exact(yearly * days, DAYS_PER_YEAR),
                )
            )
        fee = part.version.monthly_fee
        if fee is not None:
            for first, last, month_days in _months(part.start, part.end):
                days = Decimal(days_in(first, last))
                with localcontext(prec=60):
                    quantity = days / Decimal(month_days)
                lines.append(
                    _line(
                        supply=supply,
                        part=part,
                        kind="MONTHLY_FEE",
                        description=labels.monthly_fee,
                        quantity=quantity,
                        unit=labels.month,
                        unit_price=fee,
                        net=_exact(fee * days, Decimal(month_days)),
                        start=first,
                        end=last,
                    )
                )
    return lines, results


def bill_calculate(*, supplies: Sequence[SupplyInput], labels: Labels | None = None) -> BillCalculation:
    """Lines of every supply, VAT per rate on the net sum, rounded once; gross = net + VAT."""
    labels = labels or Labels()
    result = BillCalculation()
    for supply in supplies:
        lines, registers = supply_lines(supply=supply, labels=labels)
        result.lines.extend(lines)
        result.registers.extend(registers)
    nets: dict[Decimal, Decimal] = {}
    for line in result.lines:
        nets[line.vat_rate] = nets.get(line.vat_rate, Decimal("0.00")) + line.net_amount
    for rate in sorted(nets):
        vat = round_money(nets[rate] * rate)
        result.vat_summary[rate] = (nets[rate], vat)
    result.net_total = sum((net for net, _vat in result.vat_summary.values()), Decimal("0.00"))
    result.vat_total = sum((vat for _net, vat in result.vat_summary.values()), Decimal("0.00"))
    result.gross_total = result.net_total + result.vat_total
    return result
