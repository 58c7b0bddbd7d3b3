"""Who an interruption affects (DESIGN.md "Interruptions and reliability
figures"): the supply points of the interruption's utility in its postcodes
or named supply points (a customer-specific interruption: its one supply
point) with an ACTIVE, ENDING or ENDED agreement of that utility that
overlapped the interruption (agreement days inclusive, compared with the
local dates the interruption lasted: until its end, else its expected end,
else its start). The snapshot is kept in AffectedSupply."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from outages.models import AffectedSupply, Interruption
from supply.models import ServiceAgreement

AFFECTING_STATES = (
    ServiceAgreement.Status.ACTIVE,
    ServiceAgreement.Status.ENDING,
    ServiceAgreement.Status.ENDED,
)


def _window(interruption: Interruption) -> tuple[dt.date, dt.date]:
    """The local dates the interruption lasted (first, last), both inclusive."""
    first = timezone.localdate(interruption.started_at)
    end = interruption.ended_at or interruption.expected_end_at or interruption.started_at
    return first, max(first, timezone.localdate(end))


def affected_agreements(interruption: Interruption):
    """The agreements that make a supply point affected (see the module docstring)."""
    first, last = _window(interruption)
    agreements = ServiceAgreement.objects.filter(
        status__in=AFFECTING_STATES,
        supply_point__utility=interruption.utility,
        start_date__lte=last,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
    if interruption.supply_point_id is not None:
        where = Q(supply_point_id=interruption.supply_point_id)
        if interruption.account_id is not None:
            where &= Q(account_id=interruption.account_id)
    else:
        where = Q(pk__in=[])
        if interruption.postcodes:
            where |= Q(supply_point__premise__postcode__in=interruption.postcodes)
        named = list(interruption.supply_points.values_list("pk", flat=True))
        if named:
            where |= Q(supply_point_id__in=named)
    return agreements.filter(where)


def affected_refresh(*, interruption: Interruption) -> int:
    """Recompute the snapshot of supply points (and accounts) affected;
    returns the number of supply points (customers affected)."""
    with transaction.atomic():
        rows = (
            affected_agreements(interruption)
            .order_by("supply_point_id", "account_id", "-start_date", "-id")
            .values_list("supply_point_id", "account_id", "account__customer_id", "pk")
        )
        wanted: dict[tuple[int, int], tuple[int, int]] = {}
        for supply_point_id, account_id, customer_id, agreement_id in rows:
            wanted.setdefault((supply_point_id, account_id), (customer_id, agreement_id))
        existing = {
            (row.supply_point_id, row.account_id): row
            for row in AffectedSupply.objects.filter(interruption=interruption)
        }
        gone = [row.pk for key, row in existing.items() if key not in wanted]
        if gone:
            AffectedSupply.objects.filter(pk__in=gone).delete()
        AffectedSupply.objects.bulk_create(
            AffectedSupply(
                interruption=interruption,
                supply_point_id=supply_point_id,
                account_id=account_id,
                customer_id=customer_id,
                agreement_id=agreement_id,
            )
            for (supply_point_id, account_id), (customer_id, agreement_id) in wanted.items()
            if (supply_point_id, account_id) not in existing
        )
        count = len({supply_point_id for supply_point_id, _account in wanted})
        Interruption.objects.filter(pk=interruption.pk).update(customers_affected=count)
        interruption.customers_affected = count
    return count
