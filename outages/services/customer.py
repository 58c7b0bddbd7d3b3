"""Customer-specific interruptions, recorded from what happens below:
a disconnection carried out (arrears) opens one on the account's supply
point, the reconnection ends and closes it; a completed meter exchange
(orders) is one from its appointment's start to its completion. Each is
keyed by its origin, so a repeated signal records nothing new."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from core import clock
from outages.models import Cause, Interruption
from outages.services.fees import interruption_close
from outages.services.interruptions import interruption_log, interruption_update
from supply.models import ServiceAgreement

# Orders whose completion interrupted supply, and the cause they are recorded with.
INTERRUPTING_PRODUCTS = {"METER_EXCHANGE": Cause.METER_EXCHANGE, "SMART_METER_UPGRADE": Cause.METER_EXCHANGE}


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _supply_point(account, utility: str):
    agreement = (
        ServiceAgreement.objects.filter(account=account, supply_point__utility=utility)
        .select_related("supply_point")
        .order_by("-start_date", "-id")
        .first()
    )
    return agreement.supply_point if agreement else None


def disconnection_interruption_record(
    *, order, event: str, on: dt.date, by: AbstractBaseUser | None = None
) -> Interruption | None:
    """`event` "disconnected": an interruption (planned, cause NON_PAYMENT) from
    the start of `on`; "reconnected": it ends at the start of `on` (the
    reconnection day) and is closed. None when the account has no supply
    point of that utility."""
    reference = f"disconnection:{order.pk}"
    now = clock.now()
    if event == "disconnected":
        supply_point = _supply_point(order.account, order.utility)
        if supply_point is None:
            return None
        interruption, _created = interruption_log(
            utility=order.utility,
            planned=True,
            cause=Cause.NON_PAYMENT,
            started_at=_day_start(on),
            reference=reference,
            source=Interruption.Source.SYSTEM,
            by=by,
            account=order.account,
            supply_point=supply_point,
            now=max(now, _day_start(on)),
        )
        return interruption
    interruption = Interruption.objects.filter(reference=reference).first()
    if interruption is None or interruption.ended_at is not None:
        return interruption
    ended_at = max(_day_start(on), interruption.started_at)
    interruption = interruption_update(
        interruption=interruption,
        status=Interruption.Status.RESTORED,
        ended_at=ended_at,
        by=by,
        now=max(now, ended_at),
    )
    interruption_close(interruption=interruption, by=by, as_of=on)
    return interruption


def meter_exchange_interruption_record(*, order, by: AbstractBaseUser | None = None) -> Interruption | None:
    """A completed meter exchange with a supply point: an interruption from
    its appointment's start (else its completion) to its completion, closed."""
    cause = INTERRUPTING_PRODUCTS.get(order.product.code)
    if cause is None or order.supply_point_id is None or order.completed_at is None:
        return None
    ended_at = order.completed_at
    started_at = min(order.slot.starts_at, ended_at) if order.slot_id else ended_at
    interruption, created = interruption_log(
        utility=order.supply_point.utility,
        planned=True,
        cause=cause,
        started_at=started_at,
        ended_at=ended_at,
        reference=f"order:{order.pk}",
        source=Interruption.Source.SYSTEM,
        by=by,
        account=order.account,
        supply_point=order.supply_point,
        now=max(clock.now(), ended_at),
    )
    if created:
        interruption_close(interruption=interruption, by=by, as_of=timezone.localdate(ended_at))
    return interruption
