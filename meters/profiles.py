"""Standard load profile: how a household's yearly consumption spreads over
the days of a year, for estimates and plausibility checks without history.

The shape follows BDEW's household profile H0 on a daily resolution:

- the season comes from BDEW's dynamisation polynomial
  F(t) = -3.92e-10 t^4 + 3.2e-7 t^3 - 7.02e-5 t^2 + 2.1e-3 t + 1.24,
  t = day of the year (1 = 1 January), about 1.24 in winter and 0.80 in summer;
- the kind of day weighs it: a working day 1.00, a Saturday 1.07, a Sunday
  1.12 (households use more at home at weekends; the ratios of H0's daily
  energy per day type). As in BDEW's profile, a nationwide German public
  holiday counts as a Sunday, and 24 and 31 December count as Saturdays
  (unless they fall on a Sunday);
- each day's weight is divided by the sum of the weights of its year, so the
  shares of a year sum to 1 (leap years have 366 shares).

Everything is computed in Decimal; the shares are kept to 28 significant
digits and not rounded, so that quantities built from them are rounded once,
where they are used.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal, localcontext
from zoneinfo import ZoneInfo

from dateutil.easter import easter
from django.conf import settings

H0 = "H0"

# Coefficients of t^4, t^3, t^2, t and 1.
DYNAMISATION = (Decimal("-3.92E-10"), Decimal("3.2E-7"), Decimal("-7.02E-5"), Decimal("2.1E-3"), Decimal("1.24"))
WORKING_DAY_WEIGHT = Decimal("1.00")
SATURDAY_WEIGHT = Decimal("1.07")
SUNDAY_WEIGHT = Decimal("1.12")
PRECISION = 28
SATURDAY, SUNDAY = 5, 6


class UnknownProfile(ValueError):
    """Only the household profile H0 is built in."""


def dynamisation(t: int) -> Decimal:
    """BDEW's seasonal factor for day `t` of the year (Horner's scheme)."""
    with localcontext(prec=PRECISION):
        result = Decimal(0)
        for coefficient in DYNAMISATION:
            result = result * t + coefficient
        return result


def public_holidays(year: int) -> frozenset[dt.date]:
    """Public holidays in every German state."""
    easter_sunday = easter(year)
    return frozenset(
        {
            dt.date(year, 1, 1),
            easter_sunday - dt.timedelta(days=2),  # Good Friday
            easter_sunday + dt.timedelta(days=1),  # Easter Monday
            dt.date(year, 5, 1),
            easter_sunday + dt.timedelta(days=39),  # Ascension Day
            easter_sunday + dt.timedelta(days=50),  # Whit Monday
            dt.date(year, 10, 3),
            dt.date(year, 12, 25),
            dt.date(year, 12, 26),
        }
    )


def day_weight(day: dt.date, holidays: frozenset[dt.date]) -> Decimal:
    if day.weekday() == SUNDAY or day in holidays:
        return SUNDAY_WEIGHT
    if day.weekday() == SATURDAY or (day.month == 12 and day.day in (24, 31)):
        return SATURDAY_WEIGHT
    return WORKING_DAY_WEIGHT


@functools.lru_cache(maxsize=64)
def _year_shares(year: int, profile: str) -> tuple[Decimal, ...]:
    """Every day's share of the year, 1 January first."""
    if profile != H0:
        raise UnknownProfile(f"Unknown load profile {profile!r}; only {H0} is built in.")
    holidays = public_holidays(year)
    first = dt.date(year, 1, 1)
    days = (dt.date(year + 1, 1, 1) - first).days
    with localcontext(prec=PRECISION):
        weights = [dynamisation(t + 1) * day_weight(first + dt.timedelta(days=t), holidays) for t in range(days)]
        total = sum(weights, Decimal(0))
        return tuple(weight / total for weight in weights)


def profile_share(*, day: dt.date, profile: str = H0) -> Decimal:
    """The day's share of its year's consumption; the shares of a year sum to 1."""
    return _year_shares(day.year, profile)[day.timetuple().tm_yday - 1]


def profile_use(*, annual: Decimal, start: dt.date, end: dt.date, profile: str = H0) -> Decimal:
    """Consumption from 00:00 of `start` to 00:00 of `end` (the days start ..
    end - 1) for a yearly consumption of `annual`; each day takes its share of
    its own year. Not rounded."""
    if end < start:
        raise ValueError("The end of the period lies before its start.")
    with localcontext(prec=PRECISION):
        total = Decimal(0)
        for year in range(start.year, end.year + 1):
            shares = _year_shares(year, profile)
            first = start.timetuple().tm_yday - 1 if year == start.year else 0
            last = end.timetuple().tm_yday - 1 if year == end.year else len(shares)
            total += sum(shares[first:last], Decimal(0))
        return annual * total


def profile_use_between(*, annual: Decimal, start_at: dt.datetime, end_at: dt.datetime, profile: str = H0) -> Decimal:
    """Consumption between two moments: whole days as in `profile_use`, a part
    of a day by its share of the day's real length in the portal's time zone
    (23 or 25 hours on the days the clocks change). Not rounded."""
    if end_at < start_at:
        raise ValueError("The end of the period lies before its start.")
    zone = ZoneInfo(settings.TIME_ZONE)
    start_local, end_local = start_at.astimezone(zone), end_at.astimezone(zone)
    first_day, last_day = start_local.date(), end_local.date()
    with localcontext(prec=PRECISION):
        if first_day == last_day:
            return annual * profile_share(day=first_day, profile=profile) * _day_fraction(start_at, end_at, first_day)
        head = profile_share(day=first_day, profile=profile) * _day_fraction(
            start_at, _midnight(first_day + dt.timedelta(days=1)), first_day
        )
        tail = profile_share(day=last_day, profile=profile) * _day_fraction(_midnight(last_day), end_at, last_day)
        middle = profile_use(annual=Decimal(1), start=first_day + dt.timedelta(days=1), end=last_day, profile=profile)
        return annual * (head + middle + tail)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _day_fraction(start_at: dt.datetime, end_at: dt.datetime, day: dt.date) -> Decimal:
    """The part of local `day` between two moments inside it, by elapsed time."""
    length = elapsed_microseconds(_midnight(day), _midnight(day + dt.timedelta(days=1)))
    return Decimal(elapsed_microseconds(start_at, end_at)) / Decimal(length)


def elapsed_microseconds(start_at: dt.datetime, end_at: dt.datetime) -> int:
    """Real elapsed time. Python subtracts two datetimes that share a tzinfo
    by their wall clocks, which is an hour off across a DST change; in UTC it
    is not."""
    if start_at.tzinfo is None or end_at.tzinfo is None:
        raise ValueError("Moments must be timezone-aware.")
    return (end_at.astimezone(dt.UTC) - start_at.astimezone(dt.UTC)) // dt.timedelta(microseconds=1)
