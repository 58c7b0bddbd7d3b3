"""`manage.py print_batch [--date YYYY-MM-DD]`: one PDF of the letters to print."""

import argparse
import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.services.print_batches import print_batch_make
from core import clock
from core.commands import Command as BaseCommand

HELP = gettext_lazy(
    "Put the letters queued up to a day (bills on paper and other letters) that are not printed yet into one "
    "PDF for the print shop, each with a cover page and its enclosures, stored under MEDIA_ROOT/print/. "
    "Running it again for the same day returns the same batch; a letter is printed once."
)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": value}) from error


class Command(BaseCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--date", type=_date, default=None, help=_("Letters queued up to the end of this day (default: today).")
        )

    def handle(self, *args, **options) -> None:
        batch_date = options["date"] or clock.today()
        batch = print_batch_make(batch_date=batch_date)
        if batch is None:
            self.stdout.write(_("No letters to print up to %(date)s.") % {"date": batch_date.isoformat()})
            return
        self.stdout.write(
            _("Print batch %(date)s: %(letters)d letters, %(pages)d pages in %(path)s")
            % {
                "date": batch.batch_date.isoformat(),
                "letters": batch.letter_count,
                "pages": batch.page_count,
                "path": batch.file.path,
            }
        )
