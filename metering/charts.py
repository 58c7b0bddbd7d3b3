"""Monthly consumption from the stored reads, for the reads pages' chart.

Each pair of consecutive counted actual reads of one register (valid or
kept suspect, not estimated) spreads its consumption over the months it
spans in proportion to the elapsed time, which is the same as taking the
register's linearly interpolated value at each month start
(meters.readings). Months after the last read stay empty. Registers with
the same OBIS code (a meter exchange) add up.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.db.models import OuterRef, Subquery
from django.utils import formats

from core import clock
from meters.models import Read, Register, Unit
from meters.profiles import PRECISION, elapsed_microseconds
from meters.readings import COUNTED_QUALITIES
from supply.queries import register_label

# Monthly figures: whole kWh, m³ to one decimal.
FIGURE_PLACES = {Unit.KWH: Decimal("1"), Unit.M3: Decimal("0.1")}


@dataclass(frozen=True)
class MonthFigure:
    month: int
    label: str
    name: str
    this_year: Decimal | None
    last_year: Decimal | None


@dataclass(frozen=True)
class ConsumptionChart:
    """Monthly consumption of one register code, this year against last year."""

    obis: str
    label: str
    unit: str
    this_year: int
    last_year: int
    months: list[MonthFigure]

    @property
    def has_data(self) -> bool:
        return any(m.this_year is not None or m.last_year is not None for m in self.months)

    @property
    def dom_id(self) -> str:
        return "chart-" + "".join(ch if ch.isalnum() else "-" for ch in self.obis)


def _used(start: Decimal, end: Decimal, *, digits: int) -> Decimal:
    """Consumption between two values of a register, across its rollover."""
    return end - start if end >= start else end + Decimal(10) ** digits - start


def month_starts(year: int) -> list[dt.datetime]:
    """00:00 on the first of each month from January of the year before to January of the year after (25 moments)."""
    return [clock.start_of_day(dt.date(year - 1 + index // 12, index % 12 + 1, 1)) for index in range(25)]


def spread_by_month(
    *, reads: Sequence[tuple[dt.datetime, Decimal]], digits: int, boundaries: Sequence[dt.datetime]
) -> list[Decimal | None]:
    """The consumption between consecutive (taken_at, value) reads of one
    register, in time order, spread over the periods between `boundaries` in
    proportion to elapsed time; None for a period no pair of reads reaches. Pure."""
    periods = len(boundaries) - 1
    totals: list[Decimal | None] = [None] * periods
    with localcontext(prec=PRECISION):
        for (start_at, start), (end_at, end) in zip(reads, reads[1:], strict=False):
            if end_at <= start_at or end_at <= boundaries[0] or start_at >= boundaries[-1]:
                continue
            used = _used(start, end, digits=digits)
            index = max(bisect.bisect_right(boundaries, start_at) - 1, 0)
            span = None
            while index < periods and boundaries[index] < end_at:
                piece_start, piece_end = max(start_at, boundaries[index]), min(end_at, boundaries[index + 1])
                if piece_start == start_at and piece_end == end_at:
                    share = used
                else:
                    span = span or elapsed_microseconds(start_at, end_at)
                    share = used * elapsed_microseconds(piece_start, piece_end) / span
                totals[index] = (totals[index] or Decimal(0)) + share
                index += 1
    return totals


def _reads_before(registers: list[Register], *, since: dt.datetime, start: dt.datetime) -> dict[int, tuple]:
    """For each register, its last counted actual read before `start` and
    not before `since`, as (taken_at, value): the first month's consumption
    starts from it."""
    before = (
        Read.objects.filter(
            register=OuterRef("pk"), quality__in=COUNTED_QUALITIES, taken_at__lt=start, taken_at__gte=since
        )
        .exclude(source=Read.Source.ESTIMATED)
        .order_by("-taken_at", "id")
    )
    rows = (
        Register.objects.filter(pk__in=[r.pk for r in registers])
        .annotate(before_at=Subquery(before.values("taken_at")[:1]), before_value=Subquery(before.values("value")[:1]))
        .only("pk")
    )
    return {row.pk: (row.before_at, row.before_value) for row in rows if row.before_at is not None}


def consumption_charts(
    *, registers: list[Register], since: dt.datetime, until: dt.datetime | None, year: int
) -> list[ConsumptionChart]:
    """Per register code, the monthly consumption of `year` and the year
    before, from reads taken between `since` and `until` (two queries for all registers)."""
    if not registers:
        return []
    boundaries = month_starts(year)
    start, end = max(boundaries[0], since), boundaries[-1] if until is None else min(boundaries[-1], until)
    if end <= start:
        return []
    by_register: dict[int, list[tuple[dt.datetime, Decimal]]] = defaultdict(list)
    rows = (
        Read.objects.filter(
            register__in=registers, quality__in=COUNTED_QUALITIES, taken_at__gte=start, taken_at__lte=end
        )
        .exclude(source=Read.Source.ESTIMATED)
        .order_by("register_id", "taken_at", "id")
        .values_list("register_id", "taken_at", "value")
    )
    for register_id, taken_at, value in rows:
        series = by_register[register_id]
        if not series or series[-1][0] != taken_at:  # two sources at one moment: the first stored counts
            series.append((taken_at, value))
    earlier = _reads_before(registers, since=since, start=start)

    totals: dict[str, list[Decimal | None]] = {}
    units: dict[str, str] = {}
    for register in registers:
        before = earlier.get(register.pk)
        series = ([before] if before else []) + by_register.get(register.pk, [])
        spread = spread_by_month(reads=series, digits=register.digits, boundaries=boundaries)
        merged = totals.setdefault(register.obis, [None] * 24)
        units.setdefault(register.obis, register.unit)
        for index, value in enumerate(spread):
            if value is not None:
                merged[index] = (merged[index] or Decimal(0)) + value

    charts = []
    for obis in sorted(totals):
        places = FIGURE_PLACES[Unit(units[obis])]
        figures = [None if v is None else v.quantize(places, ROUND_HALF_UP) for v in totals[obis]]
        months = [
            MonthFigure(
                month=month,
                label=formats.date_format(dt.date(year, month, 1), "M"),
                name=formats.date_format(dt.date(year, month, 1), "F"),
                this_year=figures[12 + month - 1],
                last_year=figures[month - 1],
            )
            for month in range(1, 13)
        ]
        charts.append(
            ConsumptionChart(
                obis=obis,
                # A supply with one register needs no name for it.
                label=register_label(obis) if len(totals) > 1 else "",
                unit=str(Unit(units[obis]).label),
                this_year=year,
                last_year=year - 1,
                months=months,
            )
        )
    return charts
