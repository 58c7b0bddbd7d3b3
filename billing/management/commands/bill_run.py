"""`manage.py bill_run --as-of YYYY-MM-DD [--dry-run] [--wait]`: the bill run by hand."""

import argparse
import datetime as dt
import time

from django.core.management.base import CommandError
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from billing.models import BillRun, BillRunItem
from billing.queries.runs import ACTIVE_STATES, RunProgress, run_items, run_progress
from billing.services.runs import BillRunRefused, bill_run_chunk, bill_run_date_check, bill_run_start
from core import clock
from core.commands import ImportCommand, as_of_date

HELP = gettext_lazy(
    """Bill every account whose billing period ended on or before the date,
as the nightly run does: the run is split into chunk tasks for the Celery
workers and shown in the back-office under Bill runs.

Without --wait this process bills the chunks too, so the run completes with
or without a worker (a worker that takes a chunk first simply shares the
work; no account is billed twice). With --wait the workers do all the work
and this process waits for them.

Prints the counts (billed, held for review, nothing to bill, failed) and
every failed account with its reason. A second run for the same date bills
nothing new. A real run's date may not lie in the future (a dry run's may).
The exit status is 1 when any account failed or the run could not start
(e.g. another run is still going)."""
)

POLL_SECONDS = 1.0


class Command(ImportCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--as-of", type=as_of_date, required=True, help=_("Bill the periods that ended on or before this date.")
        )
        parser.add_argument("--dry-run", action="store_true", help=_("Compute the bills and save none."))
        parser.add_argument(
            "--wait", action="store_true", help=_("Leave the chunks to the Celery workers and wait until they finish.")
        )

    def handle(self, *args, as_of: dt.date, dry_run: bool, wait: bool, **options) -> None:
        try:
            bill_run_date_check(as_of=as_of, dry_run=dry_run, today=clock.today())
            run = bill_run_start(as_of=as_of, dry_run=dry_run)
        except BillRunRefused as refusal:
            raise CommandError(str(refusal)) from refusal
        self.stdout.write(self._title(run))
        if not wait:
            for chunk in self._chunks(run):
                bill_run_chunk(run_id=run.pk, chunk=chunk)
        progress = self._wait(run)
        self._report(progress)

    def _title(self, run: BillRun) -> str:
        values = {"run": run.pk, "date": formats.date_format(run.as_of, "Y-m-d"), "count": run.total}
        if run.dry_run:
            return (
                ngettext(
                    "Bill run %(run)s for %(date)s (dry run, nothing is saved): %(count)d account",
                    "Bill run %(run)s for %(date)s (dry run, nothing is saved): %(count)d accounts",
                    run.total,
                )
                % values
            )
        return (
            ngettext(
                "Bill run %(run)s for %(date)s: %(count)d account",
                "Bill run %(run)s for %(date)s: %(count)d accounts",
                run.total,
            )
            % values
        )

    def _chunks(self, run: BillRun) -> list[int]:
        return list(
            BillRunItem.objects.filter(run=run, status=BillRunItem.Status.PENDING)
            .order_by("chunk")
            .values_list("chunk", flat=True)
            .distinct()
        )

    def _wait(self, run: BillRun) -> RunProgress:
        """Until no chunk is left (workers may still hold the last items)."""
        shown = None
        while True:
            progress = run_progress(run_id=run.pk)
            if progress.run.status not in ACTIVE_STATES:
                return progress
            if progress.done != shown:
                shown = progress.done
                self.stdout.write(
                    _("%(done)d of %(total)d accounts done") % {"done": progress.done, "total": progress.run.total}
                )
            time.sleep(POLL_SECONDS)

    def _report(self, progress: RunProgress) -> None:
        run = progress.run
        self.stdout.write(_("Billed: %(count)d") % {"count": progress.billed})
        self.stdout.write(_("Held for review: %(count)d") % {"count": progress.held})
        self.stdout.write(_("Nothing to bill: %(count)d") % {"count": progress.skipped})
        self.stdout.write(_("Failed: %(count)d") % {"count": progress.failed})
        for item in run_items(run=run, status=BillRunItem.Status.FAILED):
            self.stdout.write(
                _("  account %(number)s (%(name)s): %(reason)s")
                % {"number": item.account.number, "name": item.account.customer, "reason": item.reason}
            )
        if run.status != BillRun.Status.FINISHED:
            raise CommandError(
                ngettext(
                    "The run is %(status)s with %(count)d account left: %(error)s",
                    "The run is %(status)s with %(count)d accounts left: %(error)s",
                    progress.pending,
                )
                % {"status": run.get_status_display(), "count": progress.pending, "error": run.error or "–"}
            )
        if progress.failed:
            raise CommandError(
                ngettext("%(count)d account failed.", "%(count)d accounts failed.", progress.failed)
                % {"count": progress.failed}
            )
