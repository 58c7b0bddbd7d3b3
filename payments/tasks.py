from celery import shared_task

from core import clock
from payments.services import sepa
from payments.services.refund_files import refund_file_write
from payments.services.settlement import settlements_run


@shared_task
def sepa_collect_due() -> int | None:
    """The daily direct-debit run (idempotent: a second run for the day creates nothing)."""
    run = sepa.sepa_collect(as_of=clock.today())
    return run.batch.pk if run.batch is not None else None


@shared_task
def settle_ended_accounts() -> str:
    """The daily settlement after final bills, then the refunds' transfer file (idempotent)."""
    today = clock.today()
    run = settlements_run(as_of=today)
    refund_file_write(as_of=today)
    return run.summary()
