"""Working days: Monday to Friday that are not German public holidays
(national, plus a federal state's where one is given)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _holidays(state: str) -> holidays.HolidayBase:
    return holidays.country_holidays("DE", subdiv=state or None)


def is_working_day(day: dt.date, *, state: str = "") -> bool:
    return day.weekday() < 5 and day not in _holidays(state)


def working_days_add(day: dt.date, count: int, *, state: str = "") -> dt.date:
    """The working day `count` working days after `day` (`day` itself not counted)."""
    current = day
    left = count
    while left > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current, state=state):
            left -= 1
    return current


def working_days_between(first: dt.date, last: dt.date, *, state: str = "") -> int:
    """Working days after `first` up to and including `last`."""
    count = 0
    current = first
    while current < last:
        current += dt.timedelta(days=1)
        if is_working_day(current, state=state):
            count += 1
    return count
