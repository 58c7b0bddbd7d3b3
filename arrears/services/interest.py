"""Default interest (BGB §288): per overdue invoice from the configured day
after its due date, per day open amount x (base rate valid that day +
points) / 100 / 365; a run books the days since the last booking up to the
day before the run as one INTEREST entry, rounded half up once."""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import Decimal

from django.db.models import Q

from arrears.models import BaseRate
from billing.models import LedgerClearing, LedgerEntry
from core.money import round_money

ZERO = Decimal("0.00")
DAYS_IN_YEAR = Decimal(365)


class BaseRates:
    """The dated base-rate table, looked up by day."""

    def __init__(self, rows: list[tuple[dt.date, Decimal]] | None = None) -> None:
        rows = (
            rows
            if rows is not None
            else list(BaseRate.objects.order_by("valid_from").values_list("valid_from", "rate"))
        )
        self.days = [row[0] for row in rows]
        self.rates = [row[1] for row in rows]

    def on(self, day: dt.date) -> Decimal:
        index = bisect.bisect_right(self.days, day) - 1
        if index < 0:
            raise LookupError(f"no base rate on {day}")
        return self.rates[index]


def interest_key(entry: LedgerEntry, last_day: dt.date) -> str:
    return f"interest:{entry.pk}:{last_day.isoformat()}"


def interest_booked_until(*, entries: list[LedgerEntry]) -> dict[int, dt.date]:
    """Per invoice entry: the last day its interest was booked for."""
    if not entries:
        return {}
    query = Q()
    for entry in entries:
        query |= Q(key__startswith=f"interest:{entry.pk}:")
    found: dict[int, dt.date] = {}
    for key in LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INTEREST).filter(query).values_list("key", flat=True):
        _prefix, entry_id, day = key.split(":", 2)
        last = dt.date.fromisoformat(day)
        if int(entry_id) not in found or found[int(entry_id)] < last:
            found[int(entry_id)] = last
    return found


def interest_amount(
    *,
    entry: LedgerEntry,
    first_day: dt.date,
    last_day: dt.date,
    points: Decimal,
    rates: BaseRates,
    payments: list[tuple[dt.date, Decimal]] | None = None,
) -> Decimal:
    """Interest on `entry` for the days `first_day`..`last_day` (both
    included); `payments` (day, amount) lower the open amount from their day on."""
    payments = sorted(payments or [])
    total = Decimal(0)
    day = first_day
    while day <= last_day:
        open_amount = entry.amount - sum((amount for paid_on, amount in payments if paid_on <= day), ZERO)
        if open_amount > 0:
            total += open_amount * (rates.on(day) + points) / Decimal(100) / DAYS_IN_YEAR
        day += dt.timedelta(days=1)
    return round_money(total) if total > 0 else ZERO


def payments_on(*, entries: list[LedgerEntry]) -> dict[int, list[tuple[dt.date, Decimal]]]:
    """What settled each entry, by the day the paying entry was booked."""
    found: dict[int, list[tuple[dt.date, Decimal]]] = {}
    for debit_id, booked_on, amount in LedgerClearing.objects.filter(
        debit_id__in=[entry.pk for entry in entries], reversed_at__isnull=True
    ).values_list("debit_id", "credit__booked_on", "amount"):
        found.setdefault(debit_id, []).append((booked_on, amount))
    return found
