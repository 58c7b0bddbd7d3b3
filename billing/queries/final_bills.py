"""Reads for the agents' list of final bills against the deadline: supplies
that have ended (or are ending) whose final period no issued bill covers
yet, with the day the final bill is due (end date + FINAL_BILL_DEADLINE_DAYS,
EnWG §40b)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef

from billing.models import Invoice
from supply.models import ServiceAgreement

LIST_LIMIT = 200


@dataclass(frozen=True)
class FinalBillDue:
    agreement: ServiceAgreement
    due_on: dt.date
    days_left: int
    held: bool

    @property
    def is_late(self) -> bool:
        return self.days_left < 0

    @property
    def days_late(self) -> int:
        return max(-self.days_left, 0)


def final_bill_due_on(end_date: dt.date) -> dt.date:
    return end_date + dt.timedelta(days=settings.FINAL_BILL_DEADLINE_DAYS)


def final_bills_due(*, as_of: dt.date, within_days: int, limit: int = LIST_LIMIT) -> list[FinalBillDue]:
    """Ending and ended supplies without an issued bill up to their end date
    whose final bill was due before `as_of` (late) or falls due within
    `within_days`; the most overdue first, in one query."""
    covered = Invoice.objects.filter(
        account_id=OuterRef("account_id"),
        kind__in=Invoice.BILL_KINDS,
        status=Invoice.Status.ISSUED,
        period_end__gte=OuterRef("end_date"),
    )
    held = Invoice.objects.filter(
        account_id=OuterRef("account_id"),
        kind__in=Invoice.BILL_KINDS,
        status=Invoice.Status.HELD,
        period_end__gte=OuterRef("end_date"),
    )
    last_end = as_of + dt.timedelta(days=within_days - settings.FINAL_BILL_DEADLINE_DAYS)
    agreements = (
        ServiceAgreement.objects.filter(
            status__in=(ServiceAgreement.Status.ENDING, ServiceAgreement.Status.ENDED),
            end_date__isnull=False,
            end_date__lte=last_end,
        )
        .exclude(Exists(covered))
        .annotate(has_held=Exists(held))
        .select_related("account__customer", "supply_point", "tariff")
        .order_by("end_date", "id")[:limit]
    )
    return [
        FinalBillDue(
            agreement=agreement,
            due_on=final_bill_due_on(agreement.end_date),
            days_left=(final_bill_due_on(agreement.end_date) - as_of).days,
            held=agreement.has_held,
        )
        for agreement in agreements
    ]
