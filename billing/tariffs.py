"""Reads of tariffs, price versions and VAT rates by date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from billing.models import Tariff, TariffPrice, TariffVersion, VatRate
from metering.models import Utility
from portal.core.money import round_money


class NoPriceOnDate(LookupError):
    """The tariff has no price version (or no price for the register) on that day."""


class NoVatRateOnDate(LookupError):
    """No VAT rate is configured for the utility on that day."""


def version_on(*, tariff: Tariff, day: dt.date) -> TariffVersion:
    """The price version in force on `day` (the latest one starting on or before it)."""
    version = (
        TariffVersion.objects.filter(tariff=tariff, valid_from__lte=day)
        .prefetch_related("prices")
        .order_by("-valid_from", "-id")
        .first()
    )
    if version is None:
        raise NoPriceOnDate(f"{tariff.code} has no prices on {day}")
    return version


def unit_price(*, version: TariffVersion, obis: str) -> Decimal:
    """The net price per unit for a register: its own price, else the "*" price."""
    prices = {price.obis: price.unit_price for price in version.prices.all()}
    if obis in prices:
        return prices[obis]
    if TariffPrice.ALL_REGISTERS in prices:
        return prices[TariffPrice.ALL_REGISTERS]
    raise NoPriceOnDate(f"{version} has no price for register {obis}")


def vat_rate_on(*, utility: str, day: dt.date) -> Decimal:
    rate = VatRate.objects.filter(utility=utility, valid_from__lte=day).order_by("-valid_from").first()
    if rate is None:
        raise NoVatRateOnDate(f"no VAT rate for {utility} on {day}")
    return rate.rate


@dataclass(frozen=True)
class YearlyEstimate:
    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_rate: Decimal


def yearly_estimate(*, tariff: Tariff, consumption: Decimal | None, day: dt.date) -> YearlyEstimate:
    """What a year at today's prices costs for `consumption` units (the offer's
    yearly cost): standing charge (or 12 monthly fees) + units x unit price."""
    version = version_on(tariff=tariff, day=day)
    if tariff.utility == Utility.INTERNET:
        net = round_money((version.monthly_fee or Decimal("0")) * 12)
    else:
        prices = [price.unit_price for price in version.prices.all()]
        price = unit_price(version=version, obis=TariffPrice.ALL_REGISTERS) if prices else Decimal("0")
        if TariffPrice.ALL_REGISTERS not in {p.obis for p in version.prices.all()} and prices:
            price = sum(prices, Decimal("0")) / len(prices)
        standing = version.standing_charge_per_year or Decimal("0")
        net = round_money(standing) + round_money((consumption or Decimal("0")) * price)
    rate = vat_rate_on(utility=tariff.utility, day=day)
    vat = round_money(net * rate)
    return YearlyEstimate(net=net, vat=vat, gross=net + vat, vat_rate=rate)


def tariffs_offered(*, utility: str, customer_type: str, day: dt.date) -> list[Tariff]:
    """Tariffs a new customer can choose that have prices on `day`."""
    tariffs = (
        Tariff.objects.filter(
            utility=utility, customer_type=customer_type, is_offered=True, versions__valid_from__lte=day
        )
        .distinct()
        .order_by("code", "id")
    )
    return list(tariffs)
