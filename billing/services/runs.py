"""Bill runs: bill every account whose billing period ended on or before a
date, split into chunk tasks that any number of workers share.

A run's items are its work list. `bill_run_start` writes one PENDING item
per candidate account, numbers the items' chunks 0..n and queues one task per
chunk once the run is committed. A chunk task takes its chunk's PENDING
items a few at a time under a row lock that other workers skip
(`SELECT … FOR UPDATE SKIP LOCKED`), bills them with `bills_make` and records
each outcome in the same transaction. So:

- two workers on the same chunk share its items and never bill one twice;
- a worker that dies mid-chunk leaves its open transaction rolled back: its
  items are PENDING again and the invoices it was writing are gone; the
  re-delivered task (late acknowledgement) or a resume bills them again;
- the invoices' unique constraint (one live bill per account and period) is
  the backstop for everything else, e.g. a second run for the same date.

Counts and progress are read from the items, never from counters that
racing workers would have to keep in step. The last chunk to finish marks
the run FINISHED. A stopped run's tasks stop taking items; resuming queues
the chunks that still have PENDING items. One real run works at a time
(dry runs save nothing and may run beside it).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import formats
from django.utils.translation import gettext as _

from billing.models import BillingSettings, BillRun, BillRunItem
from billing.queries.runs import ACTIVE_STATES
from core import clock

logger = logging.getLogger(__name__)

# Items billed in one transaction inside a chunk: what a crashed worker loses
# at most, and how often a chunk task looks whether its run was stopped. A
# whole default chunk: bills_make's fixed cost per call (loading shared data,
# a few queries) weighs less; with 2 workers, 10,000 accounts went at ~325/s
# against ~235/s with 100 a transaction.
ITEMS_PER_TRANSACTION = 500
ITEM_BATCH = 5000
RESUMABLE_STATES = (BillRun.Status.RUNNING, BillRun.Status.STOPPED, BillRun.Status.FAILED)


class BillRunRefused(Exception):
    """A run cannot be started, stopped or resumed now; the message says why."""


def bill_run_date_check(*, as_of: dt.date, dry_run: bool, today: dt.date) -> None:
    """A real run bills periods that have ended: its date may not lie in the
    future. A dry run may look ahead."""
    if not dry_run and as_of > today:
        raise BillRunRefused(
            _("%(date)s is in the future; a bill run bills periods that have ended (a dry run may look ahead).")
            % {"date": formats.date_format(as_of, "SHORT_DATE_FORMAT")}
        )


def bill_run_start(*, as_of: dt.date, dry_run: bool = False, user: Any = None) -> BillRun:
    """Plan a run for `as_of`: one item per account to bill, in chunks of
    BillingSettings.chunk_size; the chunk tasks are queued after commit.

    Raises BillRunRefused while another real run is planning or running."""
    from billing.services.invoicing import accounts_to_bill

    with transaction.atomic():
        chunk_size = max(1, _settings_locked().chunk_size)
        if not dry_run:
            _refuse_beside_active_run(as_of=as_of)
        run = BillRun.objects.create(as_of=as_of, dry_run=dry_run, started_by=user)
        account_ids = accounts_to_bill(as_of=as_of)
        BillRunItem.objects.bulk_create(
            (
                BillRunItem(run=run, account_id=account_id, chunk=index // chunk_size)
                for index, account_id in enumerate(account_ids)
            ),
            batch_size=ITEM_BATCH,
        )
        run.total = len(account_ids)
        chunks = range((run.total + chunk_size - 1) // chunk_size)
        _set_running(run, chunks=chunks)
    return run


def bill_run_chunk(*, run_id: int, chunk: int) -> int:
    """Bill the PENDING items of one chunk while the run is RUNNING; returns
    how many items this call recorded. Safe to call twice at once and again
    after a crash: each item is taken by one worker, in one transaction."""
    from billing.services.invoicing import bills_make

    recorded = 0
    while True:
        with transaction.atomic():
            run = BillRun.objects.filter(pk=run_id).first()
            if run is None or run.status != BillRun.Status.RUNNING:
                return recorded
            items = list(
                BillRunItem.objects.select_for_update(skip_locked=True)
                .filter(run_id=run_id, chunk=chunk, status=BillRunItem.Status.PENDING)
                .order_by("pk")[:ITEMS_PER_TRANSACTION]
            )
            if not items:
                break
            _bill_batch(run=run, items=items, bills_make=bills_make)
        recorded += len(items)
    bill_run_finish_if_done(run_id=run_id)
    return recorded


def _bill_batch(*, run: BillRun, items: list[BillRunItem], bills_make: Any) -> None:
    """Bill the locked items together; when that fails unexpectedly, bill them
    one by one so that one account's error does not stop the others (the
    error is recorded on its item). A database error (lost connection,
    deadlock) goes up: the task retries and the items are still PENDING."""
    try:
        with transaction.atomic():
            _bill(run=run, items=items, bills_make=bills_make)
    except OperationalError:
        raise
    except Exception:
        logger.exception("bill run %s: a batch failed; billing its accounts one by one", run.pk)
    else:
        return
    for item in items:
        try:
            with transaction.atomic():
                _bill(run=run, items=[item], bills_make=bills_make)
        except OperationalError:
            raise
        except Exception as error:  # noqa: BLE001 - recorded on the item, which staff see with its reason
            logger.exception("bill run %s: account %s failed", run.pk, item.account_id)
            item.status = BillRunItem.Status.FAILED
            item.reason = _("Unexpected error: %(error)s") % {"error": f"{type(error).__name__}: {error}"}
            item.finished_at = clock.now()
            item.save(update_fields=["status", "reason", "finished_at"])


def _bill(*, run: BillRun, items: list[BillRunItem], bills_make: Any) -> None:
    outcomes = bills_make(
        account_ids=[item.account_id for item in items], as_of=run.as_of, bill_run=run, dry_run=run.dry_run
    )
    by_account = {outcome.account_id: outcome for outcome in outcomes}
    finished_at = clock.now()
    for item in items:
        outcome = by_account.get(item.account_id)
        item.finished_at = finished_at
        if outcome is None:
            item.status = BillRunItem.Status.FAILED
            item.reason = _("Billing returned no result for this account.")
            continue
        item.status = outcome.status
        item.period_start, item.period_end = outcome.period_start, outcome.period_end
        item.gross_total = outcome.gross_total
        item.invoice_id = outcome.invoice_id
        item.reason = outcome.reason
    BillRunItem.objects.bulk_update(
        items, ["status", "period_start", "period_end", "gross_total", "invoice", "reason", "finished_at"]
    )


def bill_run_finish_if_done(*, run_id: int) -> bool:
    """Mark a RUNNING run FINISHED once none of its items is PENDING.
    Every chunk task asks after its own commit, so the last one finishes the run."""
    if BillRunItem.objects.filter(run_id=run_id, status=BillRunItem.Status.PENDING).exists():
        return False
    return bool(
        BillRun.objects.filter(pk=run_id, status=BillRun.Status.RUNNING).update(
            status=BillRun.Status.FINISHED, finished_at=clock.now()
        )
    )


def bill_run_fail(*, run_id: int, error: str) -> None:
    """A chunk task gave up (e.g. the database stayed unreachable): the run
    shows the error and can be resumed once the cause is fixed."""
    BillRun.objects.filter(pk=run_id, status=BillRun.Status.RUNNING).update(
        status=BillRun.Status.FAILED, error=error, finished_at=clock.now()
    )


def bill_run_stop(*, run_id: int) -> BillRun:
    """Chunk tasks stop taking items; the items they hold are finished first."""
    with transaction.atomic():
        run = BillRun.objects.select_for_update().get(pk=run_id)
        if run.status == BillRun.Status.STOPPED:
            return run
        if run.status not in ACTIVE_STATES:
            raise BillRunRefused(_("This bill run is %(status)s; only a running run can be stopped.") % _status(run))
        run.status = BillRun.Status.STOPPED
        run.save(update_fields=["status"])
    return run


def bill_run_resume(*, run_id: int) -> BillRun:
    """Queue again every chunk that still has PENDING items (after a stop, a
    crashed worker or a failure); a run with none left finishes."""
    with transaction.atomic():
        _settings_locked()
        run = BillRun.objects.select_for_update().get(pk=run_id)
        if run.status not in RESUMABLE_STATES:
            raise BillRunRefused(_("This bill run is %(status)s; it cannot be resumed.") % _status(run))
        if not run.dry_run:
            _refuse_beside_active_run(as_of=run.as_of, other_than=run)
        chunks = (
            BillRunItem.objects.filter(run=run, status=BillRunItem.Status.PENDING)
            .order_by("chunk")
            .values_list("chunk", flat=True)
            .distinct()
        )
        run.error = ""
        run.finished_at = None
        _set_running(run, chunks=list(chunks))
    return run


def _set_running(run: BillRun, *, chunks: Iterable[int]) -> None:
    chunks = list(chunks)
    if chunks:
        run.status = BillRun.Status.RUNNING
        transaction.on_commit(lambda: _dispatch(run_id=run.pk, chunks=chunks))
    else:
        run.status = BillRun.Status.FINISHED
        run.finished_at = clock.now()
    run.save()


def _dispatch(*, run_id: int, chunks: list[int]) -> None:
    for chunk in chunks:
        bill_run_chunk_task.delay(run_id, chunk)


@shared_task(
    name="billing.tasks.bill_run_chunk",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def bill_run_chunk_task(self, run_id: int, chunk: int) -> int:
    """One chunk of a bill run. Acknowledged only when done, so a chunk whose
    worker died is delivered again; a database error retries it; when the
    retries are used up the run shows the error and waits for a resume."""
    try:
        return bill_run_chunk(run_id=run_id, chunk=chunk)
    except OperationalError as error:
        if self.request.retries >= self.max_retries:
            bill_run_fail(run_id=run_id, error=str(error))
        raise


def _settings_locked() -> BillingSettings:
    """The settings row, locked: starts and resumes take turns, so two of
    them cannot both find no other run going."""
    BillingSettings.current()
    return BillingSettings.objects.select_for_update().get(pk=1)


def _refuse_beside_active_run(*, as_of: dt.date, other_than: BillRun | None = None) -> None:
    active = BillRun.objects.filter(dry_run=False, status__in=ACTIVE_STATES).order_by("pk")
    if other_than is not None:
        active = active.exclude(pk=other_than.pk)
    running = active.first()
    if running is None:
        return
    if running.as_of == as_of:
        raise BillRunRefused(
            _("A bill run for %(date)s is already running (run %(run)s); it bills every account once.")
            % {"date": formats.date_format(as_of, "SHORT_DATE_FORMAT"), "run": running.pk}
        )
    raise BillRunRefused(
        _("Bill run %(run)s for %(date)s is still running; start the next one when it has finished.")
        % {"run": running.pk, "date": formats.date_format(running.as_of, "SHORT_DATE_FORMAT")}
    )


def _status(run: BillRun) -> dict[str, str]:
    return {"status": str(run.get_status_display())}
