"""Reads for the reads pages: what a customer (or an agent on the customer's
page) sees per supply, the monthly consumption chart, the read history and
the agents' review queue.

A customer sees only what was read while they were supplied: from 00:00 of
their agreement's start date to 00:00 of the day after its end date.

Monthly consumption comes from the stored reads, not from estimates: each
pair of consecutive counted actual reads of one register (valid or kept
suspect, not estimated) spreads its consumption over the months it spans in
proportion to the elapsed time, which is the same as taking the register's
linearly interpolated value at each month start (metering.readings). Months
after the last read stay empty. Registers with the same OBIS code (a meter
exchange) add up.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Customer
from billing.models import ServiceAgreement
from billing.queries import UTILITY_ICONS, register_label
from billing.read_intake import SUPPLIED_STATES, SUPPLYING_STATES, expected_range
from metering.models import (
    METERED_UTILITIES,
    GasConversionFactor,
    Meter,
    PlausibilityBand,
    Read,
    ReadReview,
    Register,
    Unit,
)
from metering.profiles import PRECISION, elapsed_microseconds, profile_use_between
from metering.queries import gas_factors_on
from metering.readings import (
    COUNTED_QUALITIES,
    DEFAULT_LOWER_PERCENT,
    DEFAULT_UPPER_PERCENT,
    HISTORY_DAYS,
    average_daily_use,
    elapsed_days,
    expected_value_range,
)
from portal.core import clock

Status = ServiceAgreement.Status
Source = Read.Source
Quality = Read.Quality

HISTORY_LIMIT = 24
HISTORY_PAGE_SIZE = 100
REVIEW_QUEUE_LIMIT = 200
# Monthly figures: whole kWh, m³ to one decimal.
FIGURE_PLACES = {Unit.KWH: Decimal("1"), Unit.M3: Decimal("0.1")}
# Agreements that have (or will have) reads to show.
SHOWN_STATES = (Status.REQUESTED, Status.CONFIRMED, Status.ACTIVE, Status.ENDING, Status.ENDED)

SOURCE_BADGES = {
    Source.SMART: (pgettext_lazy("read source", "smart"), "text-bg-info"),
    Source.OPERATOR: (pgettext_lazy("read source", "operator"), "text-bg-secondary"),
    Source.CUSTOMER: (pgettext_lazy("read source", "you"), "text-bg-primary"),
    Source.AGENT: (pgettext_lazy("read source", "agent"), "text-bg-dark"),
    Source.ESTIMATED: (pgettext_lazy("read source", "estimated"), "text-bg-warning"),
}
# Agents read "customer" where the customer reads "you".
STAFF_SOURCE_LABELS = {Source.CUSTOMER: pgettext_lazy("read source", "customer")}
QUALITY_BADGES = {
    Quality.VALID: (pgettext_lazy("read status", "valid"), "text-bg-success"),
    Quality.SUSPECT: (pgettext_lazy("read status", "being checked"), "text-bg-warning"),
    Quality.REJECTED: (pgettext_lazy("read status", "rejected"), "text-bg-danger"),
}
STAFF_QUALITY_LABELS = {Quality.SUSPECT: pgettext_lazy("read status", "suspect, to review")}


# --- badges -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    label: str
    css: str


def source_badge(read: Read, *, for_staff: bool = False) -> Badge:
    label, css = SOURCE_BADGES[Source(read.source)]
    if for_staff:
        label = STAFF_SOURCE_LABELS.get(Source(read.source), label)
    return Badge(str(label), css)


def quality_badge(read: Read, *, for_staff: bool = False) -> Badge:
    label, css = QUALITY_BADGES[Quality(read.quality)]
    if for_staff:
        label = STAFF_QUALITY_LABELS.get(Quality(read.quality), label)
    return Badge(str(label), css)


# --- the customer's supplies --------------------------------------------------------------------------------------


def supplied_from(agreement: ServiceAgreement) -> dt.datetime:
    return clock.start_of_day(agreement.start_date)


def supplied_until(agreement: ServiceAgreement) -> dt.datetime | None:
    """00:00 of the day after the end date (the final read's moment), or None while open-ended."""
    if agreement.end_date is None:
        return None
    return clock.start_of_day(agreement.end_date + dt.timedelta(days=1))


def reads_while_supplied(agreement: ServiceAgreement) -> QuerySet[Read]:
    """The reads of the agreement's supply point taken while it supplied it."""
    reads = Read.objects.filter(
        register__meter__supply_point_id=agreement.supply_point_id, taken_at__gte=supplied_from(agreement)
    )
    until = supplied_until(agreement)
    return reads.filter(taken_at__lte=until) if until is not None else reads


def may_submit(agreement: ServiceAgreement, *, day: dt.date) -> bool:
    return agreement.status in SUPPLYING_STATES and agreement.start_date <= day


def submit_refusal(agreement: ServiceAgreement, *, day: dt.date) -> str:
    """Why readings cannot be submitted for the agreement today, or ""."""
    if may_submit(agreement, day=day):
        return ""
    if agreement.status in (Status.REQUESTED, Status.CONFIRMED, Status.ACTIVE, Status.ENDING):
        return str(
            _("Your supply here starts on %(date)s. You can submit readings from that day on.")
            % {"date": formats.date_format(agreement.start_date, "SHORT_DATE_FORMAT")}
        )
    return str(_("This supply has ended. We no longer take readings for it."))


@dataclass
class RegisterPanel:
    """One register the customer can read: the last read and the range we expect today."""

    register: Register
    label: str
    last_read: Read | None
    expected: tuple[Decimal, Decimal] | None
    last_source: Badge | None = None
    last_quality: Badge | None = None
    # The reading form and the verdict on the last reading sent, set by the view.
    form: Any = None
    verdict: Any = None

    @property
    def dom_id(self) -> str:
        return f"register-{self.register.pk}"

    @property
    def expected_wraps(self) -> bool:
        """The range passes the register's highest value (its high end is below its low end)."""
        return self.expected is not None and self.expected[1] < self.expected[0]


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


@dataclass
class HistoryRow:
    read: Read
    source: Badge
    quality: Badge
    reviews: list = field(default_factory=list)


@dataclass
class SupplyReads:
    agreement: ServiceAgreement
    refusal: str
    panels: list[RegisterPanel]
    charts: list[ConsumptionChart]
    history: list[HistoryRow]
    has_more_history: bool
    gas_factors: GasConversionFactor | None

    @property
    def icon(self) -> str:
        return UTILITY_ICONS[self.agreement.supply_point.utility]

    @property
    def dom_id(self) -> str:
        return f"supply-{self.agreement.pk}"

    @property
    def may_submit(self) -> bool:
        return not self.refusal


def _current_meters_with_registers() -> Prefetch:
    registers = Register.objects.order_by("obis", "id")
    return Prefetch(
        "supply_point__meters",
        queryset=Meter.objects.order_by("-installed_on", "-id").prefetch_related(
            Prefetch("registers", queryset=registers)
        ),
    )


def customer_reading_agreements(*, customer: Customer) -> list[ServiceAgreement]:
    """The customer's metered agreements worth a reads card, newest first."""
    return list(
        ServiceAgreement.objects.filter(
            account__customer=customer, supply_point__utility__in=METERED_UTILITIES, status__in=SHOWN_STATES
        )
        .select_related("account", "supply_point__premise", "tariff")
        .prefetch_related(_current_meters_with_registers())
        .order_by("-start_date", "-id")
    )


def _last_read(agreement: ServiceAgreement, register: Register) -> Read | None:
    return (
        reads_while_supplied(agreement)
        .filter(register=register, quality__in=COUNTED_QUALITIES)
        .order_by("-taken_at", "-id")
        .first()
    )


def register_panel(*, agreement: ServiceAgreement, register: Register, as_of: dt.datetime) -> RegisterPanel:
    last = _last_read(agreement, register)
    return RegisterPanel(
        register=register,
        label=register_label(register.obis),
        last_read=last,
        last_source=source_badge(last) if last else None,
        last_quality=quality_badge(last) if last else None,
        expected=expected_range(register=register, on=as_of) if last else None,
    )


def supply_reads(
    *, agreement: ServiceAgreement, as_of: dt.datetime, for_staff: bool = False, with_panels: bool = True
) -> SupplyReads:
    """Everything the reads card of one agreement shows. The agreement must
    come from `customer_reading_agreements` (meters and registers prefetched)."""
    day = timezone.localtime(as_of).date()
    refusal = submit_refusal(agreement, day=day)
    panels = []
    if with_panels and not refusal:
        for meter in agreement.supply_point.meters.all():
            if meter.removed_on is None and meter.installed_on <= day:
                panels.extend(
                    register_panel(agreement=agreement, register=register, as_of=as_of)
                    for register in meter.registers.all()
                )
    registers = [register for meter in agreement.supply_point.meters.all() for register in meter.registers.all()]
    history, has_more = read_history(agreement=agreement, limit=HISTORY_LIMIT, for_staff=for_staff)
    factors = None
    if agreement.supply_point.utility == "GAS":
        factors = gas_factors_on(supply_point=agreement.supply_point, day=day)
    return SupplyReads(
        agreement=agreement,
        refusal=refusal,
        panels=panels,
        charts=consumption_charts(agreement=agreement, registers=registers, year=day.year),
        history=history,
        has_more_history=has_more,
        gas_factors=factors,
    )


def customer_reads(*, customer: Customer, as_of: dt.datetime, for_staff: bool = False) -> list[SupplyReads]:
    """The reads cards of all the customer's metered supplies (agents see no forms)."""
    return [
        supply_reads(agreement=agreement, as_of=as_of, for_staff=for_staff, with_panels=not for_staff)
        for agreement in customer_reading_agreements(customer=customer)
    ]


def customer_register(*, customer: Customer, register_id: int) -> tuple[Register, ServiceAgreement] | None:
    """The register if one of the customer's agreements covers its supply
    point (the supplying one first, else the newest), else None."""
    register = Register.objects.select_related("meter__supply_point").filter(pk=register_id).first()
    if register is None:
        return None
    agreements = list(
        ServiceAgreement.objects.filter(account__customer=customer, supply_point_id=register.meter.supply_point_id)
        .select_related("account", "supply_point__premise", "tariff")
        .prefetch_related(_current_meters_with_registers())
        .order_by("-start_date", "-id")
    )
    if not agreements:
        return None
    supplying = [a for a in agreements if a.status in SUPPLYING_STATES]
    return register, (supplying or agreements)[0]


def customer_agreement(*, customer: Customer, agreement_id: int) -> ServiceAgreement | None:
    return (
        ServiceAgreement.objects.filter(
            pk=agreement_id, account__customer=customer, supply_point__utility__in=METERED_UTILITIES
        )
        .select_related("account", "supply_point__premise")
        .first()
    )


# --- history ----------------------------------------------------------------------------------------------------------


def _history_rows(reads: Iterable[Read], *, for_staff: bool) -> list[HistoryRow]:
    return [
        HistoryRow(
            read=read,
            source=source_badge(read, for_staff=for_staff),
            quality=quality_badge(read, for_staff=for_staff),
            reviews=list(read.reviews.all()) if for_staff else [],
        )
        for read in reads
    ]


def history_queryset(*, agreement: ServiceAgreement, for_staff: bool = False) -> QuerySet[Read]:
    reads = reads_while_supplied(agreement).select_related("register__meter").order_by("-taken_at", "-id")
    if for_staff:
        decisions = ReadReview.objects.select_related("decided_by", "corrected_read").order_by("decided_at", "id")
        reads = reads.prefetch_related(Prefetch("reviews", queryset=decisions))
    return reads


def read_history(*, agreement: ServiceAgreement, limit: int, for_staff: bool = False) -> tuple[list[HistoryRow], bool]:
    """The newest `limit` reads while supplied, and whether there are more."""
    reads = list(history_queryset(agreement=agreement, for_staff=for_staff)[: limit + 1])
    return _history_rows(reads[:limit], for_staff=for_staff), len(reads) > limit


def history_rows(reads: Sequence[Read], *, for_staff: bool = False) -> list[HistoryRow]:
    return _history_rows(reads, for_staff=for_staff)


# --- monthly consumption ------------------------------------------------------------------------------------------


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


def _boundary_reads(registers: list[Register], *, since: dt.datetime, until: dt.datetime | None, start, end):
    """For each register, its last counted actual read before `start` (not
    before `since`) and its first one after `end` (not after `until`)."""
    counted = Read.objects.filter(register=OuterRef("pk"), quality__in=COUNTED_QUALITIES).exclude(
        source=Source.ESTIMATED
    )
    before = counted.filter(taken_at__lt=start, taken_at__gte=since).order_by("-taken_at", "id")
    after = counted.filter(taken_at__gt=end)
    if until is not None:
        after = after.filter(taken_at__lte=until)
    after = after.order_by("taken_at", "id")
    rows = Register.objects.filter(pk__in=[r.pk for r in registers]).annotate(
        before_at=Subquery(before.values("taken_at")[:1]),
        before_value=Subquery(before.values("value")[:1]),
        after_at=Subquery(after.values("taken_at")[:1]),
        after_value=Subquery(after.values("value")[:1]),
    )
    return {
        row.pk: (
            (row.before_at, row.before_value) if row.before_at is not None else None,
            (row.after_at, row.after_value) if row.after_at is not None else None,
        )
        for row in rows.only("pk")
    }


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def consumption_charts(*, agreement: ServiceAgreement, registers: list[Register], year: int) -> list[ConsumptionChart]:
    """Per register code, the monthly consumption of `year` and the year
    before while the agreement supplied (two queries for all registers)."""
    if not registers or agreement.status not in (Status.ACTIVE, Status.ENDING, Status.ENDED):
        return []
    boundaries = month_starts(year)
    since, until = supplied_from(agreement), supplied_until(agreement)
    start, end = max(boundaries[0], since), boundaries[-1] if until is None else min(boundaries[-1], until)
    if end <= start:
        return []
    by_register: dict[int, list[tuple[dt.datetime, Decimal]]] = defaultdict(list)
    rows = (
        Read.objects.filter(
            register__in=registers, quality__in=COUNTED_QUALITIES, taken_at__gte=start, taken_at__lte=end
        )
        .exclude(source=Source.ESTIMATED)
        .order_by("register_id", "taken_at", "id")
        .values_list("register_id", "taken_at", "value")
    )
    for register_id, taken_at, value in rows:
        series = by_register[register_id]
        if not series or series[-1][0] != taken_at:  # two sources at one moment: the first stored counts
            series.append((taken_at, value))
    edges = _boundary_reads(registers, since=since, until=until, start=start, end=end)

    totals: dict[str, list[Decimal | None]] = {}
    units: dict[str, str] = {}
    for register in registers:
        before, after = edges.get(register.pk, (None, None))
        series = [(at, _decimal(v)) for at, v in ([before] if before else []) + by_register.get(register.pk, [])]
        if after:
            series.append((after[0], _decimal(after[1])))
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


# --- the agents' review queue -----------------------------------------------------------------------------------


@dataclass
class ReviewRow:
    read: Read
    agreement: ServiceAgreement | None
    previous_value: Decimal | None
    previous_taken_at: dt.datetime | None
    expected: tuple[Decimal, Decimal] | None
    source: Badge

    @property
    def customer(self):
        return self.agreement.account.customer if self.agreement else None


def suspect_reads_count() -> int:
    return Read.objects.filter(quality=Quality.SUSPECT).count()


def _previous_reads() -> QuerySet[Read]:
    """The read a suspect read was compared with: the previous counted actual
    read of the same register code at the same supply point."""
    return (
        Read.objects.filter(
            register__meter__supply_point_id=OuterRef("register__meter__supply_point_id"),
            register__obis=OuterRef("register__obis"),
            quality__in=COUNTED_QUALITIES,
            taken_at__lte=OuterRef("taken_at"),
        )
        .exclude(source=Source.ESTIMATED)
        .exclude(pk=OuterRef("pk"))
        .order_by("-taken_at", "-id")
    )


def _covering(agreements: list[ServiceAgreement], moment: dt.datetime) -> ServiceAgreement | None:
    for agreement in agreements:
        until = supplied_until(agreement)
        if supplied_from(agreement) <= moment and (until is None or moment <= until):
            return agreement
    return None


def review_queue(*, limit: int = REVIEW_QUEUE_LIMIT, read_ids: Sequence[int] | None = None) -> list[ReviewRow]:
    """Suspect reads, oldest first, each with its customer, the read it was
    compared with and the range we expected (a fixed number of queries)."""
    previous = _previous_reads()
    reads_qs = Read.objects.filter(quality=Quality.SUSPECT)
    if read_ids is not None:
        reads_qs = reads_qs.filter(pk__in=read_ids)
    reads = list(
        reads_qs.select_related("register__meter__supply_point")
        .annotate(
            previous_value=Subquery(previous.values("value")[:1]),
            previous_taken_at=Subquery(previous.values("taken_at")[:1]),
            previous_meter_id=Subquery(previous.values("register__meter_id")[:1]),
        )
        .order_by("created_at", "id")[:limit]
    )
    if not reads:
        return []
    agreements_by_point: dict[int, list[ServiceAgreement]] = defaultdict(list)
    for agreement in (
        ServiceAgreement.objects.filter(
            supply_point_id__in={r.register.meter.supply_point_id for r in reads}, status__in=SUPPLIED_STATES
        )
        .select_related("account__customer")
        .order_by("-start_date", "-id")
    ):
        agreements_by_point[agreement.supply_point_id].append(agreement)
    history = _valid_history(reads)
    bands = dict(
        (utility, (lower, upper))
        for utility, lower, upper in PlausibilityBand.objects.values_list("utility", "lower_percent", "upper_percent")
    )
    rows = []
    for read in reads:
        register = read.register
        agreement = _covering(agreements_by_point[register.meter.supply_point_id], read.taken_at)
        rows.append(
            ReviewRow(
                read=read,
                agreement=agreement,
                previous_value=read.previous_value,
                previous_taken_at=read.previous_taken_at,
                expected=_expected_for(read, agreement=agreement, history=history[register.pk], bands=bands),
                source=source_badge(read, for_staff=True),
            )
        )
    return rows


def _valid_history(reads: list[Read]) -> dict[int, list[tuple[dt.datetime, Decimal]]]:
    """Valid actual reads of the reads' registers in the year before the earliest of them (one query)."""
    earliest = min(read.taken_at for read in reads) - dt.timedelta(days=HISTORY_DAYS)
    latest = max(read.taken_at for read in reads)
    history: dict[int, list[tuple[dt.datetime, Decimal]]] = defaultdict(list)
    rows = (
        Read.objects.filter(
            register_id__in={read.register_id for read in reads},
            quality=Quality.VALID,
            taken_at__gte=earliest,
            taken_at__lt=latest,
        )
        .exclude(source=Source.ESTIMATED)
        .order_by("taken_at", "id")
        .values_list("register_id", "taken_at", "value")
    )
    for register_id, taken_at, value in rows:
        history[register_id].append((taken_at, value))
    return history


def _expected_for(
    read: Read,
    *,
    agreement: ServiceAgreement | None,
    history: list[tuple[dt.datetime, Decimal]],
    bands: dict[str, tuple[Decimal, Decimal]],
) -> tuple[Decimal, Decimal] | None:
    """The range billing.read_intake.expected_range gives for the read's moment, from prefetched data."""
    register = read.register
    if read.previous_value is None or read.previous_meter_id != register.meter_id:
        return None
    window_start = read.taken_at - dt.timedelta(days=HISTORY_DAYS)
    moments = [moment for moment, _value in history]
    first, last = bisect.bisect_left(moments, window_start), bisect.bisect_left(moments, read.taken_at)
    daily = average_daily_use(reads=history[first:last], digits=register.digits)
    annual = agreement.expected_annual_consumption if agreement is not None else None
    if daily is None and annual:
        days = elapsed_days(read.previous_taken_at, read.taken_at)
        use = profile_use_between(annual=annual, start_at=read.previous_taken_at, end_at=read.taken_at)
        with localcontext(prec=PRECISION):
            daily = use / days if days else Decimal(0)
    lower, upper = bands.get(register.meter.supply_point.utility, (DEFAULT_LOWER_PERCENT, DEFAULT_UPPER_PERCENT))
    return expected_value_range(
        register_digits=register.digits,
        previous_value=read.previous_value,
        previous_taken_at=read.previous_taken_at,
        taken_at=read.taken_at,
        expected_daily_use=daily,
        lower_percent=lower,
        upper_percent=upper,
    )


@dataclass
class ReadDetail:
    """One read for an agent: where it belongs, what it was compared with, every decision on it."""

    read: Read
    agreement: ServiceAgreement | None
    previous: Read | None
    reviews: list[ReadReview]
    corrects: list[ReadReview]
    source: Badge
    quality: Badge


def read_detail(*, read_id: int) -> ReadDetail | None:
    read = (
        Read.objects.select_related("register__meter__supply_point__premise")
        .prefetch_related(
            Prefetch(
                "reviews",
                queryset=ReadReview.objects.select_related("decided_by", "corrected_read").order_by("decided_at", "id"),
            ),
            Prefetch("corrects", queryset=ReadReview.objects.select_related("read", "decided_by")),
        )
        .filter(pk=read_id)
        .first()
    )
    if read is None:
        return None
    agreements = list(
        ServiceAgreement.objects.filter(supply_point_id=read.register.meter.supply_point_id, status__in=SUPPLIED_STATES)
        .select_related("account__customer")
        .order_by("-start_date", "-id")
    )
    previous = (
        Read.objects.filter(
            register__meter__supply_point_id=read.register.meter.supply_point_id,
            register__obis=read.register.obis,
            quality__in=COUNTED_QUALITIES,
            taken_at__lte=read.taken_at,
        )
        .exclude(source=Source.ESTIMATED)
        .exclude(pk=read.pk)
        .select_related("register__meter")
        .order_by("-taken_at", "-id")
        .first()
    )
    return ReadDetail(
        read=read,
        agreement=_covering(agreements, read.taken_at),
        previous=previous,
        reviews=list(read.reviews.all()),
        corrects=list(read.corrects.all()),
        source=source_badge(read, for_staff=True),
        quality=quality_badge(read, for_staff=True),
    )


def staff_agreement(*, agreement_id: int) -> ServiceAgreement | None:
    return (
        ServiceAgreement.objects.filter(pk=agreement_id, supply_point__utility__in=METERED_UTILITIES)
        .select_related("account__customer", "supply_point__premise")
        .first()
    )
