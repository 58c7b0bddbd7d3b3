"""The kernel's Celery tasks, for the worker's autodiscovery. The task lives
beside the service that queues it and keeps its name here."""

from core.communications import deliver_message

__all__ = ["deliver_message"]
