"""A customer reports "no supply at my address": linked to the open
interruption of that utility that covers the supply point (named, or its
postcode, or the account's own customer-specific one), else filed as a
ticket in the operations queue (core.departments.queue_file; support opens
the ticket)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Account
from core.departments import DeliveryError, queue_file
from meters.models import SupplyPoint
from outages.models import Interruption, NoSupplyReport
from outages.services.interruptions import InterruptionRefused
from supply.models import ServiceAgreement

OPERATIONS_QUEUE = "OPERATIONS"


def interruption_matching(*, supply_point: SupplyPoint, account: Account, now: dt.datetime) -> Interruption | None:
    """The open interruption (started, not ended) that explains no supply at `supply_point`, latest first."""
    named = Q(supply_points=supply_point) | Q(supply_point=supply_point, account=account)
    candidates = (
        Interruption.objects.filter(
            utility=supply_point.utility,
            status__in=Interruption.OPEN_STATES,
            ended_at__isnull=True,
            started_at__lte=now,
        )
        .filter(Q(account__isnull=True) | Q(account=account))
        .distinct()
        .order_by("-started_at", "-id")
    )
    found = candidates.filter(named).first()
    if found is not None:
        return found
    postcode = supply_point.premise.postcode
    for interruption in candidates.filter(account__isnull=True):
        if postcode in (interruption.postcodes or []):
            return interruption
    return None


def no_supply_report(
    *, account: Account, supply_point: SupplyPoint, note: str = "", now: dt.datetime
) -> NoSupplyReport:
    """Record the report; link the matching open interruption or open a
    ticket in the operations queue. The supply point must be one of the
    account's (a live or ended agreement)."""
    if not ServiceAgreement.objects.filter(account=account, supply_point=supply_point).exists():
        raise InterruptionRefused(_("This supply point is not one of this account's."), field="supply_point")
    supply_point = SupplyPoint.objects.select_related("premise").get(pk=supply_point.pk)
    with transaction.atomic():
        report = NoSupplyReport.objects.create(
            customer_id=account.customer_id,
            account=account,
            supply_point=supply_point,
            note=note.strip()[:2000],
            interruption=interruption_matching(supply_point=supply_point, account=account, now=now),
            created_at=now,
        )
        if report.interruption is None:
            try:
                filed = queue_file(
                    queue=OPERATIONS_QUEUE,
                    kind="no_supply",
                    account_number=account.number,
                    summary={
                        "utility": supply_point.get_utility_display(),
                        "supply point": supply_point.identifier,
                        "address": str(supply_point.premise),
                        "note": report.note or "–",
                    },
                    at=now,
                )
            except DeliveryError as error:
                raise InterruptionRefused(_("Your report could not be passed on; please call us.")) from error
            report.ticket_reference = filed.removeprefix("ticket ").strip()[:40]
            report.save(update_fields=["ticket_reference"])
    return report
