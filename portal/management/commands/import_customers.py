"""`manage.py import_customers FILE.csv`: move a utility's customers, and
their running supplies, onto the portal."""

import argparse
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.imports import ImportFileError, customer_file_read, customers_import
from core import clock
from core.commands import ImportCommand
from supply.services.imports import supply_columns_for

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

Optional supply columns, one row per supply: a customer with several
supplies has several rows with the same customer columns; the first creates
the customer, each row adds its supply to the customer's account. The supply
is imported ACTIVE from its start date with its start reads recorded; start
dates and price versions may lie in the past. A supply whose supply point
and start date the account has already is skipped. A row whose supply
cells are all empty imports the customer only.
  utility              electricity | gas | water | internet
  supply_point_id      market location id (electricity, gas: 11 digits with
                       check digit), connection id (water), line id (internet)
  premise_street, premise_house_number, premise_postcode, premise_city
                       the supplied address; all empty = the billing address
  meter_serial         the meter number (not for internet)
  meter_kind           conventional | smart, empty = conventional
  registers            OBIS codes separated by |, e.g. 1-0:1.8.1|1-0:1.8.2;
                       empty = 1-0:1.8.0 (electricity), 7-0:3.0.0 (gas),
                       8-0:1.0.0 (water)
  tariff_code          a tariff of the utility and customer type with prices
                       on the start date
  start_date           YYYY-MM-DD or DD.MM.YYYY, today or earlier
  start_reason         move_in | supplier_switch, empty = move_in
  start_read           the reading on the start date per register, separated
                       by |, in the order of the registers
  expected_annual_consumption
                       kWh (water: m³) per year, optional
  gas_state_number, gas_calorific_value
                       gas only, optional: the supply point's state number
                       (Zustandszahl, e.g. 0.9636) and calorific value
                       (Brennwert, kWh/m³, e.g. 11.235) from the start date
  billing_frequency    monthly | quarterly | half_yearly | annual, optional
  budget_billing       yes | no, optional (monthly instalments)
Numbers take a decimal point or a decimal comma. A bad supply rejects its
row; for a new customer the customer is then not saved either.

Rejected rows are listed as "line N: column: message" (the header is line 1),
followed by the counts. The exit status is 1 when any row was rejected."""
)


class Command(ImportCommand):
    help = HELP

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

    def handle(self, *args, **options) -> None:
        try:
            source = customer_file_read(path=options["file"], encoding=options["encoding"])
        except ImportFileError as error:
            raise CommandError(str(error)) from error
        today = clock.today()
        report = customers_import(
            source=source,
            as_of=today,
            notify=options["notify"],
            dry_run=options["dry_run"],
            extra=supply_columns_for(header=source.header, as_of=today),
        )
        for rejected in report.rejected:
            for line in rejected.report_lines():
                self.stdout.write(line)
        self.stdout.write(report.summary())
        if report.rejected:
            raise CommandError(
                _("%(count)d rows were rejected; see the lines above.") % {"count": len(report.rejected)}
            )
