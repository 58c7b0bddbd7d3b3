"""Telling the customers affected: planned work is announced
OUTAGE_PLANNED_NOTICE_DAYS ahead; an unplanned interruption when it is
logged and when supply is restored. Each customer hears of each event once,
however often the status changes (a unique row per customer and event),
through their channels: e-mail and SMS where they gave an address and
number, else a letter to the account's address. Every message is in the
outbox. Customer-specific interruptions (a disconnection, a meter exchange)
send nothing here: arrears and orders write to the customer themselves."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import Account
from core.communications import Recipient, message_send
from core.models import Channel
from outages.models import AffectedSupply, Interruption, Notice
from outages.services.affected import affected_refresh

TEMPLATES = {
    Notice.Event.ANNOUNCED: "outage_announced",
    Notice.Event.LOGGED: "outage_logged",
    Notice.Event.RESTORED: "outage_restored",
}


def _lead() -> dt.timedelta:
    return dt.timedelta(days=settings.OUTAGE_PLANNED_NOTICE_DAYS)


def events_due(interruption: Interruption, *, now: dt.datetime) -> list[str]:
    """The notices the interruption calls for now (who already had one is skipped later)."""
    if interruption.is_customer_specific or interruption.status == Interruption.Status.CANCELLED:
        return []
    if interruption.planned:
        if interruption.ended_at is None and interruption.started_at - now <= _lead():
            return [Notice.Event.ANNOUNCED]
        return []
    if interruption.ended_at is None:
        return [Notice.Event.LOGGED]
    return [Notice.Event.RESTORED]


def _recipients(recipient: Recipient, account: Account) -> list[tuple[str, Recipient]]:
    channels = []
    if recipient.email:
        channels.append((Channel.EMAIL, recipient))
    if recipient.phone:
        channels.append((Channel.SMS, recipient))
    if not channels:
        address = "\n".join(
            part
            for part in (
                recipient.name,
                f"{account.street} {account.house_number}".strip(),
                account.address_extra,
                f"{account.postcode} {account.city}".strip(),
            )
            if part
        )
        channels.append((Channel.LETTER, dataclasses.replace(recipient, postal_address=address)))
    return channels


def notice_send(*, interruption: Interruption, event: str, now: dt.datetime) -> int:
    """Tell each customer affected who has not had this event's notice; the number told."""
    told = set(Notice.objects.filter(interruption=interruption, event=event).values_list("customer_id", flat=True))
    rows = (
        AffectedSupply.objects.filter(interruption=interruption)
        .exclude(customer_id__in=told)
        .select_related("customer", "account", "supply_point__premise")
        .order_by("customer_id", "account_id", "id")
    )
    by_customer: dict[int, list[AffectedSupply]] = {}
    for row in rows:
        by_customer.setdefault(row.customer_id, []).append(row)
    sent = 0
    for rows_of_customer in by_customer.values():
        customer = rows_of_customer[0].customer
        try:
            with transaction.atomic():
                notice = Notice.objects.create(interruption=interruption, customer=customer, event=event, sent_at=now)
                first = None
                for channel, recipient in _recipients(customer.as_recipient(), rows_of_customer[0].account):
                    message = message_send(
                        recipient=recipient,
                        template=TEMPLATES[event],
                        context={
                            "customer": customer,
                            "interruption": interruption,
                            "cause": interruption.cause.name_in(customer.language),
                            "addresses": sorted({str(row.supply_point.premise) for row in rows_of_customer}),
                            "channel": channel,
                        },
                        channel=channel,
                    )
                    first = first or message
                notice.message = first
                notice.save(update_fields=["message"])
        except IntegrityError:
            continue
        sent += 1
    return sent


def notices_due_send(*, interruption: Interruption, now: dt.datetime) -> int:
    """Send the notices the interruption calls for now (each customer once per event)."""
    return sum(
        notice_send(interruption=interruption, event=event, now=now) for event in events_due(interruption, now=now)
    )


def planned_notices_send(*, now: dt.datetime) -> int:
    """Announce the planned interruptions that start within the lead time
    (and have not started yet (the hourly beat task; safe to run as often as wanted).
    The customers affected are recomputed first: agreements change."""
    due = Interruption.objects.filter(
        planned=True,
        account__isnull=True,
        ended_at__isnull=True,
        started_at__gt=now,
        started_at__lte=now + _lead(),
        status__in=Interruption.OPEN_STATES,
    ).order_by("started_at", "id")
    sent = 0
    for interruption in due:
        with transaction.atomic():
            interruption = Interruption.objects.select_for_update().get(pk=interruption.pk)
            affected_refresh(interruption=interruption)
            sent += notice_send(interruption=interruption, event=Notice.Event.ANNOUNCED, now=now)
    return sent


__all__ = ["notice_send", "notices_due_send", "planned_notices_send"]
