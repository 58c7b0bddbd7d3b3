"""The kernel's Celery tasks, for the worker's autodiscovery. Each task lives
beside the service that queues it and keeps its name here."""

from core.communications import deliver_message
from core.departments import deliver_department_notice

__all__ = ["deliver_department_notice", "deliver_message"]
