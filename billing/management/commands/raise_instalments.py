"""`manage.py raise_instalments [--as-of YYYY-MM-DD]`: raise the month's budget-billing instalments."""

import argparse
import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.services.budget import instalments_raise
from core import clock
from core.commands import Command as BaseCommand

HELP = gettext_lazy(
    "Raise the monthly budget-billing instalments (one ledger debit per account with budget billing "
    "and a supply on the due date) once the month's instalment day has come. Running it again raises nothing twice."
)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": value}) from error


class Command(BaseCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--as-of", type=_date, default=None, help=_("The day to raise for (default: today)."))

    def handle(self, *args, **options) -> None:
        as_of = options["as_of"] or clock.today()
        raised = instalments_raise(as_of=as_of)
        self.stdout.write(
            _("%(count)d instalments raised for %(date)s.") % {"count": raised, "date": as_of.isoformat()}
        )
