"""Supplies at chosen postcodes and interruptions, built through the real services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from meters.models import Utility
from meters.services import PremiseData
from outages.models import Interruption
from outages.services import interruption_log
from supply.models import ServiceAgreement, Tariff
from supply.services.agreements import supply_import
from tests.accounts.factories import AccountFactory
from tests.supply.factories import request_for, tariff_make

BERLIN = ZoneInfo("Europe/Berlin")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def supply_at(
    n: int,
    *,
    postcode: str = "10115",
    utility: str = Utility.ELECTRICITY,
    start_date: dt.date = dt.date(2026, 1, 1),
    end_date: dt.date | None = None,
    account=None,
    language: str = "en",
) -> ServiceAgreement:
    """An ACTIVE supply at its own address in `postcode` (ENDED on `end_date` when given)."""
    code = {Utility.ELECTRICITY: "STROM-BASIS", Utility.GAS: "GAS-BASIS", Utility.WATER: "WASSER"}[utility]
    tariff = Tariff.objects.filter(code=code).first() or tariff_make(code=code, utility=utility)
    obis = {Utility.ELECTRICITY: "1-0:1.8.0", Utility.GAS: "7-0:3.0.0", Utility.WATER: "8-0:1.0.0"}[utility]
    request = request_for(tariff, n=n, start_date=start_date, start_reads={obis: Decimal("1000")})
    agreement = supply_import(
        account=account or AccountFactory(customer__language=language),
        premise=PremiseData(street="Hauptstraße", house_number=str(n), postcode=postcode, city="Berlin"),
        request=request,
        as_of=start_date,
    )
    if end_date is not None:
        ServiceAgreement.objects.filter(pk=agreement.pk).update(status=ServiceAgreement.Status.ENDED, end_date=end_date)
        agreement.refresh_from_db()
    return agreement


def interruption_make(
    *,
    postcodes=("10115",),
    supply_points=(),
    utility: str = Utility.ELECTRICITY,
    planned: bool = False,
    cause: str = "GRID_FAULT",
    started_at: dt.datetime = at(2026, 6, 10, 8, 0),
    expected_end_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
    reference: str | None = None,
    now: dt.datetime | None = None,
) -> Interruption:
    interruption, _created = interruption_log(
        utility=utility,
        planned=planned,
        cause=cause,
        started_at=started_at,
        expected_end_at=expected_end_at,
        ended_at=ended_at,
        postcodes=postcodes,
        supply_points=supply_points,
        reference=reference,
        source=Interruption.Source.AGENT,
        now=now or max(started_at, ended_at or started_at),
    )
    return interruption
