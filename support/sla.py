"""Due times in business hours: the service team's opening hours per weekday,
German public holidays (national plus the configured federal state), counted
in local wall-clock time, so a day with a DST change still has its full
opening hours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

from support.models import BusinessHours, SlaRule, SupportSettings

DEFAULT_HOURS = {weekday: (dt.time(8, 0), dt.time(18, 0)) for weekday in range(5)}
# A calendar without a single working day would never reach a due time.
MAX_DAYS = 3 * 366
# Used when no admin rule matches: one working day to answer, five to solve.
FALLBACK_FIRST_RESPONSE_HOURS = 10
FALLBACK_RESOLUTION_HOURS = 50


class NoBusinessHours(Exception):
    """The business hours leave no working time to count in."""


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: ZoneInfo
    hours: dict[int, tuple[dt.time, dt.time]] = field(default_factory=lambda: dict(DEFAULT_HOURS))
    holiday_state: str = ""

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays("DE", subdiv=self.holiday_state or None)

    def is_holiday(self, day: dt.date) -> bool:
        return day in self._holidays

    def opening(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """When the team works on `day` (aware, local), or None on a day off."""
        hours = self.hours.get(day.weekday())
        if hours is None or self.is_holiday(day):
            return None
        opens, closes = hours
        return (
            dt.datetime.combine(day, opens, tzinfo=self.time_zone),
            dt.datetime.combine(day, closes, tzinfo=self.time_zone),
        )


def business_calendar() -> BusinessCalendar:
    """The calendar from the support settings and the business hours table."""
    support = SupportSettings.current()
    rows = {row.weekday: (row.opens, row.closes) for row in BusinessHours.objects.all()}
    return BusinessCalendar(
        time_zone=ZoneInfo(support.time_zone), hours=rows or dict(DEFAULT_HOURS), holiday_state=support.holiday_state
    )


def business_hours_add(*, start: dt.datetime, hours: int, calendar: BusinessCalendar) -> dt.datetime:
    """The moment `hours` working hours after `start` (starting outside the
    opening hours counts from the next opening)."""
    remaining = dt.timedelta(hours=hours)
    local = start.astimezone(calendar.time_zone)
    day = local.date()
    for _ in range(MAX_DAYS):
        opening = calendar.opening(day)
        if opening is not None:
            opens, closes = opening
            cursor = max(local, opens)
            if cursor < closes:
                available = closes.replace(tzinfo=None) - cursor.replace(tzinfo=None)
                if remaining <= available:
                    wall = cursor.replace(tzinfo=None) + remaining
                    return wall.replace(tzinfo=calendar.time_zone).astimezone(dt.UTC)
                remaining -= available
        day += dt.timedelta(days=1)
    raise NoBusinessHours("No working time within three years; check the business hours.")


def business_hours_between(*, start: dt.datetime, end: dt.datetime, calendar: BusinessCalendar) -> dt.timedelta:
    """Working time from `start` to `end` (zero when `end` is not later)."""
    if end <= start:
        return dt.timedelta(0)
    total = dt.timedelta(0)
    local_start = start.astimezone(calendar.time_zone)
    local_end = end.astimezone(calendar.time_zone)
    day = local_start.date()
    while day <= local_end.date():
        opening = calendar.opening(day)
        if opening is not None:
            begin = max(local_start, opening[0]).replace(tzinfo=None)
            finish = min(local_end, opening[1]).replace(tzinfo=None)
            if finish > begin:
                total += finish - begin
        day += dt.timedelta(days=1)
    return total


def sla_rule_for(*, kind: str, priority: str) -> SlaRule | None:
    """The most specific active rule: kind and priority, then kind, then priority, then the catch-all."""
    rules = {(rule.kind, rule.priority): rule for rule in SlaRule.objects.filter(is_active=True)}
    for key in ((kind, priority), (kind, ""), ("", priority), ("", "")):
        if key in rules:
            return rules[key]
    return None


@dataclass(frozen=True)
class DueTimes:
    first_response_due_at: dt.datetime
    resolution_due_at: dt.datetime


def sla_due_times(
    *, kind: str, priority: str, received_at: dt.datetime, calendar: BusinessCalendar | None = None
) -> DueTimes:
    """When a ticket received at `received_at` must first be answered and be resolved."""
    calendar = calendar or business_calendar()
    rule = sla_rule_for(kind=kind, priority=priority)
    first = rule.first_response_business_hours if rule else FALLBACK_FIRST_RESPONSE_HOURS
    resolution = rule.resolution_business_hours if rule else FALLBACK_RESOLUTION_HOURS
    return DueTimes(
        first_response_due_at=business_hours_add(start=received_at, hours=first, calendar=calendar),
        resolution_due_at=business_hours_add(start=received_at, hours=resolution, calendar=calendar),
    )


def complaint_deadline(*, received_at: dt.datetime) -> dt.date:
    """The legal answer deadline of an energy complaint (EnWG §111a: four weeks from receipt)."""
    support = SupportSettings.current()
    received = received_at.astimezone(ZoneInfo(support.time_zone)).date()
    return received + dt.timedelta(days=support.complaint_deadline_days)
