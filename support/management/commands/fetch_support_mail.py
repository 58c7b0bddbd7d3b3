"""python manage.py fetch_support_mail [--dir PATH] [--imap]"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import clock
from core.commands import ImportCommand
from support.services.mail_in import Outcome, support_mail_fetch, support_mail_fetch_imap


class Command(ImportCommand):
    help = gettext_lazy(
        "Read mails to the support address: replies thread into their ticket, new mails open tickets.\n"
        "\n"
        "Without options: the IMAP mailbox when SUPPORT_IMAP_HOST is set, else the .eml files in\n"
        "SUPPORT_MAIL_DIR (default var/support-mail/); read files move to processed/ or failed/.\n"
        "\n"
        "Examples:\n"
        "  python manage.py fetch_support_mail\n"
        "  python manage.py fetch_support_mail --dir tests/support/data"
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", dest="directory", help=_("Read the .eml files in this directory."))
        parser.add_argument("--imap", action="store_true", help=_("Read the IMAP mailbox (SUPPORT_IMAP_* settings)."))

    def handle(self, *args, **options):
        if options["imap"]:
            if not settings.SUPPORT_IMAP_HOST:
                raise CommandError(_("SUPPORT_IMAP_HOST is not set."))
            report = support_mail_fetch_imap(as_of=clock.now())
        else:
            directory = Path(options["directory"]) if options["directory"] else None
            if directory is not None and not directory.is_dir():
                raise CommandError(_("%(path)s is not a directory.") % {"path": directory})
            report = support_mail_fetch(as_of=clock.now(), directory=directory)
        for result in report.results:
            if result.outcome == Outcome.FAILED:
                self.stderr.write(_("Not taken: %(error)s") % {"error": result.error})
        self.stdout.write(
            _(
                "%(total)s mails: %(new)s new tickets, %(replies)s replies, "
                "%(duplicates)s already taken, %(failed)s failed."
            )
            % {
                "total": len(report.results),
                "new": report.count(Outcome.NEW_TICKET),
                "replies": report.count(Outcome.REPLY),
                "duplicates": report.count(Outcome.DUPLICATE),
                "failed": report.count(Outcome.FAILED),
            }
        )
