from celery import shared_task

from billing import agreements, read_import
from portal.core import clock


@shared_task
def activate_due_agreements() -> list[int]:
    """Activate confirmed agreements whose start date has come (idempotent)."""
    return agreements.agreements_activate_due(as_of=clock.today())


@shared_task
def import_reads_job(job_id: int) -> None:
    """Import a CSV file of reads uploaded in the back-office (a second run does nothing)."""
    try:
        read_import.read_import_job_run(job_id=job_id, now=clock.now())
    except Exception as error:
        read_import.read_import_job_fail(job_id=job_id, error=str(error))
        raise
