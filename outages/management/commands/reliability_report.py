"""`manage.py reliability_report --year YYYY [--utility U] [--include-planned] [--postcode P …]`."""

import argparse
import json
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.commands import ImportCommand
from meters.models import Utility
from outages.queries import reliability_figures

HELP = gettext_lazy(
    """Print the reliability figures of a year as JSON, one line per utility:

{"utility": "electricity", "year": 2025, "customers_served": 1200,
 "interruptions_counted": 4, "saidi_minutes": 12.5, "saifi": 0.21,
 "caidi_minutes": 59.52}

customers_served: supply points with an active agreement of the utility on
31 December. Counted: unplanned interruptions that started in the year and
lasted longer than 3 minutes (--include-planned: planned ones too).
SAIDI = sum of customers affected x minutes / customers served;
SAIFI = sum of customers affected / customers served; CAIDI = SAIDI / SAIFI.
The figures are computed exactly and rounded to 2 decimals for printing
(null when nothing is served, CAIDI null when nothing was counted).
--postcode limits the area to postcodes starting with the given prefixes.
Without --utility every utility is printed."""
)

TWO = Decimal("0.01")


def _shown(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(TWO, rounding=ROUND_HALF_UP))


def year_of(value: str) -> int:
    try:
        year = int(value)
    except ValueError:
        year = 0
    if not 1900 <= year <= 9999:
        raise argparse.ArgumentTypeError(_("%(value)s is not a year; write it as YYYY.") % {"value": value})
    return year


def utility_of(value: str) -> str:
    utility = value.strip().upper()
    if utility not in Utility.values:
        raise argparse.ArgumentTypeError(
            _("Unknown utility %(value)s; choose one of: %(known)s.")
            % {"value": value, "known": ", ".join(u.lower() for u in Utility.values)}
        )
    return utility


class Command(ImportCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--year", type=year_of, required=True, help=_("The calendar year."))
        parser.add_argument("--utility", type=utility_of, help=_("One utility (default: all)."))
        parser.add_argument("--include-planned", action="store_true", help=_("Count planned interruptions too."))
        parser.add_argument(
            "--postcode", action="append", default=[], help=_("Limit to postcodes starting with this (repeatable).")
        )

    def handle(self, *args, year: int, utility: str | None, include_planned: bool, postcode: list[str], **options):
        for code in [utility] if utility else list(Utility.values):
            report = reliability_figures(utility=code, year=year, postcodes=postcode, include_planned=include_planned)
            figures = report.figures
            self.stdout.write(
                json.dumps(
                    {
                        "utility": code.lower(),
                        "year": year,
                        "customers_served": figures.customers_served,
                        "interruptions_counted": figures.interruptions_counted,
                        "saidi_minutes": _shown(figures.saidi_minutes),
                        "saifi": _shown(figures.saifi),
                        "caidi_minutes": _shown(figures.caidi_minutes),
                    }
                )
            )
