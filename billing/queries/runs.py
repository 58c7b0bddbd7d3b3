"""Reading bill runs: progress and counts from their items, and the items
staff look into (held, failed, skipped)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from billing.models import BillRun, BillRunItem

RECENT_RUNS = 20
ACTIVE_STATES = (BillRun.Status.PLANNING, BillRun.Status.RUNNING)
Item = BillRunItem.Status

COUNTS = {
    "billed": Count("items", filter=Q(items__status=Item.BILLED)),
    "held": Count("items", filter=Q(items__status=Item.HELD)),
    "skipped": Count("items", filter=Q(items__status=Item.SKIPPED)),
    "failed": Count("items", filter=Q(items__status=Item.FAILED)),
}


@dataclass(frozen=True)
class RunProgress:
    """A run with its counts, read from its items."""

    run: BillRun
    billed: int
    held: int
    skipped: int
    failed: int

    @property
    def done(self) -> int:
        return self.billed + self.held + self.skipped + self.failed

    @property
    def pending(self) -> int:
        return max(self.run.total - self.done, 0)

    @property
    def percent(self) -> int:
        if not self.run.total:
            return 100 if self.run.status == BillRun.Status.FINISHED else 0
        return self.done * 100 // self.run.total

    @property
    def is_active(self) -> bool:
        """Still changing on its own: the page keeps polling."""
        return self.run.status in ACTIVE_STATES

    @property
    def can_stop(self) -> bool:
        return self.run.status in ACTIVE_STATES

    @property
    def can_resume(self) -> bool:
        return self.run.status in (BillRun.Status.STOPPED, BillRun.Status.FAILED)


def _with_counts(runs: QuerySet[BillRun]) -> list[RunProgress]:
    return [
        RunProgress(run=run, billed=run.billed, held=run.held, skipped=run.skipped, failed=run.failed)
        for run in runs.select_related("started_by").annotate(**COUNTS)
    ]


def runs_recent(*, limit: int = RECENT_RUNS) -> list[RunProgress]:
    """The latest runs, newest first, each with its counts (one query)."""
    return _with_counts(BillRun.objects.order_by("-created_at", "-pk")[:limit])


def runs_any_active(runs: list[RunProgress]) -> bool:
    return any(progress.is_active for progress in runs)


def run_progress(*, run_id: int) -> RunProgress | None:
    found = _with_counts(BillRun.objects.filter(pk=run_id))
    return found[0] if found else None


def run_items(*, run: BillRun, status: str) -> QuerySet[BillRunItem]:
    """A run's items in one state with their accounts and customers, in account order."""
    return (
        BillRunItem.objects.filter(run=run, status=status)
        .select_related("account__customer", "invoice")
        .order_by("account__number", "pk")
    )
