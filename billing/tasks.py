"""Billing's Celery tasks, for the worker's autodiscovery: the beat's tasks
and the resume are here; a task that a service queues (a bill run's chunk,
an invoice's delivery) lives beside that service and keeps its name here."""

import logging

from celery import shared_task

from billing.services import budget, runs
from billing.services.invoicing import deliver_invoice
from billing.services.runs import bill_run_chunk_task
from core import clock

__all__ = ["bill_run_chunk_task", "bill_run_daily", "bill_run_resume", "deliver_invoice", "raise_instalments"]

logger = logging.getLogger(__name__)


@shared_task
def raise_instalments() -> int:
    """Beat, every day: raise the month's budget-billing instalments once their day has come (idempotent)."""
    return budget.instalments_raise(as_of=clock.today())


@shared_task
def bill_run_daily() -> int | None:
    """Beat, every night: bill what is due today (refused, and logged, while
    another run is still going)."""
    try:
        return runs.bill_run_start(as_of=clock.today()).pk
    except runs.BillRunRefused as refusal:
        logger.warning("daily bill run not started: %s", refusal)
        return None


@shared_task
def bill_run_resume(run_id: int) -> int:
    """Queue again the chunks of a stopped, failed or stalled run."""
    return runs.bill_run_resume(run_id=run_id).pk
