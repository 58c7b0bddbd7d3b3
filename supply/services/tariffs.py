"""Tariffs: price versions and VAT rates by date, and adding a price version.

A new price version is checked as a whole (`tariff_version_check`): internet
tariffs have a monthly fee and no unit prices, metered tariffs a standing
charge per year and at least one unit price; amounts are not negative and
have at most 6 decimals (standing charges and fees: cents); one version per
tariff and date. When customers are supplied under the tariff, new prices
must be announced PRICE_CHANGE_NOTICE_WEEKS weeks ahead, and every affected
customer gets one price-change notice (`tariff_version_add`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import communications
from core.money import CENT, round_money
from meters.models import Utility
from supply.models import ServiceAgreement, Tariff, TariffPrice, TariffVersion, VatRate

# An OBIS code as meters name their registers, e.g. 1-0:1.8.1 (HT) or 7-0:3.0.0.
OBIS_CODE = re.compile(r"^\d{1,3}-\d{1,3}:\d{1,3}\.\d{1,3}\.\d{1,3}$")
UNIT_PRICE_PLACES = 6
CHARGE_PLACES = 2
# The database columns' limits: unit prices 12 digits (6 decimals), charges 10 digits (2 decimals).
UNIT_PRICE_LIMIT = Decimal(10) ** (12 - UNIT_PRICE_PLACES)
CHARGE_LIMIT = Decimal(10) ** (10 - CHARGE_PLACES)
# Gross prices in the price-change notice: unit prices to a hundredth of a cent.
GROSS_UNIT_PRICE_PLACES = Decimal("0.0001")

# Sent by `tariff_version_add` inside its transaction, with `version` and `as_of`.
price_version_added = Signal()


class NoPriceOnDate(LookupError):
    """The tariff has no price version (or no price for the register) on that day."""


class NoVatRateOnDate(LookupError):
    """No VAT rate is configured for the utility on that day."""


class TariffVersionRefused(ValueError):
    """A price version that cannot be added; `field` names the input at fault
    (valid_from, standing_charge_per_year, monthly_fee or unit_prices)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        self.field = field
        super().__init__(message)


class PriceChangeTooSoon(TariffVersionRefused):
    """Customers are supplied under the tariff and the new prices would apply
    before the legal notice period has run; `earliest` is the first allowed day."""

    def __init__(self, *, earliest: dt.date) -> None:
        self.earliest = earliest
        super().__init__(
            _(
                "Customers are supplied under this tariff: a price change must be announced "
                "%(weeks)d weeks ahead, so new prices can apply from %(date)s at the earliest."
            )
            % {"weeks": settings.PRICE_CHANGE_NOTICE_WEEKS, "date": date_format(earliest, "DATE_FORMAT")},
            field="valid_from",
        )


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
    rate = VatRate.objects.filter(utility=utility, valid_from__lte=day).order_by("-valid_from", "-id").first()
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
    """What a year at the prices of `day` costs for `consumption` units (the
    offer's yearly cost): standing charge (or 12 monthly fees) + units x unit
    price. A tariff priced per register only (HT/NT) is estimated at the mean
    of its register prices, as if the consumption were spread evenly."""
    version = version_on(tariff=tariff, day=day)
    rate = vat_rate_on(utility=tariff.utility, day=day)
    return yearly_estimate_at(utility=tariff.utility, version=version, vat_rate=rate, consumption=consumption)


def yearly_estimate_at(
    *, utility: str, version: TariffVersion, vat_rate: Decimal, consumption: Decimal | None
) -> YearlyEstimate:
    """`yearly_estimate` for a price version (its prices prefetched) and VAT
    rate already loaded, so many estimates need no queries."""
    if utility == Utility.INTERNET:
        net = round_money((version.monthly_fee or Decimal("0")) * 12)
    else:
        prices = {price.obis: price.unit_price for price in version.prices.all()}
        if TariffPrice.ALL_REGISTERS in prices:
            price = prices[TariffPrice.ALL_REGISTERS]
        elif prices:
            price = sum(prices.values(), Decimal("0")) / len(prices)
        else:
            price = Decimal("0")
        standing = version.standing_charge_per_year or Decimal("0")
        net = round_money(standing) + round_money((consumption or Decimal("0")) * price)
    vat = round_money(net * vat_rate)
    return YearlyEstimate(net=net, vat=vat, gross=net + vat, vat_rate=vat_rate)


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


# --- Adding a price version ---------------------------------------------------


@dataclass(frozen=True)
class VersionPrices:
    """A price version's amounts, checked and at their stored precision."""

    standing_charge_per_year: Decimal | None
    monthly_fee: Decimal | None
    unit_prices: dict[str, Decimal]

    def same_as(self, version: TariffVersion) -> bool:
        """True when `version` holds exactly these amounts."""
        return (
            self.standing_charge_per_year == version.standing_charge_per_year
            and self.monthly_fee == version.monthly_fee
            and self.unit_prices == {price.obis: price.unit_price for price in version.prices.all()}
        )


def _amount(value: object, *, label: str, field: str, places: int, limit: Decimal) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        raise TariffVersionRefused(_("%(label)s must be a number.") % {"label": label}, field=field)
    if value < 0:
        raise TariffVersionRefused(_("%(label)s must not be negative.") % {"label": label}, field=field)
    if value >= limit:
        raise TariffVersionRefused(_("%(label)s is too large.") % {"label": label}, field=field)
    step = Decimal(1).scaleb(-places)
    if value != value.quantize(step):
        raise TariffVersionRefused(
            _("%(label)s may have at most %(places)d decimals.") % {"label": label, "places": places}, field=field
        )
    return value.quantize(step)


def version_prices_check(
    *,
    utility: str,
    standing_charge_per_year: Decimal | None,
    monthly_fee: Decimal | None,
    unit_prices: Mapping[str, Decimal],
) -> VersionPrices:
    """The amounts of a price version for `utility`, or TariffVersionRefused
    naming the field at fault."""
    if utility == Utility.INTERNET:
        if monthly_fee is None:
            raise TariffVersionRefused(_("An internet tariff needs a monthly fee."), field="monthly_fee")
        if standing_charge_per_year is not None:
            raise TariffVersionRefused(
                _("An internet tariff has a monthly fee, not a standing charge per year."),
                field="standing_charge_per_year",
            )
        if unit_prices:
            raise TariffVersionRefused(_("An internet tariff has no prices per unit."), field="unit_prices")
        fee = _amount(
            monthly_fee, label=_("The monthly fee"), field="monthly_fee", places=CHARGE_PLACES, limit=CHARGE_LIMIT
        )
        return VersionPrices(standing_charge_per_year=None, monthly_fee=fee, unit_prices={})
    if standing_charge_per_year is None:
        raise TariffVersionRefused(
            _("A metered tariff needs a standing charge per year (0.00 for none)."), field="standing_charge_per_year"
        )
    if monthly_fee is not None:
        raise TariffVersionRefused(
            _("A metered tariff has a standing charge per year, not a monthly fee."), field="monthly_fee"
        )
    if not unit_prices:
        raise TariffVersionRefused(
            _('A metered tariff needs at least one price per unit ("*" for every register).'), field="unit_prices"
        )
    standing = _amount(
        standing_charge_per_year,
        label=_("The standing charge"),
        field="standing_charge_per_year",
        places=CHARGE_PLACES,
        limit=CHARGE_LIMIT,
    )
    prices: dict[str, Decimal] = {}
    for obis, price in unit_prices.items():
        code = str(obis).strip()
        if code != TariffPrice.ALL_REGISTERS and not OBIS_CODE.fullmatch(code):
            raise TariffVersionRefused(
                _('"%(obis)s" is not a register: use an OBIS code like 1-0:1.8.1, or "*" for every register.')
                % {"obis": code},
                field="unit_prices",
            )
        if code in prices:
            raise TariffVersionRefused(_("The register %(obis)s has two prices.") % {"obis": code}, field="unit_prices")
        prices[code] = _amount(
            price,
            label=_("The price for %(obis)s") % {"obis": code},
            field="unit_prices",
            places=UNIT_PRICE_PLACES,
            limit=UNIT_PRICE_LIMIT,
        )
    return VersionPrices(standing_charge_per_year=standing, monthly_fee=None, unit_prices=prices)


def _affected_agreements(*, tariff: Tariff, valid_from: dt.date):
    """Live agreements under the tariff that are still running on `valid_from`."""
    return ServiceAgreement.objects.filter(tariff=tariff, status__in=ServiceAgreement.LIVE_STATES).exclude(
        end_date__lt=valid_from
    )


def earliest_price_change(*, as_of: dt.date) -> dt.date:
    """The first day new prices may apply to customers already supplied."""
    return as_of + dt.timedelta(weeks=settings.PRICE_CHANGE_NOTICE_WEEKS)


def tariff_version_check(
    *,
    tariff: Tariff,
    valid_from: dt.date,
    standing_charge_per_year: Decimal | None = None,
    monthly_fee: Decimal | None = None,
    unit_prices: Mapping[str, Decimal],
    as_of: dt.date,
) -> VersionPrices:
    """Everything `tariff_version_add` checks before it writes; raises
    TariffVersionRefused (PriceChangeTooSoon for the notice rule)."""
    if not isinstance(valid_from, dt.date) or isinstance(valid_from, dt.datetime):
        raise TariffVersionRefused(_("Please enter the date the prices apply from."), field="valid_from")
    prices = version_prices_check(
        utility=tariff.utility,
        standing_charge_per_year=standing_charge_per_year,
        monthly_fee=monthly_fee,
        unit_prices=unit_prices,
    )
    if TariffVersion.objects.filter(tariff=tariff, valid_from=valid_from).exists():
        raise _overlap(valid_from)
    earliest = earliest_price_change(as_of=as_of)
    if valid_from < earliest and _affected_agreements(tariff=tariff, valid_from=valid_from).exists():
        raise PriceChangeTooSoon(earliest=earliest)
    return prices


def _overlap(valid_from: dt.date) -> TariffVersionRefused:
    return TariffVersionRefused(
        _("The tariff already has prices from %(date)s: overlapping versions are refused.")
        % {"date": date_format(valid_from, "DATE_FORMAT")},
        field="valid_from",
    )


def tariff_version_add(
    *,
    tariff: Tariff,
    valid_from: dt.date,
    standing_charge_per_year: Decimal | None = None,
    monthly_fee: Decimal | None = None,
    unit_prices: dict[str, Decimal],
    as_of: dt.date,
) -> TariffVersion:
    """Add a price version from `valid_from`. Customers supplied under the
    tariff get one price-change notice each (after commit), with the old and
    new prices, the date and their right to cancel."""
    with transaction.atomic():
        tariff = Tariff.objects.select_for_update().get(pk=tariff.pk)
        prices = tariff_version_check(
            tariff=tariff,
            valid_from=valid_from,
            standing_charge_per_year=standing_charge_per_year,
            monthly_fee=monthly_fee,
            unit_prices=unit_prices,
            as_of=as_of,
        )
        previous = (
            TariffVersion.objects.filter(tariff=tariff, valid_from__lt=valid_from)
            .prefetch_related("prices")
            .order_by("-valid_from", "-id")
            .first()
        )
        try:
            with transaction.atomic():
                version = TariffVersion.objects.create(
                    tariff=tariff,
                    valid_from=valid_from,
                    standing_charge_per_year=prices.standing_charge_per_year,
                    monthly_fee=prices.monthly_fee,
                )
        except IntegrityError as error:
            raise _overlap(valid_from) from error
        for obis, price in prices.unit_prices.items():
            TariffPrice.objects.create(version=version, obis=obis, unit_price=price)
        _price_change_notify(tariff=tariff, previous=previous, version=version)
        price_version_added.send(sender=TariffVersion, version=version, as_of=as_of)
    return version


# --- The price-change notice --------------------------------------------------


@dataclass(frozen=True)
class PriceLine:
    """One price in the notice: net and gross, before and from the change."""

    label: Promise | str
    unit: Promise | str
    old_net: Decimal | None
    old_gross: Decimal | None
    new_net: Decimal
    new_gross: Decimal


def _for_display(price: Decimal) -> Decimal:
    """A unit price with at least four decimals and no more than it needs."""
    shown = price.quantize(GROSS_UNIT_PRICE_PLACES)
    return shown if shown == price else price.normalize()


def _gross(net: Decimal, rate: Decimal, *, places: Decimal) -> Decimal:
    return round_money(net * (1 + rate), places=places)


def _vat_rate_for_notice(*, utility: str, day: dt.date) -> Decimal:
    try:
        return vat_rate_on(utility=utility, day=day)
    except NoVatRateOnDate as error:
        raise TariffVersionRefused(
            _("No VAT rate is set up for this utility on %(date)s; please add one first.")
            % {"date": date_format(day, "DATE_FORMAT")},
            field="valid_from",
        ) from error


def _price_or_none(version: TariffVersion, obis: str) -> Decimal | None:
    try:
        return _for_display(unit_price(version=version, obis=obis))
    except NoPriceOnDate:
        return None


def _price_lines(*, tariff: Tariff, previous: TariffVersion | None, version: TariffVersion) -> list[PriceLine]:
    new_rate = _vat_rate_for_notice(utility=tariff.utility, day=version.valid_from)
    old_rate = (
        _vat_rate_for_notice(utility=tariff.utility, day=version.valid_from - dt.timedelta(days=1))
        if previous
        else new_rate
    )

    def line(label, unit, old: Decimal | None, new: Decimal, places: Decimal) -> PriceLine:
        return PriceLine(
            label=label,
            unit=unit,
            old_net=old,
            old_gross=_gross(old, old_rate, places=places) if old is not None else None,
            new_net=new,
            new_gross=_gross(new, new_rate, places=places),
        )

    if tariff.utility == Utility.INTERNET:
        old_fee = previous.monthly_fee if previous else None
        return [line(gettext_lazy("Monthly fee"), gettext_lazy("EUR per month"), old_fee, version.monthly_fee, CENT)]
    lines = [
        line(
            gettext_lazy("Standing charge"),
            gettext_lazy("EUR per year"),
            previous.standing_charge_per_year if previous else None,
            version.standing_charge_per_year,
            CENT,
        )
    ]
    unit = gettext_lazy("EUR per m³") if tariff.utility == Utility.WATER else gettext_lazy("EUR per kWh")
    # Every register either version prices, "*" (every other register) first.
    registers = sorted(
        {price.obis for price in version.prices.all()} | {price.obis for price in previous.prices.all()}
        if previous
        else {price.obis for price in version.prices.all()},
        key=lambda obis: (obis != TariffPrice.ALL_REGISTERS, obis),
    )
    for obis in registers:
        new = _price_or_none(version, obis)
        if new is None:
            continue
        old = _price_or_none(previous, obis) if previous else None
        if obis != TariffPrice.ALL_REGISTERS:
            label = format_lazy(gettext_lazy("Price per unit, register {obis}"), obis=obis)
        elif len(registers) > 1:
            label = gettext_lazy("Price per unit, other registers")
        else:
            label = gettext_lazy("Price per unit")
        lines.append(line(label, unit, old, new, GROSS_UNIT_PRICE_PLACES))
    return lines


def _price_change_notify(*, tariff: Tariff, previous: TariffVersion | None, version: TariffVersion) -> None:
    """One notice per affected customer (however many agreements they have
    under the tariff), in their language."""
    agreements = list(
        _affected_agreements(tariff=tariff, valid_from=version.valid_from)
        .select_related("account__customer", "supply_point__premise")
        .order_by("account__customer_id", "start_date", "id")
    )
    if not agreements:
        return
    lines = _price_lines(tariff=tariff, previous=previous, version=version)
    by_customer: dict[int, list[ServiceAgreement]] = {}
    for agreement in agreements:
        by_customer.setdefault(agreement.account.customer_id, []).append(agreement)
    for customer_agreements in by_customer.values():
        customer = customer_agreements[0].account.customer
        communications.message_send(
            recipient=customer.as_recipient(),
            template="price_change_notice",
            context={
                "customer": customer,
                "tariff": tariff,
                "valid_from": version.valid_from,
                "lines": lines,
                "agreements": customer_agreements,
            },
        )
