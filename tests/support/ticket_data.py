"""Helpers for the ticket tests: the seeded queues and rules, agents with
queue memberships, tickets through the real service, issued invoices."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group, Permission

from billing.models import Invoice
from support.models import Queue, Ticket
from support.services.seed import support_seed
from support.services.tickets import ticket_create
from tests.factories import AccountFactory, CustomerFactory, UserFactory

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


def with_two_factor(user):
    """Staff pages ask for two-factor set-up first; test staff have it."""
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


def customer_with_account(**extra):
    account = AccountFactory(customer=CustomerFactory(**extra))
    return account.customer, account


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


def invoice_issued(*, account, number: str, gross: str = "119.00", month: int | None = None) -> Invoice:
    """An issued monthly bill; each one of an account needs its own month."""
    month = month or account.invoices.count() + 1
    gross_amount = Decimal(gross)
    net = (gross_amount / Decimal("1.19")).quantize(Decimal("0.01"))
    return Invoice.objects.create(
        account=account,
        number=number,
        status=Invoice.Status.ISSUED,
        period_start=dt.date(2025, month, 1),
        period_end=dt.date(2025, month, 28),
        issue_date=dt.date(2026, 2, 3),
        due_date=dt.date(2026, 2, 17),
        net_total=net,
        vat_total=gross_amount - net,
        gross_total=gross_amount,
        customer_name=account.customer.display_name,
        customer_address="\n".join(account.billing_address_lines),
    )
