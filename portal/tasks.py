"""The site shell's scheduled tasks: thin, each calls one service."""

import logging

from celery import shared_task

from core import clock
from portal.privacy.erasure import retained_records_purge

logger = logging.getLogger(__name__)


@shared_task(name="portal.tasks.purge_retained_records")
def purge_retained_records() -> int:
    """Daily: delete the kept invoices and bookings of erased customers whose
    retention period is over (idempotent)."""
    purged = retained_records_purge(as_of=clock.today())
    for item in purged:
        logger.info("Purged the records of erased customer %s (kept until %s)", item.customer_id, item.purge_from)
    return len(purged)
