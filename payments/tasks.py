from celery import shared_task

from core import clock
from payments.services import sepa


@shared_task
def sepa_collect_due() -> int | None:
    """The daily direct-debit run (idempotent: a second run for the day creates nothing)."""
    run = sepa.sepa_collect(as_of=clock.today())
    return run.batch.pk if run.batch is not None else None
