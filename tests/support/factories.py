"""Support test data: the seeded queues and rules, agents with queue
memberships, tickets through the real service."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group, Permission

from support.models import Queue, Ticket
from support.services.seed import support_seed
from support.services.tickets import ticket_create
from tests.accounts.factories import UserFactory, customer_with_account, with_two_factor

BERLIN = ZoneInfo("Europe/Berlin")
AGENT_PERMISSIONS = ["view_ticket", "work_ticket"]


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def seeded() -> None:
    support_seed()


def agent_make(*, queues: list[str] | None = None, permissions=AGENT_PERMISSIONS, email: str | None = None, **extra):
    """A staff user whose own group is a member of `queues` (codes) and has `permissions` of the support app."""
    user = UserFactory(is_staff=True, **({"email": email} if email else {}), **extra)
    group = Group.objects.create(name=f"team-{user.pk}")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="support", codename__in=permissions))
    user.groups.add(group)
    for code in queues or []:
        Queue.objects.get(code=code).members.add(group)
    return with_two_factor(user)


def supervisor_make(**extra):
    user = UserFactory(is_staff=True, **extra)
    user.groups.add(Group.objects.get(name="Supervisors"))
    return with_two_factor(user)


def ticket_make(
    *, customer=None, as_of=None, kind=Ticket.Kind.INQUIRY, topic="", subject="Question", body="Hello", **extra
):
    if customer is None and "sender_email" not in extra:
        customer, _account = customer_with_account()
    return ticket_create(
        customer=customer,
        kind=kind,
        channel=extra.pop("channel", Ticket.Channel.PORTAL),
        subject=subject,
        body=body,
        topic=topic,
        as_of=as_of or berlin(2026, 3, 2, 9, 0),
        **extra,
    )
