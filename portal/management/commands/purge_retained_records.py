"""Delete the kept invoices and bookings of erased customers once their
retention period is over, then the customers (idempotent)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from core import clock
from portal.privacy.erasure import retained_records_purge


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="the day to judge the retention periods by (YYYY-MM-DD; default today)")
        parser.add_argument("--dry-run", action="store_true", help="show what would be deleted, delete nothing")

    def handle(self, *args, as_of=None, dry_run=False, **options):
        try:
            day = dt.date.fromisoformat(as_of) if as_of else clock.today()
        except ValueError as error:
            raise CommandError(f"--as-of must be a date YYYY-MM-DD, not {as_of!r}") from error
        purged = retained_records_purge(as_of=day, dry_run=dry_run)
        verb = "would purge" if dry_run else "purged"
        for item in purged:
            rows = ", ".join(f"{label} {count}" for label, count in sorted(item.rows.items()))
            self.stdout.write(
                f"customer {item.customer_id}: last record {item.last_record_on}, kept until "
                f"{item.purge_from - dt.timedelta(days=1)}; {verb}: {rows}"
            )
        self.stdout.write(f"{len(purged)} erased customers {verb} as of {day}.")
