"""`manage.py sepa_collect --as-of YYYY-MM-DD [--dry-run]`: the SEPA direct-debit run by hand."""

import argparse
import datetime as dt

from django.core.management.base import CommandError
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.commands import ImportCommand, as_of_date
from payments.files.pain008 import SepaFileError
from payments.services.sepa import sepa_collect

HELP = gettext_lazy(
    """Collect what is due by SEPA direct debit, as the daily task does.

The collection date is the date plus SEPA_PRENOTIFICATION_DAYS (default 14)
calendar days, moved to the next TARGET2 banking day. Every account paying by
direct debit with an active mandate is collected for its invoices and
instalments due by then that are not yet being collected (less any credit);
invoices on hold (dispute, payment plan) and items of a returned direct
debit are left out. Each customer gets a pre-notification with the amount
and date; the pain.008 file for the collection date waits in the
back-office (Direct debits) for download. The collections stay pending until
the bank statement credits them or an agent marks the file confirmed.

A second run for the same collection date creates nothing new. --dry-run
shows what would be collected and saves and sends nothing. The exit status
is 1 when the file cannot be written (e.g. a wrong IBAN or creditor id)."""
)


class Command(ImportCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--as-of", type=as_of_date, required=True, help=_("The day of the run."))
        parser.add_argument("--dry-run", action="store_true", help=_("Show the collections and save nothing."))

    def handle(self, *args, as_of: dt.date, dry_run: bool, **options) -> None:
        try:
            run = sepa_collect(as_of=as_of, dry_run=dry_run)
        except SepaFileError as error:
            raise CommandError(_("The direct-debit file cannot be written: %(error)s") % {"error": error}) from error
        date = formats.date_format(run.collection_date, "Y-m-d")
        if run.batch is not None and not run.created:
            self.stdout.write(
                _("The file for %(date)s exists already (%(count)d collections, %(total)s EUR); nothing new.")
                % {"date": date, "count": run.batch.count, "total": run.batch.total}
            )
            return
        for plan in run.planned:
            self.stdout.write(
                _("  account %(number)s: %(amount)s EUR (%(sequence)s)")
                % {"number": plan.account.number, "amount": plan.amount, "sequence": plan.sequence_type}
            )
        values = {"date": date, "count": len(run.planned), "total": run.total}
        if dry_run:
            self.stdout.write(_("Dry run, nothing saved: %(count)d collections on %(date)s, %(total)s EUR.") % values)
        elif run.created:
            self.stdout.write(
                _("Collection file %(id)s for %(date)s: %(count)d collections, %(total)s EUR; customers notified.")
                % {**values, "id": run.batch.message_id}
            )
        else:
            self.stdout.write(_("Nothing to collect on %(date)s.") % values)
