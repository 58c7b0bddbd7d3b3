"""`manage.py dunning_run --as-of YYYY-MM-DD [--dry-run]`: the dunning run by hand."""

import argparse
import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears.services.dunning import dunning_run
from core.commands import ImportCommand, as_of_date

HELP = gettext_lazy(
    """Follow up overdue bills as the daily task does.

Each account with arrears moves to its next dunning level once the level's
days after the oldest overdue due date are reached and the procedure's days
since the last notice have passed: one notice a run, levels never skipped,
each level once per case. Fees and default interest are booked to the
ledger; the notice goes out by e-mail (letter PDF attached), letter or SMS
as the level says, with a link to pay the overdue amount online. Accounts
are skipped, with the reason shown to agents, when arrears are below the
procedure's minimum, every overdue item is disputed or in a payment plan,
or an agent's hold or a vulnerability flag is on the account. Active payment
plans are followed up (reminder, grace period, broken, paid). The last
level waits for a supervisor (agency hand-off); an unanswered disconnection
threat puts the account on the disconnection work list.

Prints one line per account and a summary. A second run on the same day
sends nothing twice. --dry-run shows what would happen and saves and sends
nothing."""
)


class Command(ImportCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--as-of", type=as_of_date, required=True, help=_("The day of the run."))
        parser.add_argument("--dry-run", action="store_true", help=_("Show what would happen and save nothing."))

    def handle(self, *args, as_of: dt.date, dry_run: bool, **options) -> None:
        result = dunning_run(as_of=as_of, dry_run=dry_run)
        for line in result.lines:
            self.stdout.write(f"{line.account}  {line.action:<13} {line.detail}")
        self.stdout.write(result.summary())
