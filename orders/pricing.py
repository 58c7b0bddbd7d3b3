"""Pricing an order, a rule a customer can check by hand (DESIGN.md):

- each line = quantity x net unit price, rounded to the cent (half up);
- VAT per rate = rate x the sum of that rate's net lines, rounded once (half up);
- gross = net + VAT.

The VAT rate is the one valid on the invoice date in supply's dated VAT
table. That table is kept per utility; a product's VAT category reads the
line that carries the general rate (standard: electricity's, UStG §12(1))
or the reduced one (reduced: piped water's, UStG §12(2)), so a change of the
rates (e.g. the temporary cut of the second half of 2020) is entered once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from core.money import round_money
from meters.models import Utility
from orders.models import VatCategory
from supply.services.tariffs import NoVatRateOnDate, vat_rate_on

ZERO = Decimal("0.00")
VAT_TABLE_LINE = {VatCategory.STANDARD: Utility.ELECTRICITY, VatCategory.REDUCED: Utility.WATER}

__all__ = ["NoVatRateOnDate", "PricedLine", "Priced", "order_price", "vat_rate_for"]


def vat_rate_for(*, category: str, day: dt.date) -> Decimal:
    """The VAT rate of `category` on `day`; raises NoVatRateOnDate without one."""
    return vat_rate_on(utility=VAT_TABLE_LINE[VatCategory(category)], day=day)


@dataclass(frozen=True)
class PricedLine:
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_rate: Decimal
    net_amount: Decimal


@dataclass(frozen=True)
class Priced:
    lines: list[PricedLine]
    # rate -> (net sum, VAT), in order of the rates
    vat_summary: dict[Decimal, tuple[Decimal, Decimal]]
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal


def order_price(lines: list[tuple[str, Decimal, str, Decimal, Decimal]]) -> Priced:
    """Price (description, quantity, unit, net unit price, VAT rate) lines by the rule above."""
    priced = [
        PricedLine(description, quantity, unit, price, rate, round_money(quantity * price))
        for description, quantity, unit, price, rate in lines
    ]
    nets: dict[Decimal, Decimal] = {}
    for line in priced:
        nets[line.vat_rate] = nets.get(line.vat_rate, ZERO) + line.net_amount
    summary = {rate: (net, round_money(net * rate)) for rate, net in sorted(nets.items())}
    net_total = sum((net for net, _vat in summary.values()), ZERO)
    vat_total = sum((vat for _net, vat in summary.values()), ZERO)
    return Priced(priced, summary, net_total, vat_total, net_total + vat_total)
