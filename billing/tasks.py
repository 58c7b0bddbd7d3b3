import logging

from celery import shared_task
from django.db import OperationalError

from billing.services import budget, runs
from core import clock

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


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def bill_run_chunk(self, run_id: int, chunk: int) -> int:
    """One chunk of a bill run. Acknowledged only when done, so a chunk whose
    worker died is delivered again; a database error retries it; when the
    retries are used up the run shows the error and waits for a resume."""
    try:
        return runs.bill_run_chunk(run_id=run_id, chunk=chunk)
    except OperationalError as error:
        if self.request.retries >= self.max_retries:
            runs.bill_run_fail(run_id=run_id, error=str(error))
        raise


@shared_task
def bill_run_resume(run_id: int) -> int:
    """Queue again the chunks of a stopped, failed or stalled run."""
    return runs.bill_run_resume(run_id=run_id).pk


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def deliver_invoice(invoice_id: int) -> int | None:
    """Send an issued invoice or credit note on the customer's channel; the
    outbox message's id, or None when it went out already (idempotent)."""
    from billing.services.delivery import invoice_deliver

    message = invoice_deliver(invoice_id=invoice_id)
    return message.pk if message else None
