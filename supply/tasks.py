from celery import shared_task

from core import clock
from supply.services import agreements, termination


@shared_task
def activate_due_agreements() -> list[int]:
    """Activate confirmed agreements whose start date has come (idempotent)."""
    return agreements.agreements_activate_due(as_of=clock.today())


@shared_task
def estimate_final_reads() -> list[int]:
    """Remind customers of final reads still missing, and estimate those that
    did not arrive in time (idempotent)."""
    today = clock.today()
    termination.final_read_reminders_send(as_of=today)
    return termination.final_reads_estimate_due(as_of=today)
