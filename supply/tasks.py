from celery import shared_task

from core import clock
from supply.services import agreements, termination


@shared_task
def activate_due_agreements() -> list[int]:
    """Activate confirmed agreements whose start date has come (idempotent)."""
    return agreements.agreements_activate_due(as_of=clock.today())


@shared_task
def estimate_final_reads() -> list[int]:
    """Estimate the final reads that did not arrive in time (idempotent)."""
    return termination.final_reads_estimate_due(as_of=clock.today())
