"""`manage.py export_accounting --from YYYY-MM-DD --to YYYY-MM-DD [--output FILE]`."""

import argparse
import datetime as dt
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.forms.bills import export_range_problem
from billing.queries.accounting import ExportError, accounting_export
from core.commands import ImportCommand

HELP = gettext_lazy(
    """Write the bookings of a period (ledger entries booked from --from to
--to, both days included) as a DATEV-style journal (Buchungsstapel) and
print a summary: counts and sums per kind of booking, debits and credits
per account, and whether the journal balances.

The CSV is UTF-8 with a byte order mark, semicolon separated, with the
columns Umsatz (ohne Soll/Haben-Kz) (German decimal comma, always positive),
Soll/Haben-Kennzeichen (S/H), WKZ Umsatz, Konto, Gegenkonto (ohne
BU-Schlüssel), BU-Schlüssel, Belegdatum (DD.MM.YYYY), Belegfeld 1 (document
number), Belegfeld 2 (due date DDMMYY), Buchungstext. Bills and credit notes
are split into net revenue and VAT per rate; the accounts come from the
billing settings in the admin.

Without --output the CSV goes to standard output and the summary to
standard error; with --output FILE the CSV goes to FILE, the summary to
FILE's name with .summary.txt and to standard output. Reads only: running
it twice writes the same file."""
)


def date_argument(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            _("%(value)s is not a date; write it as YYYY-MM-DD.") % {"value": value}
        ) from error


class Command(ImportCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--from", dest="date_from", type=date_argument, required=True, help=_("First booking day (YYYY-MM-DD).")
        )
        parser.add_argument(
            "--to",
            dest="date_to",
            type=date_argument,
            required=True,
            help=_("Last booking day, included (YYYY-MM-DD)."),
        )
        parser.add_argument("--output", type=Path, help=_("The CSV file to write (default: standard output)."))

    def handle(self, *args, date_from: dt.date, date_to: dt.date, output: Path | None, **options) -> None:
        problem = export_range_problem(date_from, date_to)
        if problem:
            raise CommandError(problem)
        try:
            export = accounting_export(first=date_from, last=date_to)
        except ExportError as error:
            raise CommandError(str(error)) from error
        summary = "\n".join(export.summary_lines()) + "\n"
        if output is None:
            self.stdout.write(export.csv_bytes().decode("utf-8"), ending="")
            self.stderr.write(summary, ending="")
        else:
            try:
                output.write_bytes(export.csv_bytes())
                output.with_name(f"{output.stem}.summary.txt").write_text(summary, encoding="utf-8")
            except OSError as error:
                raise CommandError(_("Cannot write %(file)s: %(error)s") % {"file": output, "error": error}) from error
            self.stdout.write(summary, ending="")
        if not export.balanced:
            raise CommandError(_("The journal does not balance; see the summary."))
