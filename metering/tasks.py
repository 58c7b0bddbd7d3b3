"""Read intake's Celery tasks, for the worker's autodiscovery. The task lives
beside the service that queues it and keeps its name here."""

from metering.services.imports import import_reads_job

__all__ = ["import_reads_job"]
