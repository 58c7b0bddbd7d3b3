from celery import shared_task

from core import clock
from supply.services import agreements


@shared_task
def activate_due_agreements() -> list[int]:
    """Activate confirmed agreements whose start date has come (idempotent)."""
    return agreements.agreements_activate_due(as_of=clock.today())
