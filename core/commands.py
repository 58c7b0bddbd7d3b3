"""The bases of the operators' commands."""

import argparse
import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, DjangoHelpFormatter
from django.utils import translation
from django.utils.translation import gettext as _


class HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Keeps a command's description (column lists, examples) as written."""


class Command(BaseCommand):
    """An operator command whose `help` may be translated (a lazy text)."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = str(self.help)
        return parser


class ImportCommand(Command):
    """`--help` shows `help` with its layout kept; `--language` chooses the
    language of the report and the messages (default: en)."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default="en",
            help=_("Language of the report (default: en)."),
        )
        return parser

    def execute(self, *args, **options):
        with translation.override(options["language"]):
            return super().execute(*args, **options)


def as_of_date(value: str) -> dt.date:
    """An argparse type for --as-of and other days: YYYY-MM-DD, else a translated error."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            _("%(value)s is not a date; write it as YYYY-MM-DD.") % {"value": value}
        ) from error
