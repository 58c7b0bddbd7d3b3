"""`manage.py import_bank_statement FILE`: a camt.053 bank statement."""

import argparse
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.commands import ImportCommand
from payments.services.bank_statements import StatementRejected, bank_statement_import, statement_summary

HELP = gettext_lazy(
    """Import a bank statement in camt.053 format (versions .001.02 to .001.08).

Credits of our direct-debit files confirm those collections. Credit
transfers are matched by the invoice or account number in the remittance
text (spaces, hyphens and case do not matter), else by amount and payer name
(one open invoice of exactly that amount whose customer has that name);
matched ones are booked and settle the invoices. Lines with several
candidates (ambiguous) or none (unmatched) wait in the back-office's
reconciliation queue. Returned direct debits are reversed, the fee in
SEPA_RETURN_FEE is booked, the customer is told why and the account is
flagged for dunning.

The same file twice books nothing; lines seen in an earlier file count as
duplicates. Prints the counts: matched, ambiguous, unmatched, returns,
duplicates. The exit status is 1 when the file cannot be read (then nothing
is saved)."""
)


class Command(ImportCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help=_("The camt.053 XML file."))

    def handle(self, *args, file: Path, **options) -> None:
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": file, "error": error.strerror}
            ) from error
        try:
            result = bank_statement_import(content=content, file_name=file.name)
        except StatementRejected as error:
            raise CommandError(str(error)) from error
        if result.imported_before is not None:
            self.stdout.write(statement_summary(result))
        labels = {
            "matched": _("matched"),
            "ambiguous": _("ambiguous"),
            "unmatched": _("unmatched"),
            "returns": _("returns"),
            "duplicates": _("duplicates"),
        }
        for name, count in result.as_counts().items():
            self.stdout.write(f"{labels[name]}: {count}")
