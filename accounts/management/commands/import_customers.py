"""`manage.py import_customers FILE.csv`: move a utility's customers onto the portal."""

import argparse
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.imports import ImportFileError, customer_file_read, customers_import
from portal.core import clock

HELP = gettext_lazy(
    """Import customers from a CSV file. Each row is checked like the onboarding
wizard and saved with its account (and SEPA mandate) in its own transaction.

The header row names the columns, in any order; other columns are ignored.
Delimiter "," or ";" (Excel), encoding UTF-8 with or without byte order mark.
Required columns (values may be empty where noted):
  external_ref         the customer's id in the previous system; must be filled.
                       A row whose reference is imported already is skipped,
                       so running the import twice creates nothing twice.
  customer_type        household | business
  first_name, last_name
  company, vat_id      required for business customers
  email                must not belong to another customer
  phone                optional
  street, house_number, postcode, city
  country              ISO code, empty = DE
  language             de | en, empty = de (letters and e-mails)
  payment_method       sepa | transfer
  iban, account_holder required for sepa
  mandate_reference    the existing mandate's reference (max. 35 characters);
                       empty = a new one is generated
  mandate_signed_date  YYYY-MM-DD or DD.MM.YYYY; empty = today

Rejected rows are listed as "line N: column: message" (the header is line 1),
followed by the counts. The exit status is 1 when any row was rejected."""
)


class HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Keeps the column list in the description as written."""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = str(HELP)
        return parser

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help=_("The CSV file to import."))
        parser.add_argument("--dry-run", action="store_true", help=_("Check every row and report, but save nothing."))
        parser.add_argument(
            "--notify",
            action=argparse.BooleanOptionalAction,
            default=False,
            help=_("Send each imported customer the welcome e-mail (default: no)."),
        )
        parser.add_argument(
            "--encoding",
            help=_("The file's encoding if it is not UTF-8, e.g. cp1252 for older Excel exports."),
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default="en",
            help=_("Language of the report (default: en)."),
        )

    def handle(self, *args, **options) -> None:
        with translation.override(options["language"]):
            try:
                source = customer_file_read(path=options["file"], encoding=options["encoding"])
            except ImportFileError as error:
                raise CommandError(str(error)) from error
            report = customers_import(
                source=source, as_of=clock.today(), notify=options["notify"], dry_run=options["dry_run"]
            )
            for rejected in report.rejected:
                for line in rejected.report_lines():
                    self.stdout.write(line)
            self.stdout.write(report.summary())
            if report.rejected:
                raise CommandError(
                    _("%(count)d rows were rejected; see the lines above.") % {"count": len(report.rejected)}
                )
