"""`manage.py import_tariffs FILE`: load tariffs and their price versions from YAML or JSON."""

import argparse
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import clock
from core.commands import ImportCommand
from supply.services.tariff_import import TariffFileError, tariff_file_read, tariffs_import

HELP = gettext_lazy(
    """Import tariffs and their dated price versions from a YAML or JSON file
(by the extension .yaml/.yml/.json, else by the content). The file is a list
of entries:

  - code: STROM-BASIS
    name: {de: "Strom Basis", en: "Electricity Basic"}
    utility: electricity          # electricity | gas | water | internet
    customer_type: household      # household | business
    is_offered: true              # optional (default true)
    minimum_term_months: 12       # optional (default 12)
    notice_period_weeks: 4        # optional, the customer's notice (default 4)
    versions:
      - valid_from: 2026-01-01
        standing_charge_per_year: "120.00"   # net EUR; internet: monthly_fee
        unit_prices: {"*": "0.3000", "1-0:1.8.2": "0.2400"}
                                             # net EUR per kWh/m3 by OBIS code,
                                             # "*" = every other register

The whole file is checked first and written in one transaction: a bad file
changes nothing, and every fault is listed with its entry (number and code)
and field. Importing the same file again changes nothing: a stored version
with the same prices is skipped; a stored date with other prices is an error.
A new version for a tariff that customers are supplied under must start at
least PRICE_CHANGE_NOTICE_WEEKS weeks from today, and each affected customer
gets a price-change notice. The exit status is 1 on any error."""
)


class Command(ImportCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help=_("The YAML or JSON file to import."))

    def handle(self, *args, **options) -> None:
        try:
            entries = tariff_file_read(path=options["file"])
            result = tariffs_import(entries=entries, as_of=clock.today())
        except TariffFileError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            raise CommandError(_("Nothing was imported.")) from error
        self.stdout.write(result.summary())
