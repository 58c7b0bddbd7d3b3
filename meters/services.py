"""Writes for premises, supply points, meters and reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from meters.identifiers import is_market_location_id
from meters.models import (
    DEFAULT_OBIS,
    DEFAULT_UNIT,
    MARKET_LOCATION_UTILITIES,
    Meter,
    Premise,
    Read,
    Register,
    SupplyPoint,
    Utility,
)


class InvalidSupplyPointId(ValueError):
    """The id does not fit the utility (e.g. a market location id with a wrong check digit)."""


class MeterBelongsElsewhere(ValueError):
    """The meter number is installed at another supply point."""


@dataclass(frozen=True)
class PremiseData:
    street: str
    house_number: str
    postcode: str
    city: str
    country: str = "DE"
    address_extra: str = ""


def supply_point_id_check(*, utility: str, identifier: str) -> str:
    """The normalised id, or InvalidSupplyPointId with a message a person understands."""
    value = "".join((identifier or "").split())
    if utility in MARKET_LOCATION_UTILITIES:
        if not is_market_location_id(value):
            raise InvalidSupplyPointId(
                _("A market location id has 11 digits and ends in its check digit (see your last bill).")
            )
        return value
    if not value or len(value) > 40:
        raise InvalidSupplyPointId(_("Please enter the id of the connection (at most 40 characters)."))
    return value


def premise_get_or_create(*, data: PremiseData) -> Premise:
    premise, _created = Premise.objects.get_or_create(
        street=data.street.strip(),
        house_number=data.house_number.strip(),
        postcode=data.postcode.strip(),
        city=data.city.strip(),
        country=data.country,
        defaults={"address_extra": data.address_extra.strip()},
    )
    return premise


def supply_point_get_or_create(
    *, premise: Premise, utility: str, identifier: str, network_area: str = ""
) -> SupplyPoint:
    identifier = supply_point_id_check(utility=utility, identifier=identifier)
    supply_point, created = SupplyPoint.objects.get_or_create(
        utility=utility, identifier=identifier, defaults={"premise": premise, "network_area": network_area}
    )
    return supply_point


def meter_install(
    *,
    supply_point: SupplyPoint,
    serial: str,
    installed_on: dt.date,
    kind: str = Meter.Kind.CONVENTIONAL,
    obis_codes: list[str] | None = None,
) -> Meter:
    """The meter with its registers (the utility's default register when none is named)."""
    serial = serial.strip()
    with transaction.atomic():
        meter = Meter.objects.select_for_update().filter(serial=serial).first()
        if meter is not None and meter.supply_point_id != supply_point.pk:
            raise MeterBelongsElsewhere(
                _("Meter %(serial)s is installed at another supply point.") % {"serial": serial}
            )
        if meter is None:
            meter = Meter.objects.create(supply_point=supply_point, serial=serial, kind=kind, installed_on=installed_on)
        codes = obis_codes or [DEFAULT_OBIS[Utility(supply_point.utility)]]
        unit = DEFAULT_UNIT[Utility(supply_point.utility)]
        for code in codes:
            Register.objects.get_or_create(meter=meter, obis=code.strip(), defaults={"unit": unit})
    return meter


def read_record(
    *,
    register: Register,
    taken_at: dt.datetime,
    value: Decimal,
    source: str,
    quality: str = Read.Quality.VALID,
    reason: str = "",
) -> Read:
    """Store a read once: the same register, moment and source is not stored twice."""
    read, _created = Read.objects.get_or_create(
        register=register,
        taken_at=taken_at,
        source=source,
        defaults={"value": value, "quality": quality, "reason": reason},
    )
    return read
