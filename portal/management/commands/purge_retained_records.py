"""Delete the kept invoices and bookings of erased customers once their
retention period is over, then the customers (idempotent)."""

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import clock
from core.commands import Command as PortalCommand
from core.commands import as_of_date
from portal.privacy.erasure import retained_records_purge

HELP = gettext_lazy(
    "Delete the kept invoices and bookings of erased customers once their retention period is over, then the "
    "customers. A second run deletes nothing more."
)


class Command(PortalCommand):
    help = HELP

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=as_of_date,
            help=gettext_lazy("The day to judge the retention periods by (YYYY-MM-DD; default today)."),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=gettext_lazy("Show what would be deleted and delete nothing.")
        )

    def handle(self, *args, as_of=None, dry_run=False, **options):
        day = as_of or clock.today()
        purged = retained_records_purge(as_of=day, dry_run=dry_run)
        verb = _("would purge") if dry_run else _("purged")
        for item in purged:
            rows = ", ".join(f"{label} {count}" for label, count in sorted(item.rows.items()))
            self.stdout.write(
                _("customer %(id)s: last record %(last)s, kept until %(until)s; %(verb)s: %(rows)s")
                % {
                    "id": item.customer_id,
                    "last": item.last_record_on,
                    "until": item.purge_from - dt.timedelta(days=1),
                    "verb": verb,
                    "rows": rows,
                }
            )
        self.stdout.write(
            _("%(count)d erased customers %(verb)s as of %(day)s.") % {"count": len(purged), "verb": verb, "day": day}
        )
