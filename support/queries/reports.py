"""Customer service figures for a period: volume by topic and channel,
self-service resolution, first response time, SLA compliance, CSAT and the
open complaints by age."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Q

from support.models import AssistantConversation, Ticket, Topic

ONE_DECIMAL = Decimal("0.1")
AGE_BUCKETS = [(0, 7), (8, 14), (15, 21), (22, 28), (29, None)]


def percent(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` in per cent with one decimal (None when there is nothing to count)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class VolumeRow:
    topic: str
    topic_label: str
    channel: str
    channel_label: str
    count: int


@dataclass(frozen=True)
class AgeBucket:
    label: str
    count: int


@dataclass(frozen=True)
class ServiceReport:
    date_from: dt.date
    date_to: dt.date
    tickets_created: int
    volume: list[VolumeRow]
    conversations: int
    self_service_solved: int
    self_service_rate: Decimal | None
    first_responses: int
    first_response_median_hours: Decimal | None
    first_response_average_hours: Decimal | None
    resolved: int
    resolved_in_sla: int
    sla_compliance: Decimal | None
    first_response_in_sla: int
    first_response_compliance: Decimal | None
    csat_count: int
    csat_average: Decimal | None
    csat_satisfied: Decimal | None
    open_complaints: list[AgeBucket]


def _hours(delta: dt.timedelta) -> Decimal:
    return Decimal(int(delta.total_seconds())) / Decimal(3600)


def service_report(*, date_from: dt.date, date_to: dt.date, as_of: dt.datetime, time_zone) -> ServiceReport:
    """The figures for tickets and questions from `date_from` to `date_to` (inclusive, local dates)."""
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=time_zone)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=time_zone)
    created = Ticket.objects.filter(created_at__gte=start, created_at__lt=end).exclude(
        resolution=Ticket.Resolution.DUPLICATE
    )
    topic_labels = dict(Topic.choices)
    channel_labels = dict(Ticket.Channel.choices)
    volume = [
        VolumeRow(
            topic=row["topic"],
            topic_label=str(topic_labels.get(row["topic"], row["topic"] or "–")),
            channel=row["channel"],
            channel_label=str(channel_labels.get(row["channel"], row["channel"])),
            count=row["count"],
        )
        for row in created.values("topic", "channel").annotate(count=Count("id")).order_by("-count", "topic", "channel")
    ]
    conversations = AssistantConversation.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(
        total=Count("id"), solved=Count("id", filter=Q(solved=True))
    )
    responded = list(
        Ticket.objects.filter(first_response_at__gte=start, first_response_at__lt=end).values_list(
            "created_at", "first_response_at", "first_response_due_at"
        )
    )
    response_hours = [_hours(answered - opened) for opened, answered, _due in responded]
    first_in_sla = sum(1 for _opened, answered, due in responded if due is None or answered <= due)
    resolved = Ticket.objects.filter(resolved_at__gte=start, resolved_at__lt=end).aggregate(
        total=Count("id"),
        in_sla=Count("id", filter=Q(sla_due_at__isnull=True) | Q(resolved_at__lte=F("sla_due_at"))),
    )
    rated = Ticket.objects.filter(resolved_at__gte=start, resolved_at__lt=end, csat_score__isnull=False).aggregate(
        count=Count("id"), average=Avg("csat_score"), satisfied=Count("id", filter=Q(csat_score__gte=4))
    )
    today = as_of.astimezone(time_zone).date()
    ages = [
        (today - opened.astimezone(time_zone).date()).days
        for opened in Ticket.objects.filter(kind=Ticket.Kind.COMPLAINT, status__in=Ticket.OPEN_STATUSES).values_list(
            "created_at", flat=True
        )
    ]
    buckets = [
        AgeBucket(
            label=f"{low}–{high}" if high is not None else f"> {low - 1}",
            count=sum(1 for age in ages if age >= low and (high is None or age <= high)),
        )
        for low, high in AGE_BUCKETS
    ]
    return ServiceReport(
        date_from=date_from,
        date_to=date_to,
        tickets_created=created.count(),
        volume=volume,
        conversations=conversations["total"],
        self_service_solved=conversations["solved"],
        self_service_rate=percent(conversations["solved"], conversations["total"]),
        first_responses=len(response_hours),
        first_response_median_hours=(
            Decimal(statistics.median(response_hours)).quantize(Decimal("0.1")) if response_hours else None
        ),
        first_response_average_hours=(
            (sum(response_hours) / len(response_hours)).quantize(Decimal("0.1")) if response_hours else None
        ),
        resolved=resolved["total"],
        resolved_in_sla=resolved["in_sla"],
        sla_compliance=percent(resolved["in_sla"], resolved["total"]),
        first_response_in_sla=first_in_sla,
        first_response_compliance=percent(first_in_sla, len(responded)),
        csat_count=rated["count"],
        csat_average=(
            Decimal(str(rated["average"])).quantize(Decimal("0.01")) if rated["average"] is not None else None
        ),
        csat_satisfied=percent(rated["satisfied"], rated["count"]),
        open_complaints=buckets,
    )


def report_rows(report: ServiceReport) -> list[tuple[str, str, str]]:
    """The report as (metric, dimension, value) rows for the CSV export."""
    rows: list[tuple[str, str, str]] = [
        ("period_from", "", report.date_from.isoformat()),
        ("period_to", "", report.date_to.isoformat()),
        ("tickets_created", "", str(report.tickets_created)),
    ]
    rows += [("volume", f"{row.topic or '-'}/{row.channel}", str(row.count)) for row in report.volume]

    def value(number) -> str:
        return "" if number is None else str(number)

    rows += [
        ("assistant_conversations", "", str(report.conversations)),
        ("self_service_solved", "", str(report.self_service_solved)),
        ("self_service_rate_percent", "", value(report.self_service_rate)),
        ("first_responses", "", str(report.first_responses)),
        ("first_response_median_hours", "", value(report.first_response_median_hours)),
        ("first_response_average_hours", "", value(report.first_response_average_hours)),
        ("first_response_in_sla_percent", "", value(report.first_response_compliance)),
        ("resolved", "", str(report.resolved)),
        ("resolved_in_sla", "", str(report.resolved_in_sla)),
        ("sla_compliance_percent", "", value(report.sla_compliance)),
        ("csat_ratings", "", str(report.csat_count)),
        ("csat_average", "", value(report.csat_average)),
        ("csat_satisfied_percent", "", value(report.csat_satisfied)),
    ]
    rows += [("open_complaints_age_days", bucket.label, str(bucket.count)) for bucket in report.open_complaints]
    return rows
