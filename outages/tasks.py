from celery import shared_task

from core import clock
from outages.services import planned_notices_send


@shared_task
def announce_planned_interruptions() -> int:
    """Announce planned work starting within OUTAGE_PLANNED_NOTICE_DAYS (each customer once)."""
    return planned_notices_send(now=clock.now())
