from celery import shared_task

from core import communications


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def deliver_message(self, message_id: int) -> None:
    """Deliver one outbox message (idempotent; retried on failure)."""
    try:
        communications.message_deliver(message_id=message_id)
    except Exception as exc:
        raise self.retry(exc=exc) from exc
