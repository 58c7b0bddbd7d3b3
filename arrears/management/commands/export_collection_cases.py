"""`manage.py export_collection_cases [--output FILE]`: the hand-overs for the collection agency."""

import argparse
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears.services.worklists import AGENCY_COLUMNS, agency_export
from core import clock
from core.commands import ImportCommand

HELP = gettext_lazy(
    """Export the cases a supervisor approved for the collection agency as CSV
(semicolon-separated, UTF-8, one row per open item) and mark them exported.

Columns: {columns}.

Without --output the CSV goes to standard output. --all lists the cases
already with the agency again, with the payments booked since the hand-over.
Running it again exports nothing twice (unless --all)."""
)
HELP = format_lazy(HELP, columns=", ".join(AGENCY_COLUMNS))


class Command(ImportCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--output", type=Path, help=_("Write the CSV to this file."))
        parser.add_argument("--all", action="store_true", help=_("Also list the cases exported before."))

    def handle(self, *args, output: Path | None, all: bool, **options) -> None:
        content, count = agency_export(as_of=clock.today(), include_exported=all)
        if output is None:
            self.stdout.write(content, ending="")
            return
        try:
            output.write_text(content, encoding="utf-8")
        except OSError as error:
            raise CommandError(_("Cannot write %(file)s: %(error)s") % {"file": output, "error": error}) from error
        self.stdout.write(_("%(count)d cases written to %(file)s.") % {"count": count, "file": output})
