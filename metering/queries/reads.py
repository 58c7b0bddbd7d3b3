"""Reads for the customer's reads pages (and the agents' Reads tab on the
customer page): per supply the registers to read with their last read and
the range we expect, the monthly consumption chart (metering.charts) and
the read history with source and status badges.

A customer sees only what was read while they were supplied: from 00:00 of
their agreement's start date to 00:00 of the day after its end date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Customer
from core import clock
from metering.charts import ConsumptionChart, consumption_charts
from metering.services.intake import SUPPLYING_STATES, expected_range
from meters.models import METERED_UTILITIES, GasConversionFactor, Meter, Read, ReadReview, Register, Utility
from meters.queries import gas_factors_on
from meters.readings import COUNTED_QUALITIES
from supply.models import ServiceAgreement
from supply.queries import UTILITY_ICONS, register_label

Status = ServiceAgreement.Status
Source = Read.Source
Quality = Read.Quality

HISTORY_LIMIT = 24
HISTORY_PAGE_SIZE = 100
# Agreements that have (or will have) reads to show, and those with a chart.
SHOWN_STATES = (Status.REQUESTED, Status.CONFIRMED, Status.ACTIVE, Status.ENDING, Status.ENDED)
CHARTED_STATES = (Status.ACTIVE, Status.ENDING, Status.ENDED)

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
    history, has_more = read_history(agreement=agreement, limit=HISTORY_LIMIT, for_staff=for_staff)
    factors = None
    if agreement.supply_point.utility == Utility.GAS:
        factors = gas_factors_on(supply_point=agreement.supply_point, day=day)
    return SupplyReads(
        agreement=agreement,
        refusal=refusal,
        panels=panels,
        charts=_charts(agreement, day=day),
        history=history,
        has_more_history=has_more,
        gas_factors=factors,
    )


def _charts(agreement: ServiceAgreement, *, day: dt.date) -> list[ConsumptionChart]:
    if agreement.status not in CHARTED_STATES:
        return []
    registers = [register for meter in agreement.supply_point.meters.all() for register in meter.registers.all()]
    return consumption_charts(
        registers=registers, since=supplied_from(agreement), until=supplied_until(agreement), year=day.year
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
        # Rejected and cancelled requests never supplied anything: they show no reads.
        ServiceAgreement.objects.filter(
            pk=agreement_id,
            account__customer=customer,
            supply_point__utility__in=METERED_UTILITIES,
            status__in=SHOWN_STATES,
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
