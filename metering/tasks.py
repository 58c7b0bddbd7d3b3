from celery import shared_task

from core import clock
from metering.services import imports as read_import


@shared_task
def import_reads_job(job_id: int) -> None:
    """Import a CSV file of reads uploaded in the back-office (a second run does nothing)."""
    try:
        read_import.read_import_job_run(job_id=job_id, now=clock.now())
    except Exception as error:
        read_import.read_import_job_fail(job_id=job_id, error=str(error))
        raise
