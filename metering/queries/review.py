"""Reads for the agents: the review queue of suspect reads (with the read
each was compared with and the range we expected, in a fixed number of
queries) and one read with every decision on it."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from metering.queries.reads import Badge, quality_badge, source_badge, supplied_from, supplied_until
from metering.services.intake import SUPPLIED_STATES
from meters.models import METERED_UTILITIES, PlausibilityBand, Read, ReadReview
from meters.profiles import PRECISION, profile_use_between
from meters.readings import (
    COUNTED_QUALITIES,
    DEFAULT_LOWER_PERCENT,
    DEFAULT_UPPER_PERCENT,
    HISTORY_DAYS,
    average_daily_use,
    elapsed_days,
    expected_value_range,
)
from supply.models import ServiceAgreement

Source = Read.Source
Quality = Read.Quality
REVIEW_QUEUE_LIMIT = 200


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
    """The range metering.services.intake.expected_range gives for the read's moment, from prefetched data."""
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
            taken_at__lt=read.taken_at,
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
