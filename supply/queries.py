"""Reads for supply set-up: tariff offers, supplies, the agents' queues."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer
from core.money import round_money
from meters.models import GasConversionFactor, Meter, Read, Register, Utility
from meters.queries import gas_factors_on
from supply.models import ServiceAgreement, Tariff, TariffPrice, TariffVersion
from supply.services.tariffs import (
    NoVatRateOnDate,
    YearlyEstimate,
    tariffs_offered,
    vat_rate_on,
    version_on,
    yearly_estimate_at,
)

logger = logging.getLogger(__name__)

Status = ServiceAgreement.Status

# What a customer reads for a register (the OBIS code stays beside it for agents).
REGISTER_LABELS = {
    "1-0:1.8.0": _("Meter reading"),
    "1-0:1.8.1": _("Reading HT (peak rate)"),
    "1-0:1.8.2": _("Reading NT (off-peak rate)"),
    "7-0:3.0.0": _("Meter reading (m³)"),
    "8-0:1.0.0": _("Meter reading (m³)"),
}
# The unit a price and an expected consumption refer to (gas is billed in kWh).
PRICE_UNITS = {Utility.ELECTRICITY: _("kWh"), Utility.GAS: _("kWh"), Utility.WATER: _("m³")}
UTILITY_ICONS = {Utility.ELECTRICITY: "⚡", Utility.GAS: "🔥", Utility.WATER: "💧", Utility.INTERNET: "🌐"}
STATUS_BADGES = {
    Status.REQUESTED: "text-bg-warning",
    Status.CONFIRMED: "text-bg-info",
    Status.ACTIVE: "text-bg-success",
    Status.ENDING: "text-bg-secondary",
    Status.ENDED: "text-bg-light",
    Status.REJECTED: "text-bg-danger",
    Status.CANCELLED: "text-bg-light",
}
UNIT_PRICE_PLACES = Decimal("0.0001")


def register_label(obis: str) -> str:
    return str(REGISTER_LABELS.get(obis, obis))


# --- Offers --------------------------------------------------------------------


@dataclass(frozen=True)
class PriceLine:
    """`obis`: the register a unit price is for ("*": every register); empty for a charge."""

    label: str
    net: Decimal
    gross: Decimal
    obis: str = ""


@dataclass(frozen=True)
class TariffOffer:
    """A tariff as the customer compares it: prices net and gross (valid
    from `prices_valid_from`), and the yearly cost for the consumption
    entered (None until one is entered)."""

    tariff: Tariff
    prices_valid_from: dt.date
    vat_rate: Decimal
    unit_prices: list[PriceLine]
    standing_charge: PriceLine | None
    monthly_fee: PriceLine | None
    estimate: YearlyEstimate | None

    @property
    def vat_percent(self) -> Decimal:
        return (self.vat_rate * 100).normalize()


def _gross_unit_price(net: Decimal, rate: Decimal) -> Decimal:
    return (net * (1 + rate)).quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP)


def _offer(*, tariff: Tariff, version: TariffVersion, rate: Decimal, consumption: Decimal | None) -> TariffOffer:
    """The offer for a price version (its prices prefetched) and VAT rate already loaded."""
    prices = sorted(version.prices.all(), key=lambda p: (p.obis != TariffPrice.ALL_REGISTERS, p.obis))
    unit_prices = [
        PriceLine(
            label="" if price.obis == TariffPrice.ALL_REGISTERS else register_label(price.obis),
            net=price.unit_price,
            gross=_gross_unit_price(price.unit_price, rate),
            obis=price.obis,
        )
        for price in prices
    ]
    standing = monthly = None
    if version.standing_charge_per_year is not None:
        net = version.standing_charge_per_year
        standing = PriceLine(label="", net=net, gross=round_money(net * (1 + rate)))
    if version.monthly_fee is not None:
        net = version.monthly_fee
        monthly = PriceLine(label="", net=net, gross=round_money(net * (1 + rate)))
    estimate = None
    if consumption is not None or tariff.utility == Utility.INTERNET:
        estimate = yearly_estimate_at(utility=tariff.utility, version=version, vat_rate=rate, consumption=consumption)
    return TariffOffer(
        tariff=tariff,
        prices_valid_from=version.valid_from,
        vat_rate=rate,
        unit_prices=unit_prices,
        standing_charge=standing,
        monthly_fee=monthly,
        estimate=estimate,
    )


def tariff_offer(*, tariff: Tariff, consumption: Decimal | None, day: dt.date) -> TariffOffer:
    """Raises NoPriceOnDate / NoVatRateOnDate when the tariff cannot be priced on `day`."""
    version = version_on(tariff=tariff, day=day)
    rate = vat_rate_on(utility=tariff.utility, day=day)
    return _offer(tariff=tariff, version=version, rate=rate, consumption=consumption)


def tariff_offers(*, utility: str, customer_type: str, consumption: Decimal | None, day: dt.date) -> list[TariffOffer]:
    """The offered tariffs for a utility and customer type, priced on `day`,
    in four queries however many there are (none without a VAT rate on `day`)."""
    tariffs = tariffs_offered(utility=utility, customer_type=customer_type, day=day)
    try:
        rate = vat_rate_on(utility=utility, day=day)
    except NoVatRateOnDate as error:
        logger.warning("No tariff offered: %s", error)
        return []
    current = (
        TariffVersion.objects.filter(valid_from__lte=day).order_by("-valid_from", "-id").prefetch_related("prices")
    )
    prefetch_related_objects(tariffs, Prefetch("versions", queryset=current, to_attr="versions_until_day"))
    # tariffs_offered keeps only tariffs with a version on or before `day`.
    return [
        _offer(tariff=tariff, version=tariff.versions_until_day[0], rate=rate, consumption=consumption)
        for tariff in tariffs
    ]


# --- Checks before a request is accepted -------------------------------------


def supply_point_taken(*, utility: str, identifier: str, start_date: dt.date) -> bool:
    """Whether an agreement held or holds the supply point on or after
    `start_date`. Ended agreements count too: a backdated start may not reach
    into the previous tenant's time (their reads are theirs)."""
    return (
        ServiceAgreement.objects.filter(
            supply_point__utility=utility,
            supply_point__identifier=identifier,
        )
        .exclude(status__in=(ServiceAgreement.Status.REJECTED, ServiceAgreement.Status.CANCELLED))
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start_date))
        .exists()
    )


def meter_installed_elsewhere(*, serial: str, utility: str, identifier: str) -> bool:
    return (
        Meter.objects.filter(serial=serial.strip())
        .exclude(supply_point__utility=utility, supply_point__identifier=identifier)
        .exists()
    )


# --- Supplies for the customer's dashboard -------------------------------------


@dataclass(frozen=True)
class SupplyCard:
    agreement: ServiceAgreement
    meter: Meter | None
    gas_factors: GasConversionFactor | None

    @property
    def icon(self) -> str:
        return UTILITY_ICONS[Utility(self.agreement.supply_point.utility)]

    @property
    def badge(self) -> str:
        return STATUS_BADGES[Status(self.agreement.status)]


def _current_meters() -> Prefetch:
    return Prefetch(
        "supply_point__meters",
        queryset=Meter.objects.filter(removed_on__isnull=True).order_by("-installed_on", "-id"),
        to_attr="current_meters",
    )


def supply_cards(*, customer: Customer, day: dt.date) -> list[SupplyCard]:
    """The customer's supplies, newest first; live gas supplies carry the
    conversion factors valid on `day`."""
    agreements = (
        ServiceAgreement.objects.filter(account__customer=customer)
        .exclude(status=Status.CANCELLED)
        .select_related("account", "supply_point__premise", "tariff")
        .prefetch_related(_current_meters())
        .order_by("-start_date", "-id")
    )
    cards = []
    for agreement in agreements:
        supply_point = agreement.supply_point
        factors = None
        if supply_point.utility == Utility.GAS and agreement.is_live:
            factors = gas_factors_on(supply_point=supply_point, day=day)
        meters = supply_point.current_meters
        cards.append(SupplyCard(agreement=agreement, meter=meters[0] if meters else None, gas_factors=factors))
    return cards


# --- Back-office -------------------------------------------------------------------


def _queue(status: str) -> QuerySet[ServiceAgreement]:
    return (
        ServiceAgreement.objects.filter(status=status)
        .select_related("account__customer", "supply_point__premise", "tariff")
        .prefetch_related(_current_meters())
    )


def pending_setups() -> QuerySet[ServiceAgreement]:
    """Requested agreements waiting for an agent, oldest request first."""
    return _queue(Status.REQUESTED).order_by("requested_at", "id")


def pending_setups_count() -> int:
    return ServiceAgreement.objects.filter(status=Status.REQUESTED).count()


def confirmed_waiting() -> QuerySet[ServiceAgreement]:
    """Confirmed agreements waiting for their start date, soonest first."""
    return _queue(Status.CONFIRMED).order_by("start_date", "id")


LAST_READS_PER_REGISTER = 3


def customer_supplies(*, customer: Customer) -> list[ServiceAgreement]:
    """Every agreement of the customer with its supply point, meters, registers
    and each register's last reads (for the agents' customer page)."""
    reads = Read.objects.order_by("-taken_at", "-id")[:LAST_READS_PER_REGISTER]
    registers = Register.objects.order_by("obis", "id").prefetch_related(
        Prefetch("reads", queryset=reads, to_attr="last_reads")
    )
    meters = Meter.objects.order_by("-installed_on", "-id").prefetch_related(Prefetch("registers", queryset=registers))
    return list(
        ServiceAgreement.objects.filter(account__customer=customer)
        .select_related("account", "supply_point__premise", "tariff")
        .prefetch_related(Prefetch("supply_point__meters", queryset=meters))
        .order_by("-start_date", "-id")
    )
