"""A real Celery worker on the Redis broker delivers what `message_send` queued.

The worker runs in a thread of this process (celery.contrib.testing), with its
own database connection, so it sees only what the test committed; Django's
test mail backend (locmem) is process-wide, so its mails land in mail.outbox.
"""

import threading
import time
import uuid

import pytest
from celery.signals import task_prerun
from django.core import mail
from django.db import transaction

from core import communications
from core.communications import Recipient
from core.models import OutboxMessage
from portal.celery import app as celery_app

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DELIVERY_TIMEOUT_S = 30


@pytest.fixture
def worker(redis_broker):
    """A solo-pool worker consuming a queue of its own, so that nothing else on
    the same Redis (a developer's worker, leftovers of an earlier run) mixes in."""
    from celery.contrib.testing.worker import start_worker

    queue = f"portal-test-{uuid.uuid4().hex[:12]}"
    overrides = {
        "task_default_queue": queue,
        "worker_hijack_root_logger": False,  # leave pytest's log capture alone
        "worker_enable_remote_control": False,  # no pidbox queue left on Redis
    }
    previous = {name: celery_app.conf[name] for name in overrides}
    celery_app.conf.update(overrides)
    assert not celery_app.conf.task_always_eager
    try:
        with start_worker(
            celery_app, pool="solo", concurrency=1, perform_ping_check=False, queues=[queue], shutdown_timeout=30
        ) as started:
            started.test_queue = queue
            yield started
    finally:
        celery_app.conf.update(previous)
        with celery_app.connection_for_write() as connection:
            bound = celery_app.amqp.queues[queue](connection.default_channel)
            bound.declare()  # the channel learns the queue's bindings, so that delete removes them
            bound.delete()


def wait_until(predicate, timeout=DELIVERY_TIMEOUT_S, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@pytest.fixture
def task_runs():
    """(task name, queue, eager?, thread) of every task that starts."""
    runs = []

    def record(sender=None, task=None, **kwargs):
        queue = (task.request.delivery_info or {}).get("routing_key")
        runs.append((task.name, queue, bool(task.request.is_eager), threading.current_thread()))

    task_prerun.connect(record, weak=False)
    yield runs
    task_prerun.disconnect(record)


def test_the_worker_delivers_a_message_sent_inside_a_transaction(worker, task_runs):
    recipient = Recipient(name="Erika Mustermann", language="en", email="erika@example.com")

    with transaction.atomic():
        message = communications.message_send(
            recipient=recipient,
            template="onboarding_confirmation",
            context={"customer": None, "account": None, "mandate": None, "creditor_id": "DE98ZZZ09999999999"},
        )
        # Queued only once the transaction commits: the worker cannot have seen it.
        time.sleep(0.5)
        assert mail.outbox == []

    def delivered():
        return OutboxMessage.objects.get(pk=message.pk).status == OutboxMessage.Status.SENT

    assert wait_until(delivered), (
        f"not delivered within {DELIVERY_TIMEOUT_S}s: {OutboxMessage.objects.get(pk=message.pk)}"
    )
    # Delivered by the worker from its own queue, in its thread, not eagerly in the test's.
    assert [(name, queue, eager) for name, queue, eager, _thread in task_runs] == [
        ("core.tasks.deliver_message", worker.test_queue, False)
    ]
    assert task_runs[0][3] is not threading.current_thread()
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.error == ""
    assert wait_until(lambda: len(mail.outbox) == 1, timeout=5)
    sent = mail.outbox[0]
    assert sent.to == ["erika@example.com"]
    assert sent.subject == message.subject
    assert sent.extra_headers["X-Portal-Message"] == str(message.pk)


def test_a_rolled_back_transaction_queues_nothing(worker):
    recipient = Recipient(name="Erika Mustermann", language="en", email="erika@example.com")

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        communications.message_send(recipient=recipient, template="onboarding_confirmation", context={})
        raise Abandoned

    assert not OutboxMessage.objects.exists()
    time.sleep(1)
    assert mail.outbox == []
