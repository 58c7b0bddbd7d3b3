"""`manage.py settle_accounts --as-of YYYY-MM-DD`: settle accounts after their final bill, by hand."""

import argparse
import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.commands import ImportCommand, as_of_date
from payments.services.refund_files import refund_file_write
from payments.services.settlement import settlements_run

HELP = gettext_lazy(
    """Settle the accounts whose supply has ended, as the daily task does.

Issued final bills end their supplies (ENDED) and cancel the instalments due
after the end. For each account whose final bill is out: a credit is refunded
(to the card when the last payment was online, else to the IBAN on file; the
transfers go into a pain.001 file), a debt is left to the direct-debit run or
to dunning, the customer gets the closing letter, the mandate is revoked once
nothing is left to collect, and the account is closed when every supply has
ended and the balance is zero. A second run on the same day does nothing new."""
)


class Command(ImportCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--as-of", type=as_of_date, required=True, help=_("The day of the run."))

    def handle(self, *args, as_of: dt.date, **options) -> None:
        run = settlements_run(as_of=as_of)
        batch = refund_file_write(as_of=as_of)
        self.stdout.write(run.summary())
        if batch is not None:
            self.stdout.write(
                _("Transfer file %(id)s: %(count)d refunds, %(total)s EUR.")
                % {"id": batch.message_id, "count": batch.count, "total": batch.total}
            )
