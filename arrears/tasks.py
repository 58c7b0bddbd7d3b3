from celery import shared_task

from arrears.services.dunning import dunning_run
from core import clock


@shared_task
def dunning_run_daily() -> dict:
    """The daily dunning run (idempotent per account, case and level)."""
    result = dunning_run(as_of=clock.today())
    return dict(result.counts)
