"""Supplies with reads for the reads pages' tests, built through the real
supply import; long read histories are bulk-created."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from accounts.models import Account
from meters.models import Read, Register, Utility
from supply.models import ServiceAgreement, Tariff
from supply.services.agreements import supply_import
from tests.factories import AccountFactory
from tests.supply.agreement_data import PREMISE, request_for, tariff_make

BERLIN = ZoneInfo("Europe/Berlin")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def supplied(
    *,
    n: int = 1,
    account: Account | None = None,
    start_date: dt.date = dt.date(2026, 1, 1),
    start_read: str = "1000",
    annual: str | None = "3650",
    utility: str = Utility.ELECTRICITY,
    as_of: dt.date | None = None,
) -> ServiceAgreement:
    """An ACTIVE supply imported with its start read (electricity unless told)."""
    code = {Utility.ELECTRICITY: "STROM-BASIS", Utility.GAS: "GAS-BASIS", Utility.WATER: "WASSER"}[utility]
    tariff = Tariff.objects.filter(code=code).first() or tariff_make(code=code, utility=utility)
    obis = {Utility.ELECTRICITY: "1-0:1.8.0", Utility.GAS: "7-0:3.0.0", Utility.WATER: "8-0:1.0.0"}[utility]
    request = request_for(
        tariff,
        n=n,
        start_date=start_date,
        start_reads={obis: Decimal(start_read)},
        expected_annual_consumption=Decimal(annual) if annual else None,
    )
    return supply_import(
        account=account or AccountFactory(customer__language="en"),
        premise=PREMISE,
        request=request,
        as_of=as_of or start_date,
    )


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
