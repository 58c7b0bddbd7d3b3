"""What the interruption pages show (reads only): the public status list
(no personal data), the interruptions affecting one customer (dashboard
banner, the assistant, the staff customer page), a customer's own
"no supply" reports, and the back-office lists and the detail with its
timeline, customers affected, notices, bookings and linked tickets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Customer
from meters.models import SupplyPoint, Utility
from outages.models import AffectedSupply, Charge, Interruption, NoSupplyReport, Notice, StatusUpdate
from outages.queries import PublicInterruption, ReliabilityReport, public_interruptions, reliability_figures
from supply.models import ServiceAgreement

# Supplies a customer can report "no supply" for.
REPORTABLE_STATES = (ServiceAgreement.Status.ACTIVE, ServiceAgreement.Status.ENDING)

STATUS_BADGES = {
    Interruption.Status.PLANNED: "text-bg-info",
    Interruption.Status.INVESTIGATING: "text-bg-danger",
    Interruption.Status.CREW_ON_SITE: "text-bg-warning",
    Interruption.Status.RESTORED: "text-bg-success",
    Interruption.Status.CANCELLED: "text-bg-secondary",
}

STAFF_TABS = {
    "current": _("Current"),
    "planned": _("Planned"),
    "to_close": _("Restored, to close"),
    "closed": _("Closed"),
}


def status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "text-bg-secondary")


# --- The public status page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusRow:
    """An area interruption on the status page (outages.queries keeps out everything personal)."""

    item: PublicInterruption

    @property
    def utility_label(self) -> str:
        return Utility(self.item.utility).label

    @property
    def badge(self) -> str:
        return status_badge(self.item.status)


def status_rows(*, now: dt.datetime, postcode: str = "", utility: str = "") -> tuple[list[StatusRow], list[StatusRow]]:
    """(current, planned) area interruptions for the status page, optionally of one postcode and utility."""
    rows = [StatusRow(item) for item in public_interruptions(now=now, postcode=postcode, utility=utility)]
    return [row for row in rows if row.item.in_progress], [row for row in rows if not row.item.in_progress]


# --- One customer ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerInterruption:
    """An open interruption affecting one of the customer's supplies."""

    interruption: Interruption
    addresses: tuple[str, ...]
    upcoming: bool

    @property
    def badge(self) -> str:
        return status_badge(self.interruption.status)


def customer_interruptions(*, accounts: list[Account], now: dt.datetime) -> list[CustomerInterruption]:
    """The open interruptions (current and planned) affecting the accounts'
    supplies, by start, each with the addresses it affects."""
    rows = list(
        AffectedSupply.objects.filter(account__in=accounts, interruption__status__in=Interruption.OPEN_STATES)
        .select_related("interruption__cause", "supply_point__premise")
        .order_by("interruption__started_at", "interruption_id", "id")
    )
    grouped: dict[int, tuple[Interruption, list[str]]] = {}
    for row in rows:
        interruption, addresses = grouped.setdefault(row.interruption_id, (row.interruption, []))
        address = str(row.supply_point.premise)
        if address not in addresses:
            addresses.append(address)
    return [
        CustomerInterruption(interruption, tuple(addresses), upcoming=interruption.started_at > now)
        for interruption, addresses in grouped.values()
    ]


def reportable_agreements(*, accounts: list[Account]) -> list[ServiceAgreement]:
    """The supplies a customer can report "no supply" for."""
    return list(
        ServiceAgreement.objects.filter(account__in=accounts, status__in=REPORTABLE_STATES)
        .select_related("account", "supply_point__premise")
        .order_by("supply_point__utility", "supply_point__premise__postcode", "id")
    )


def customer_reports(*, customer: Customer) -> QuerySet[NoSupplyReport]:
    """The customer's own "no supply" reports, newest first."""
    return (
        NoSupplyReport.objects.filter(customer=customer)
        .select_related("account", "supply_point__premise", "interruption__cause")
        .order_by("-created_at", "-id")
    )


# --- The back-office ------------------------------------------------------------------------------------------


def staff_list(*, tab: str, now: dt.datetime) -> QuerySet[Interruption]:
    """Interruptions on one tab: current and planned ones by start, restored
    ones waiting to be closed and closed (or cancelled) ones newest first."""
    queryset = Interruption.objects.select_related("cause", "account")
    open_now = Q(status__in=Interruption.OPEN_STATES)
    if tab == "current":
        return queryset.filter(open_now, started_at__lte=now).order_by("started_at", "id")
    if tab == "planned":
        return queryset.filter(open_now, started_at__gt=now).order_by("started_at", "id")
    if tab == "to_close":
        return queryset.filter(status=Interruption.Status.RESTORED, closed_at__isnull=True).order_by("-ended_at", "-id")
    return queryset.filter(Q(closed_at__isnull=False) | Q(status=Interruption.Status.CANCELLED)).order_by(
        "-started_at", "-id"
    )


def staff_tab_counts(*, now: dt.datetime) -> dict[str, int]:
    """How many interruptions each tab lists (one query)."""
    open_now = Q(status__in=Interruption.OPEN_STATES)
    return Interruption.objects.aggregate(
        current=Count("id", filter=open_now & Q(started_at__lte=now)),
        planned=Count("id", filter=open_now & Q(started_at__gt=now)),
        to_close=Count("id", filter=Q(status=Interruption.Status.RESTORED, closed_at__isnull=True)),
        closed=Count("id", filter=Q(closed_at__isnull=False) | Q(status=Interruption.Status.CANCELLED)),
    )


AFFECTED_SHOWN = 200


@dataclass
class InterruptionPage:
    interruption: Interruption
    updates: list[StatusUpdate]
    affected: list[AffectedSupply]
    notices: list[Notice]
    charges: list[Charge]
    reports: list[NoSupplyReport]
    supply_points: list[SupplyPoint]

    @property
    def tickets(self) -> list[NoSupplyReport]:
        return [report for report in self.reports if report.ticket_reference]


def interruption_page(*, interruption_id: int) -> InterruptionPage | None:
    """Everything the back-office detail shows (None: no such interruption)."""
    interruption = (
        Interruption.objects.select_related("cause", "account__customer", "supply_point__premise", "created_by")
        .filter(pk=interruption_id)
        .first()
    )
    if interruption is None:
        return None
    language = translation.get_language() or "de"
    charges = list(interruption.charges.select_related("rule", "account").order_by("booked_at", "id"))
    for charge in charges:
        charge.rule_name = charge.rule.name_in(language)
    return InterruptionPage(
        interruption=interruption,
        updates=list(interruption.updates.select_related("by").order_by("-at", "-id")),
        affected=list(
            interruption.affected.select_related("customer", "account", "supply_point__premise").order_by(
                "supply_point__premise__postcode", "supply_point_id", "id"
            )[:AFFECTED_SHOWN]
        ),
        notices=list(interruption.notices.select_related("customer", "message").order_by("-sent_at", "-id")),
        charges=charges,
        reports=list(
            interruption.reports.select_related("customer", "account", "supply_point__premise").order_by(
                "-created_at", "-id"
            )
        ),
        supply_points=list(interruption.supply_points.select_related("premise").order_by("identifier", "id")),
    )


# --- Reliability figures -------------------------------------------------------------------------------------

YEARS_COMPARED = 5
RELIABILITY_CSV_COLUMNS = (
    "utility",
    "year",
    "include_planned",
    "customers_served",
    "interruptions_counted",
    "customers_interrupted",
    "customer_minutes",
    "saidi_minutes",
    "saifi",
    "caidi_minutes",
)
INTERRUPTIONS_CSV_COLUMNS = (
    "id",
    "utility",
    "planned",
    "cause",
    "started_at",
    "ended_at",
    "minutes",
    "customers",
    "counted",
)
TWO_PLACES = Decimal("0.01")


def rounded(value: Decimal | None) -> Decimal | None:
    """A figure as shown: two decimals (None stays None: nobody served)."""
    return None if value is None else value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def reliability_years(
    *, utility: str, year: int, postcodes: tuple[str, ...] = (), include_planned: bool = False
) -> list[ReliabilityReport]:
    """The figures of `year` and the years before it (oldest first), for the chart and the table."""
    return [
        reliability_figures(utility=utility, year=shown, postcodes=postcodes, include_planned=include_planned)
        for shown in range(year - YEARS_COMPARED + 1, year + 1)
    ]


def reliability_csv_rows(reports: list[ReliabilityReport]) -> list[list[object]]:
    """One line per year: the figures rounded to two decimals."""
    return [
        [
            report.utility.lower(),
            report.year,
            "yes" if report.include_planned else "no",
            report.figures.customers_served,
            report.figures.interruptions_counted,
            report.figures.customers_interrupted,
            rounded(report.figures.customer_minutes),
            rounded(report.figures.saidi_minutes),
            rounded(report.figures.saifi),
            rounded(report.figures.caidi_minutes),
        ]
        for report in reports
    ]


def interruptions_csv_rows(report: ReliabilityReport) -> list[list[object]]:
    """One line per interruption of the year behind the figures (counted or not)."""
    return [
        [
            row.interruption.pk,
            row.interruption.utility.lower(),
            "yes" if row.interruption.planned else "no",
            row.interruption.cause.code,
            row.interruption.started_at.isoformat(),
            row.interruption.ended_at.isoformat() if row.interruption.ended_at else None,
            rounded(row.minutes),
            row.customers,
            "yes" if row.counted else "no",
        ]
        for row in report.rows
    ]
