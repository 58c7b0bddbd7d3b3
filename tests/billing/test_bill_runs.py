"""Bill runs: planning in chunks, billing each account once whatever runs
twice, stop and resume, a crashed chunk, the command, the beat task."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import OperationalError

from accounts.models import BillingPreferences
from billing import tasks
from billing.models import BillingSettings, BillRun, BillRunItem, Invoice, LedgerEntry
from billing.queries.runs import run_progress
from billing.services import invoicing, runs
from billing.services.runs import BillRunRefused, bill_run_chunk, bill_run_resume, bill_run_start, bill_run_stop
from meters.models import Read
from tests.meters.factories import at, register_of
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2027, 1, 5)


@pytest.fixture(autouse=True)
def no_delivery(settings):
    settings.BILLING_DELIVER_ON_ISSUE = False


def yearly_supply(n: int, *, end_read: str | None = "4650"):
    """An annual account supplied through 2026; without an end read its bill is estimated."""
    agreement = supplied(n=n, start_date=dt.date(2026, 1, 1), start_read="1000")
    BillingPreferences.objects.update_or_create(
        account=agreement.account, defaults={"frequency": "ANNUAL", "budget_billing": False}
    )
    if end_read is not None:
        Read.objects.create(
            register=register_of(agreement), taken_at=at(2027, 1, 1), value=Decimal(end_read), source="CUSTOMER"
        )
    return agreement.account


def chunked(size: int) -> None:
    BillingSettings.current()
    BillingSettings.objects.update(chunk_size=size)


@pytest.fixture
def accounts():
    """Three to bill, one held (estimated from a read older than the limit), one not due yet."""
    BillingSettings.current()
    BillingSettings.objects.update(review_estimate_max_days=300)
    billed = [yearly_supply(n) for n in (1, 2, 3)]
    held = yearly_supply(4, end_read=None)
    not_due = supplied(n=5, start_date=dt.date(2027, 1, 1), start_read="50").account
    return {"billed": billed, "held": held, "not_due": not_due}


def run_to_the_end(run: BillRun) -> BillRun:
    """What the workers do with the chunk tasks queued at commit."""
    for chunk in BillRunItem.objects.filter(run=run).values_list("chunk", flat=True).distinct():
        bill_run_chunk(run_id=run.pk, chunk=chunk)
    run.refresh_from_db()
    return run


def invoices_per_account_and_period() -> list[tuple[int, dt.date, int]]:
    from django.db.models import Count

    return list(
        Invoice.objects.values_list("account_id", "period_start")
        .annotate(count=Count("id"))
        .order_by("account_id")
        .values_list("account_id", "period_start", "count")
    )


def test_a_run_plans_one_pending_item_per_account_in_numbered_chunks(accounts):
    chunked(2)

    run = bill_run_start(as_of=AS_OF)

    items = list(
        BillRunItem.objects.filter(run=run).order_by("account_id").values_list("account_id", "chunk", "status")
    )
    ordered = sorted(a.pk for a in [*accounts["billed"], accounts["held"], accounts["not_due"]])
    assert items == [(pk, index // 2, "PENDING") for index, pk in enumerate(ordered)]
    assert (run.status, run.total, run.as_of, run.dry_run) == ("RUNNING", 5, AS_OF, False)
    assert not Invoice.objects.exists()


def test_the_chunk_tasks_are_queued_on_commit_and_bill_the_whole_run(accounts, django_capture_on_commit_callbacks):
    chunked(2)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = bill_run_start(as_of=AS_OF)

    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.status == "FINISHED" and run.finished_at is not None
    progress = run_progress(run_id=run.pk)
    assert (progress.billed, progress.held, progress.skipped, progress.failed, progress.percent) == (3, 1, 1, 0, 100)
    item = BillRunItem.objects.get(run=run, account=accounts["billed"][0])
    invoice = Invoice.objects.get(account=accounts["billed"][0])
    assert (item.status, item.invoice, item.period_start, item.period_end, item.gross_total, item.reason) == (
        "BILLED",
        invoice,
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
        Decimal("1445.85"),
        "",
    )
    assert invoice.bill_run == run and invoice.number and item.finished_at is not None
    held = BillRunItem.objects.get(run=run, account=accounts["held"])
    assert held.status == "HELD" and held.invoice.status == "HELD" and "estimated" in held.reason
    skipped = BillRunItem.objects.get(run=run, account=accounts["not_due"])
    assert (skipped.status, skipped.invoice, skipped.reason) == ("SKIPPED", None, "No billing period is due.")


def test_the_same_date_run_twice_bills_each_account_and_period_once(accounts):
    first = run_to_the_end(bill_run_start(as_of=AS_OF))
    ledger = LedgerEntry.objects.count()

    second = run_to_the_end(bill_run_start(as_of=AS_OF))

    assert first.status == second.status == "FINISHED"
    assert [count for _account, _start, count in invoices_per_account_and_period()] == [1, 1, 1, 1]
    assert LedgerEntry.objects.count() == ledger == 3
    progress = run_progress(run_id=second.pk)
    assert (progress.billed, progress.held, progress.skipped) == (0, 0, 5)
    again = BillRunItem.objects.get(run=second, account=accounts["billed"][0])
    assert (again.invoice, again.reason) == (None, "No billing period is due.")


def test_two_workers_on_the_same_chunk_bill_each_account_once(accounts):
    run = bill_run_start(as_of=AS_OF)

    first = bill_run_chunk(run_id=run.pk, chunk=0)
    second = bill_run_chunk(run_id=run.pk, chunk=0)

    assert (first, second) == (5, 0)
    assert [count for _account, _start, count in invoices_per_account_and_period()] == [1, 1, 1, 1]
    run.refresh_from_db()
    assert run.status == "FINISHED"


def test_the_last_chunk_finishes_the_run(accounts):
    chunked(2)
    run = bill_run_start(as_of=AS_OF)

    bill_run_chunk(run_id=run.pk, chunk=2)
    bill_run_chunk(run_id=run.pk, chunk=0)
    run.refresh_from_db()
    assert run.status == "RUNNING" and run.finished_at is None
    assert run_progress(run_id=run.pk).percent == 60

    bill_run_chunk(run_id=run.pk, chunk=1)
    run.refresh_from_db()
    assert run.status == "FINISHED" and run.finished_at is not None


def test_a_run_with_nothing_to_look_at_finishes_at_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = bill_run_start(as_of=AS_OF)

    assert (run.status, run.total, callbacks) == ("FINISHED", 0, [])
    assert run.finished_at is not None


def test_a_second_real_run_is_refused_while_one_is_running(accounts):
    running = bill_run_start(as_of=AS_OF)

    with pytest.raises(BillRunRefused, match=rf"already running \(run {running.pk}\)"):
        bill_run_start(as_of=AS_OF)
    with pytest.raises(BillRunRefused, match=rf"Bill run {running.pk} for .* is still running"):
        bill_run_start(as_of=AS_OF + dt.timedelta(days=1))
    assert BillRun.objects.count() == 1


def test_a_dry_run_records_what_it_would_bill_and_saves_no_invoice(accounts):
    real = bill_run_start(as_of=AS_OF)

    dry = run_to_the_end(bill_run_start(as_of=AS_OF, dry_run=True))

    assert dry.status == "FINISHED" and dry.dry_run
    progress = run_progress(run_id=dry.pk)
    assert (progress.billed, progress.held, progress.skipped) == (3, 1, 1)
    assert BillRunItem.objects.get(run=dry, account=accounts["billed"][0]).gross_total == Decimal("1445.85")
    assert not Invoice.objects.exists() and not LedgerEntry.objects.exists()
    assert BillRun.objects.get(pk=real.pk).status == "RUNNING"


def test_a_real_run_may_not_lie_in_the_future_but_a_dry_run_may():
    with pytest.raises(BillRunRefused, match="is in the future"):
        runs.bill_run_date_check(as_of=dt.date(2026, 12, 2), dry_run=False, today=dt.date(2026, 12, 1))

    runs.bill_run_date_check(as_of=dt.date(2026, 12, 2), dry_run=True, today=dt.date(2026, 12, 1))
    runs.bill_run_date_check(as_of=dt.date(2026, 12, 1), dry_run=False, today=dt.date(2026, 12, 1))


def test_a_stopped_run_takes_no_more_items_and_a_resume_bills_the_rest(accounts, django_capture_on_commit_callbacks):
    chunked(2)
    run = bill_run_start(as_of=AS_OF)
    bill_run_chunk(run_id=run.pk, chunk=0)

    bill_run_stop(run_id=run.pk)

    assert bill_run_chunk(run_id=run.pk, chunk=1) == 0
    run.refresh_from_db()
    assert run.status == "STOPPED"
    assert BillRunItem.objects.filter(run=run, status="PENDING").count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        bill_run_resume(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "FINISHED"
    assert not BillRunItem.objects.filter(run=run, status="PENDING").exists()
    assert [count for _account, _start, count in invoices_per_account_and_period()] == [1, 1, 1, 1]


def test_stopping_twice_is_harmless_and_a_finished_run_cannot_be_stopped_or_resumed(accounts):
    run = bill_run_start(as_of=AS_OF)
    bill_run_stop(run_id=run.pk)
    assert bill_run_stop(run_id=run.pk).status == "STOPPED"
    bill_run_resume(run_id=run.pk)
    run_to_the_end(run)

    with pytest.raises(BillRunRefused, match="only a running run can be stopped"):
        bill_run_stop(run_id=run.pk)
    with pytest.raises(BillRunRefused, match="cannot be resumed"):
        bill_run_resume(run_id=run.pk)


def test_a_stopped_run_is_not_resumed_beside_another_running_one(accounts):
    stopped = bill_run_start(as_of=AS_OF)
    bill_run_stop(run_id=stopped.pk)
    running = bill_run_start(as_of=AS_OF)

    with pytest.raises(BillRunRefused, match=rf"already running \(run {running.pk}\)"):
        bill_run_resume(run_id=stopped.pk)


class WorkerDied(BaseException):
    """Stands for a worker killed in the middle of a chunk: nothing catches it."""


def test_a_chunk_whose_worker_died_leaves_no_invoice_and_a_resume_bills_it_once(
    accounts, monkeypatch, django_capture_on_commit_callbacks
):
    chunked(2)
    run = bill_run_start(as_of=AS_OF)
    real_bills_make = invoicing.bills_make

    def dies_after_writing(**kwargs):
        real_bills_make(**kwargs)
        raise WorkerDied

    monkeypatch.setattr(invoicing, "bills_make", dies_after_writing)
    with pytest.raises(WorkerDied):
        bill_run_chunk(run_id=run.pk, chunk=0)

    assert not Invoice.objects.exists() and not LedgerEntry.objects.exists()
    assert BillRunItem.objects.filter(run=run, status="PENDING").count() == 5
    monkeypatch.setattr(invoicing, "bills_make", real_bills_make)
    with django_capture_on_commit_callbacks(execute=True):
        bill_run_resume(run_id=run.pk)
    assert BillRun.objects.get(pk=run.pk).status == "FINISHED"
    assert [count for _account, _start, count in invoices_per_account_and_period()] == [1, 1, 1, 1]


def test_one_accounts_unexpected_error_fails_that_account_only(accounts, monkeypatch):
    run = bill_run_start(as_of=AS_OF)
    broken = accounts["billed"][1].pk
    real_bills_make = invoicing.bills_make

    def breaks_on_one(*, account_ids, **kwargs):
        if broken in account_ids:
            raise ZeroDivisionError("division by zero")
        return real_bills_make(account_ids=account_ids, **kwargs)

    monkeypatch.setattr(invoicing, "bills_make", breaks_on_one)
    run = run_to_the_end(run)

    assert run.status == "FINISHED"
    failed = BillRunItem.objects.get(run=run, status="FAILED")
    assert failed.account_id == broken
    assert failed.reason == "Unexpected error: ZeroDivisionError: division by zero"
    progress = run_progress(run_id=run.pk)
    assert (progress.billed, progress.held, progress.skipped, progress.failed) == (2, 1, 1, 1)
    assert not Invoice.objects.filter(account_id=broken).exists()


def test_a_database_error_leaves_the_batch_pending_for_the_retry(accounts, monkeypatch):
    run = bill_run_start(as_of=AS_OF)

    def connection_lost(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(invoicing, "bills_make", connection_lost)
    with pytest.raises(OperationalError):
        bill_run_chunk(run_id=run.pk, chunk=0)

    assert BillRunItem.objects.filter(run=run, status="PENDING").count() == 5
    assert BillRun.objects.get(pk=run.pk).status == "RUNNING"


def test_the_chunk_task_retries_on_database_errors_and_then_marks_the_run_failed(accounts, monkeypatch):
    run = bill_run_start(as_of=AS_OF)

    def connection_lost(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(invoicing, "bills_make", connection_lost)
    with pytest.raises(Retry):
        tasks.bill_run_chunk_task.apply(args=[run.pk, 0], throw=True)
    assert BillRun.objects.get(pk=run.pk).status == "RUNNING"

    with pytest.raises(OperationalError):
        tasks.bill_run_chunk_task.apply(args=[run.pk, 0], retries=tasks.bill_run_chunk_task.max_retries, throw=True)

    run.refresh_from_db()
    assert run.status == "FAILED" and "server closed the connection" in run.error
    assert BillRunItem.objects.filter(run=run, status="PENDING").count() == 5

    monkeypatch.undo()
    bill_run_resume(run_id=run.pk)
    run = run_to_the_end(run)
    assert (run.status, run.error) == ("FINISHED", "")


def test_the_chunk_task_is_acknowledged_late_and_requeued_when_its_worker_is_lost():
    assert tasks.bill_run_chunk_task.acks_late is True
    assert tasks.bill_run_chunk_task.reject_on_worker_lost is True


@time_machine.travel(dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC), tick=False)
def test_the_daily_task_bills_what_is_due_today(accounts, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_id = tasks.bill_run_daily.delay().get()

    run = BillRun.objects.get(pk=run_id)
    assert (run.as_of, run.status, run.started_by) == (AS_OF, "FINISHED", None)
    assert Invoice.objects.count() == 4


@time_machine.travel(dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC), tick=False)
def test_the_daily_task_leaves_a_running_run_alone(accounts, caplog):
    running = bill_run_start(as_of=AS_OF)

    assert tasks.bill_run_daily.delay().get() is None

    assert BillRun.objects.get() == running
    assert "daily bill run not started" in caplog.text


def test_beat_starts_the_daily_run_at_two_by_default():
    entry = django_settings.CELERY_BEAT_SCHEDULE["daily-bill-run"]

    assert entry["task"] == tasks.bill_run_daily.name == "billing.tasks.bill_run_daily"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {0})


# --- manage.py bill_run -----------------------------------------------------------------------------------------


def bill_run_command(*args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("bill_run", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


@time_machine.travel(dt.datetime(2027, 1, 6, 9, 0, tzinfo=dt.UTC), tick=False)
def test_the_command_bills_prints_the_counts_and_a_second_call_bills_nothing_new(accounts):
    out, error = bill_run_command("--as-of", "2027-01-05")

    run = BillRun.objects.get()
    assert error is None
    assert out.splitlines() == [
        f"Bill run {run.pk} for 2027-01-05: 5 accounts",
        "Billed: 3",
        "Held for review: 1",
        "Nothing to bill: 1",
        "Failed: 0",
    ]
    assert run.status == "FINISHED" and Invoice.objects.count() == 4

    again, error = bill_run_command("--as-of", "2027-01-05")

    assert error is None
    assert "Billed: 0" in again and "Nothing to bill: 5" in again
    assert [count for _account, _start, count in invoices_per_account_and_period()] == [1, 1, 1, 1]


@time_machine.travel(dt.datetime(2027, 1, 6, 9, 0, tzinfo=dt.UTC), tick=False)
def test_the_command_lists_failed_accounts_with_reasons_and_exits_with_1(accounts, monkeypatch):
    broken = accounts["billed"][0]
    real_bills_make = invoicing.bills_make

    def breaks_on_one(*, account_ids, **kwargs):
        if broken.pk in account_ids:
            raise ValueError("no tariff price")
        return real_bills_make(account_ids=account_ids, **kwargs)

    monkeypatch.setattr(invoicing, "bills_make", breaks_on_one)

    out, error = bill_run_command("--as-of", "2027-01-05")

    assert "Failed: 1" in out
    assert f"  account {broken.number} ({broken.customer}): Unexpected error: ValueError: no tariff price" in out
    assert str(error) == "1 account failed."


@time_machine.travel(dt.datetime(2027, 1, 6, 9, 0, tzinfo=dt.UTC), tick=False)
def test_the_command_dry_run_saves_nothing(accounts):
    out, error = bill_run_command("--as-of", "2027-01-05", "--dry-run")

    assert error is None
    assert "(dry run, nothing is saved): 5 accounts" in out and "Billed: 3" in out
    assert not Invoice.objects.exists()


@pytest.mark.django_db(transaction=True)
@time_machine.travel(dt.datetime(2027, 1, 6, 9, 0, tzinfo=dt.UTC), tick=False)
def test_the_command_with_wait_leaves_the_work_to_the_workers(accounts, monkeypatch):
    """Eager Celery (the embedded default without a worker) bills the chunks at commit."""
    chunks_billed = []
    real_chunk = runs.bill_run_chunk
    monkeypatch.setattr(
        runs, "bill_run_chunk", lambda **kwargs: chunks_billed.append(kwargs["chunk"]) or real_chunk(**kwargs)
    )

    out, error = bill_run_command("--as-of", "2027-01-05", "--wait")

    assert error is None
    assert "Billed: 3" in out
    assert chunks_billed == [0]


@time_machine.travel(dt.datetime(2027, 1, 6, 9, 0, tzinfo=dt.UTC), tick=False)
def test_the_command_refuses_a_future_date_a_bad_date_and_a_second_run(accounts):
    _out, error = bill_run_command("--as-of", "2027-01-07")
    assert "is in the future" in str(error)

    with pytest.raises(CommandError, match="2027-13-01 is not a date; write it as YYYY-MM-DD"):
        call_command("bill_run", "--as-of", "2027-13-01")

    running = bill_run_start(as_of=AS_OF)
    _out, error = bill_run_command("--as-of", "2027-01-05")
    assert f"already running (run {running.pk})" in str(error)
    assert not Invoice.objects.exists()
