"""Reads: the public list of current and planned interruptions (no personal
data), a customer's interruptions, and the reliability figures with the
interruptions behind them.

Published names (stable):

- `public_interruptions(*, now, postcode="", utility="", active=False) -> list[PublicInterruption]`
  current and planned (not ended, not cancelled) area interruptions, earliest first;
  `active=True`: only those in progress. Customer-specific ones are never listed.
- `interruptions_of_customer(*, customer, account=None) -> QuerySet[Interruption]`
  the interruptions that affected the customer (or one account), latest first.
- `current_for_customer(*, customer, now) -> list[Interruption]` open ones affecting them (the banner).
- `customers_served(*, utility, year, postcodes=()) -> int`
- `reliability_figures(*, utility, year, postcodes=(), include_planned=False) -> ReliabilityReport`
  (`.figures`: outages.reliability.Figures; `.rows`: each interruption of the year with its
  customers, minutes and whether it is counted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import Account, Customer
from outages.models import AffectedSupply, Interruption
from outages.reliability import Event, Figures, is_counted, reliability
from supply.models import ServiceAgreement

SERVING_STATES = (ServiceAgreement.Status.ACTIVE, ServiceAgreement.Status.ENDING, ServiceAgreement.Status.ENDED)


@dataclass(frozen=True)
class PublicInterruption:
    id: int
    utility: str
    planned: bool
    cause: str
    postcodes: list[str]
    started_at: dt.datetime
    expected_end_at: dt.datetime | None
    status: str
    status_label: str
    in_progress: bool


def public_interruptions(
    *, now: dt.datetime, postcode: str = "", utility: str = "", active: bool = False
) -> list[PublicInterruption]:
    rows = (
        Interruption.objects.filter(account__isnull=True, ended_at__isnull=True, status__in=Interruption.OPEN_STATES)
        .select_related("cause")
        .prefetch_related("supply_points__premise")
        .order_by("started_at", "id")
    )
    if utility:
        rows = rows.filter(utility=utility.upper())
    if active:
        rows = rows.filter(started_at__lte=now)
    postcode = postcode.strip()
    result = []
    for interruption in rows:
        codes = list(interruption.postcodes or [])
        for point in interruption.supply_points.all():
            if point.premise.postcode not in codes:
                codes.append(point.premise.postcode)
        if postcode and postcode not in codes:
            continue
        result.append(
            PublicInterruption(
                id=interruption.pk,
                utility=interruption.utility,
                planned=interruption.planned,
                cause=interruption.cause.name,
                postcodes=sorted(codes),
                started_at=interruption.started_at,
                expected_end_at=interruption.expected_end_at,
                status=interruption.status,
                status_label=str(interruption.get_status_display()),
                in_progress=interruption.started_at <= now,
            )
        )
    return result


def interruptions_of_customer(*, customer: Customer, account: Account | None = None) -> QuerySet[Interruption]:
    affected = AffectedSupply.objects.filter(customer=customer)
    own = Q(account__customer=customer)
    if account is not None:
        affected = affected.filter(account=account)
        own = Q(account=account)
    return (
        Interruption.objects.filter(Q(pk__in=affected.values("interruption_id")) | own)
        .exclude(status=Interruption.Status.CANCELLED)
        .select_related("cause")
        .order_by("-started_at", "-id")
    )


def current_for_customer(*, customer: Customer, now: dt.datetime) -> list[Interruption]:
    """Open interruptions affecting the customer: in progress, or planned within the next days."""
    return list(
        interruptions_of_customer(customer=customer).filter(ended_at__isnull=True, status__in=Interruption.OPEN_STATES)
    )


def _area(postcodes: Sequence[str], field: str) -> Q:
    where = Q()
    for prefix in postcodes:
        where |= Q(**{f"{field}__startswith": prefix.strip()})
    return where


def customers_served(*, utility: str, year: int, postcodes: Sequence[str] = ()) -> int:
    """Supply points with an active agreement of `utility` on 31 December of `year` (in the area)."""
    last = dt.date(year, 12, 31)
    agreements = ServiceAgreement.objects.filter(
        status__in=SERVING_STATES, supply_point__utility=utility, start_date__lte=last
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=last))
    if postcodes:
        agreements = agreements.filter(_area(postcodes, "supply_point__premise__postcode"))
    return agreements.values("supply_point_id").distinct().count()


@dataclass(frozen=True)
class ReliabilityRow:
    interruption: Interruption
    customers: int
    minutes: Decimal
    counted: bool


@dataclass(frozen=True)
class ReliabilityReport:
    utility: str
    year: int
    include_planned: bool
    figures: Figures
    rows: list[ReliabilityRow]


def reliability_figures(
    *, utility: str, year: int, postcodes: Sequence[str] = (), include_planned: bool = False
) -> ReliabilityReport:
    """The figures of `utility` in `year` (interruptions that started in the
    year, local time, ended and not cancelled; area interruptions only, not a
    customer's own disconnection or meter exchange), for the supply points in
    the area (postcode prefixes; none: everywhere)."""
    tz = timezone.get_current_timezone()
    first = dt.datetime(year, 1, 1, tzinfo=tz)
    after = dt.datetime(year + 1, 1, 1, tzinfo=tz)
    affected = Q(affected__isnull=False)
    if postcodes:
        affected &= _area(postcodes, "affected__supply_point__premise__postcode")
    interruptions = (
        Interruption.objects.filter(
            utility=utility,
            account__isnull=True,
            started_at__gte=first,
            started_at__lt=after,
            ended_at__isnull=False,
        )
        .exclude(status=Interruption.Status.CANCELLED)
        .select_related("cause")
        .annotate(area_customers=Count("affected__supply_point", filter=affected, distinct=True))
        .order_by("started_at", "id")
    )
    rows = []
    events = []
    for interruption in interruptions:
        if postcodes and not interruption.area_customers:
            continue
        event = Event(planned=interruption.planned, minutes=interruption.minutes, customers=interruption.area_customers)
        events.append(event)
        rows.append(
            ReliabilityRow(
                interruption=interruption,
                customers=event.customers,
                minutes=event.minutes,
                counted=is_counted(event, include_planned=include_planned),
            )
        )
    figures = reliability(
        served=customers_served(utility=utility, year=year, postcodes=postcodes),
        events=events,
        include_planned=include_planned,
    )
    return ReliabilityReport(utility=utility, year=year, include_planned=include_planned, figures=figures, rows=rows)
