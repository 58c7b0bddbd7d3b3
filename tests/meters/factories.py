"""Meter data for tests: moments in Berlin time, a supply's register, long
read histories (bulk-created), a photo."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from meters.models import Read, Register
from supply.models import ServiceAgreement

BERLIN = ZoneInfo("Europe/Berlin")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def register_of(agreement: ServiceAgreement) -> Register:
    return Register.objects.get(meter__supply_point=agreement.supply_point, meter__removed_on__isnull=True)


def daily_reads(register: Register, *, first: dt.date, days: int, start: Decimal, per_day: Decimal) -> list[Read]:
    """One smart read a day at 00:00 from `first` (exclusive of the start read on that day)."""
    return Read.objects.bulk_create(
        Read(
            register=register,
            taken_at=at(day.year, day.month, day.day),
            value=start + per_day * offset,
            source=Read.Source.SMART,
        )
        for offset in range(1, days + 1)
        for day in [first + dt.timedelta(days=offset)]
    )
