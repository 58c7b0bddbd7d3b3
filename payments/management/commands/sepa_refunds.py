"""`manage.py sepa_refunds --as-of YYYY-MM-DD [--output FILE]`: the credit-transfer file of refunds."""

import argparse
import datetime as dt
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.commands import ImportCommand, as_of_date
from payments.files.pain001 import SepaTransferFileError
from payments.services.refund_files import refund_file_write

HELP = gettext_lazy(
    """Write the SEPA credit-transfer file (pain.001.001.03) of the refunds to
customers' bank accounts, as the daily settlement does.

Every refund to the IBAN on file not yet in a file
goes into one new file, executed on the next TARGET2 banking day; each refund
is in one file only, so a second run writes nothing new. The file waits in
the back-office (Bank, Refund transfers) for download; --output also writes
it to FILE. The refunds are complete once an agent marks the file sent. The
exit status is 1 when the file cannot be written (e.g. a wrong IBAN)."""
)


class Command(ImportCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--as-of", type=as_of_date, required=True, help=_("The day of the run."))
        parser.add_argument("--output", type=Path, help=_("Also write the file here."))

    def handle(self, *args, as_of: dt.date, output: Path | None, **options) -> None:
        try:
            batch = refund_file_write(as_of=as_of)
        except SepaTransferFileError as error:
            raise CommandError(_("The credit-transfer file cannot be written: %(error)s") % {"error": error}) from error
        if batch is None:
            self.stdout.write(_("No refunds are waiting for a transfer file."))
            return
        if output is not None:
            with batch.file.open("rb") as handle:
                output.write_bytes(handle.read())
        self.stdout.write(
            _("Transfer file %(id)s for %(date)s: %(count)d refunds, %(total)s EUR.")
            % {
                "id": batch.message_id,
                "date": batch.execution_date.isoformat(),
                "count": batch.count,
                "total": batch.total,
            }
        )
