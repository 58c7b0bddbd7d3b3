"""A bill run on real services (PostgreSQL, Redis, Celery workers in their
own processes): a worker killed in the middle of a chunk and a resume, and
two workers on the same chunk at once, still make exactly one invoice per
account and period, numbered without gaps."""

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.models import Count

from accounts.models import BillingPreferences
from billing.models import BillingSettings, BillRun, BillRunItem, Invoice, LedgerEntry
from billing.services.runs import bill_run_chunk, bill_run_resume, bill_run_start
from meters.models import Read, Utility
from portal.celery import app as celery_app
from supply.models import VatRate
from tests.meters.factories import at, register_of
from tests.supply.factories import supplied

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

AS_OF = dt.date(2027, 1, 5)
ACCOUNTS = 6
TIMEOUT_S = 60


@pytest.fixture(autouse=True)
def no_delivery(settings):
    settings.BILLING_DELIVER_ON_ISSUE = False


@pytest.fixture
def accounts(postgres):
    """Six annual accounts with a year of supply to bill; runs of three accounts a chunk.
    (A test with real transactions empties the tables after it, the VAT rates
    the migrations seeded too: they are put back.)"""
    VatRate.objects.get_or_create(
        utility=Utility.ELECTRICITY, valid_from=dt.date(2021, 1, 1), defaults={"rate": Decimal("0.19")}
    )
    BillingSettings.current()
    BillingSettings.objects.update(chunk_size=3)
    accounts = []
    for n in range(1, ACCOUNTS + 1):
        agreement = supplied(n=n, start_date=dt.date(2026, 1, 1), start_read="1000")
        BillingPreferences.objects.update_or_create(
            account=agreement.account, defaults={"frequency": "ANNUAL", "budget_billing": False}
        )
        Read.objects.create(
            register=register_of(agreement), taken_at=at(2027, 1, 1), value=Decimal("4650"), source="CUSTOMER"
        )
        accounts.append(agreement.account)
    return accounts


@pytest.fixture
def queue(redis_broker):
    """A queue of this test's own, so that no other worker on the same Redis takes its tasks."""
    name = f"portal-bill-run-test-{uuid.uuid4().hex[:12]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = name
    assert not celery_app.conf.task_always_eager
    yield name
    celery_app.conf.task_default_queue = previous
    with celery_app.connection_for_write() as broker:
        bound = celery_app.amqp.queues[name](broker.default_channel)
        bound.declare()
        bound.delete()


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    def __init__(self, queue: str, tmp_path: Path) -> None:
        self.queue, self.tmp_path, self.started = queue, tmp_path, []

    def start(self, **env: str) -> subprocess.Popen:
        log = (self.tmp_path / f"worker-{len(self.started)}.log").open("w")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "tests.integration.bill_run_worker"],
            cwd=settings.BASE_DIR,
            env={
                **os.environ,
                "DATABASE_URL": database_url(),
                "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "BILLING_DELIVER_ON_ISSUE": "false",
                "BILL_RUN_TEST_QUEUE": self.queue,
                **env,
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(queue, tmp_path):
    started = Workers(queue, tmp_path)
    yield started
    started.stop_all()


def wait_until(predicate, timeout=TIMEOUT_S, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def invoices_per_account_and_period() -> dict[int, int]:
    counts = Invoice.objects.values("account_id", "period_start").annotate(count=Count("id"))
    return {row["account_id"]: row["count"] for row in counts}


def test_a_worker_killed_mid_chunk_and_a_resume_bill_each_account_once(accounts, workers, tmp_path):
    marker = tmp_path / "hanging"
    # Chunk 0 is billed in two transactions (2 + 1 accounts); the worker hangs in the second.
    doomed = workers.start(
        BILL_RUN_TEST_HANG_ON_CALL="2", BILL_RUN_TEST_MARKER=str(marker), BILL_RUN_TEST_ITEMS_PER_TRANSACTION="2"
    )
    run = bill_run_start(as_of=AS_OF)
    assert wait_until(marker.exists), f"the worker never reached the second transaction:\n{log_of(tmp_path)}"

    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=10)

    # The first transaction stays; the second died with its worker (PostgreSQL rolls it back).
    assert wait_until(lambda: other_open_transactions() == 0)
    assert Invoice.objects.count() == 2
    assert BillRunItem.objects.filter(run=run, status="PENDING").count() == ACCOUNTS - 2
    assert BillRun.objects.get(pk=run.pk).status == "RUNNING"

    workers.start()
    bill_run_resume(run_id=run.pk)

    assert wait_until(lambda: BillRun.objects.get(pk=run.pk).status == "FINISHED"), log_of(tmp_path)
    assert invoices_per_account_and_period() == {account.pk: 1 for account in accounts}
    assert LedgerEntry.objects.filter(kind="INVOICE").count() == ACCOUNTS
    assert not BillRunItem.objects.filter(run=run).exclude(status="BILLED").exists()
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"RE2027-{n:06d}" for n in range(1, ACCOUNTS + 1)]


def other_open_transactions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
        )
        return cursor.fetchone()[0]


def log_of(tmp_path: Path) -> str:
    return "\n".join(path.read_text() for path in sorted(tmp_path.glob("worker-*.log")))[-4000:]


def test_two_workers_on_the_same_chunk_at_once_bill_each_account_once(accounts, queue):
    """The run's own chunk tasks wait unconsumed in the test's queue; two threads take chunk 0 at once."""
    BillingSettings.objects.update(chunk_size=ACCOUNTS)
    run = bill_run_start(as_of=AS_OF)
    barrier = threading.Barrier(2)
    recorded, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=30)
            recorded.append(bill_run_chunk(run_id=run.pk, chunk=0))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sorted(recorded)[-1] > 0 and sum(recorded) == ACCOUNTS
    assert invoices_per_account_and_period() == {account.pk: 1 for account in accounts}
    assert BillRun.objects.get(pk=run.pk).status == "FINISHED"
