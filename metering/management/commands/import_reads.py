"""`manage.py import_reads FILE.csv`: meter reads from smart meters and the metering operator."""

import argparse
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import clock
from core.commands import ImportCommand
from metering.services.imports import ReadFileError, reads_import_csv

HELP = gettext_lazy(
    """Import meter reads from a CSV file. Each row is checked like a read a
customer submits, in time order per register (an earlier row of the file can
be the previous read).

The header row names the columns, in any order; other columns are ignored.
Delimiter "," or ";" (Excel), encoding UTF-8 with or without byte order mark.
  meter_serial   the meter number
  obis           the register's OBIS code, e.g. 1-0:1.8.0
  read_at        ISO 8601 date or date-time, e.g. 2026-01-31 or
                 2026-01-31T06:00:00+01:00; a date means 00:00 Europe/Berlin,
                 a date-time without offset is Berlin time
  value          the register's value, e.g. 12345.6 (or 12345,6)
  source         smart | operator | customer | agent

A row is rejected for an unknown meter or register, a bad date or number, a
date on which we do not supply the meter, a date in the future, or a value
that cannot follow the previous read. Suspect values are stored as SUSPECT
and wait in the agents' review queue. A row whose meter register, moment and
source are stored already is a duplicate and is stored once, so importing a
file twice stores nothing twice.

Prints the counts; the rejected rows with their line (the header is line 1)
and reason go to FILE.rejected.csv (or --report). The exit status is 1 when
any row was rejected or the file cannot be read (then nothing is stored)."""
)


class Command(ImportCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help=_("The CSV file to import."))
        parser.add_argument(
            "--report", type=Path, help=_("Where to write the rejected rows (default: FILE.rejected.csv).")
        )
        parser.add_argument(
            "--encoding",
            help=_("The file's encoding if it is not UTF-8, e.g. cp1252 for older Excel exports."),
        )

    def handle(self, *args, **options) -> None:
        try:
            result, report_path = reads_import_csv(
                path=options["file"], now=clock.now(), report_path=options["report"], encoding=options["encoding"]
            )
        except ReadFileError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(result.counts.summary())
        if result.counts.rejected:
            raise CommandError(
                _("%(count)d rows were rejected; see %(report)s.")
                % {"count": result.counts.rejected, "report": report_path}
            )
        self.stdout.write(_("Report of rejected rows (none): %(report)s") % {"report": report_path})
