"""Reads for tickets: which queues an agent sees, the queue list, a customer's
tickets, the customer 360 panel beside a ticket."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When

from accounts.models import Account, Customer
from billing.models import Invoice
from billing.services.ledger import balances
from core.models import OutboxMessage
from core.queries import outbox_for
from meters.models import Read
from supply.models import ServiceAgreement
from support.models import Queue, Ticket, TicketMessage

VIEW_ALL = "support.view_all_queues"
WORK = "support.work_ticket"


def queues_for_user(*, user: AbstractBaseUser) -> QuerySet[Queue]:
    """The queues an agent sees: those of the agent's groups, or all with "view all queues"."""
    if not user.is_authenticated or not user.is_staff:
        return Queue.objects.none()
    if user.has_perm(VIEW_ALL):
        return Queue.objects.order_by("position", "id")
    return Queue.objects.filter(members__user=user).distinct().order_by("position", "id")


def user_can_work_queue(*, user: AbstractBaseUser, queue: Queue) -> bool:
    return bool(user.is_active and user.has_perm(WORK) and queues_for_user(user=user).filter(pk=queue.pk).exists())


def agents_for_queue(*, queue: Queue) -> list[AbstractBaseUser]:
    """Active staff who may work tickets in `queue` (for the assign list)."""
    users = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("email", "id")
    users = users.filter(
        Q(is_superuser=True)
        | Q(groups__permissions__codename="view_all_queues", groups__permissions__content_type__app_label="support")
        | Q(user_permissions__codename="view_all_queues", user_permissions__content_type__app_label="support")
        | Q(groups__support_queues=queue)
    ).distinct()
    return [user for user in users if user.has_perm(WORK)]


def visible_tickets(*, user: AbstractBaseUser) -> QuerySet[Ticket]:
    return Ticket.objects.filter(queue__in=queues_for_user(user=user))


@dataclass(frozen=True)
class TicketFilters:
    queue: str = ""
    status: str = "open"  # "open" (new, open, waiting), "all", or one status
    kind: str = ""
    assignee: str = ""  # "", "me", "none"
    query: str = ""
    sort: str = "sla"  # "sla", "created", "-created", "priority"


PRIORITY_RANK = {"URGENT": 0, "HIGH": 1, "NORMAL": 2, "LOW": 3}


def ticket_queue(*, user: AbstractBaseUser, filters: TicketFilters, limit: int = 200) -> QuerySet[Ticket]:
    """The tickets an agent sees, filtered and sorted (SLA: the most urgent due time first)."""
    tickets = visible_tickets(user=user).select_related("queue", "customer", "assignee")
    if filters.queue:
        tickets = tickets.filter(queue__code=filters.queue)
    if filters.status == "open":
        tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES)
    elif filters.status in Ticket.Status.values:
        tickets = tickets.filter(status=filters.status)
    if filters.kind in Ticket.Kind.values:
        tickets = tickets.filter(kind=filters.kind)
    if filters.assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    if filters.query:
        q = filters.query.strip()
        tickets = tickets.filter(
            Q(reference__icontains=q)
            | Q(subject__icontains=q)
            | Q(sender_email__icontains=q)
            | Q(customer__last_name__icontains=q)
            | Q(customer__company_name__icontains=q)
            | Q(account__number__startswith=q)
        )
    order = {
        "created": ["created_at", "id"],
        "-created": ["-created_at", "-id"],
        "priority": ["priority_rank", F("sla_due_at").asc(nulls_last=True), "id"],
    }.get(filters.sort, [F("sla_due_at").asc(nulls_last=True), "id"])
    if filters.sort == "priority":
        tickets = tickets.annotate(
            priority_rank=Case(
                *[When(priority=key, then=Value(rank)) for key, rank in PRIORITY_RANK.items()],
                output_field=IntegerField(),
            )
        )
    return tickets.order_by(*order)[:limit]


def queue_counts(*, user: AbstractBaseUser) -> list[tuple[Queue, int]]:
    """The agent's queues with their open tickets, in one query."""
    queues = queues_for_user(user=user).annotate(
        open_count=Count("tickets", filter=Q(tickets__status__in=Ticket.OPEN_STATUSES))
    )
    return [(queue, queue.open_count) for queue in queues]


def ticket_for_staff(*, user: AbstractBaseUser, reference: str) -> Ticket | None:
    return (
        visible_tickets(user=user)
        .select_related("queue", "customer", "account", "assignee", "merged_into", "disputed_invoice")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=TicketMessage.objects.select_related("author")
                .prefetch_related("attachments")
                .order_by("created_at", "id"),
            )
        )
        .filter(reference=reference)
        .first()
    )


def customer_tickets(*, customer: Customer) -> QuerySet[Ticket]:
    return Ticket.objects.filter(customer=customer).order_by("-created_at", "-id")


def customer_ticket(*, customer: Customer, reference: str) -> Ticket | None:
    """One of the customer's tickets with the messages the customer may see."""
    return (
        customer_tickets(customer=customer)
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=TicketMessage.objects.filter(
                    author_kind__in=[TicketMessage.AuthorKind.CUSTOMER, TicketMessage.AuthorKind.AGENT]
                )
                .select_related("author")
                .prefetch_related("attachments")
                .order_by("created_at", "id"),
                to_attr="visible_messages",
            )
        )
        .filter(reference=reference)
        .first()
    )


@dataclass(frozen=True)
class AccountSummary:
    account: Account
    balance: Decimal
    open_invoices: list[Invoice]
    agreements: list[ServiceAgreement]


@dataclass(frozen=True)
class Customer360:
    customer: Customer
    accounts: list[AccountSummary]
    reads: list[Read]
    messages: list[OutboxMessage]
    other_tickets: list[Ticket]


RECENT_READS = 5
RECENT_MESSAGES = 5
OTHER_TICKETS = 10
OPEN_INVOICES = 5


def customer_360(*, customer: Customer, ticket: Ticket | None = None) -> Customer360:
    """What an agent needs beside a ticket: accounts with balance, open bills
    and supplies, the last reads, recent messages and other tickets."""
    accounts = list(
        Account.objects.filter(customer=customer)
        .prefetch_related(
            Prefetch(
                "invoices",
                queryset=Invoice.objects.filter(status=Invoice.Status.ISSUED, kind__in=Invoice.BILL_KINDS).order_by(
                    "-issue_date", "-id"
                ),
                to_attr="issued_invoices",
            ),
            Prefetch(
                "agreements",
                queryset=ServiceAgreement.objects.select_related("supply_point", "tariff").order_by(
                    "-start_date", "-id"
                ),
                to_attr="all_agreements",
            ),
        )
        .order_by("number", "id")
    )
    account_balances = balances(account_ids=[account.pk for account in accounts])
    reads = list(
        Read.objects.filter(register__meter__supply_point__agreements__account__customer=customer)
        .select_related("register__meter")
        .distinct()
        .order_by("-taken_at", "-id")[:RECENT_READS]
    )
    others = customer_tickets(customer=customer).select_related("queue")
    if ticket is not None:
        others = others.exclude(pk=ticket.pk)
    return Customer360(
        customer=customer,
        accounts=[
            AccountSummary(
                account=account,
                balance=account_balances.get(account.pk, Decimal("0.00")),
                open_invoices=account.issued_invoices[:OPEN_INVOICES],
                agreements=account.all_agreements,
            )
            for account in accounts
        ],
        reads=reads,
        messages=list(outbox_for(customer)[:RECENT_MESSAGES]),
        other_tickets=list(others[:OTHER_TICKETS]),
    )


def escalated_tickets(*, user: AbstractBaseUser) -> QuerySet[Ticket]:
    """Open escalated tickets the supervisor sees, the oldest escalation first."""
    return (
        visible_tickets(user=user)
        .filter(status__in=Ticket.OPEN_STATUSES, escalated_at__isnull=False)
        .select_related("queue", "customer", "assignee")
        .order_by("escalated_at", "id")
    )


def merge_candidates(*, ticket: Ticket, user: AbstractBaseUser) -> QuerySet[Ticket]:
    """Other open tickets of the same customer (or the same sender) the agent may merge this one into."""
    tickets = visible_tickets(user=user).filter(status__in=Ticket.OPEN_STATUSES).exclude(pk=ticket.pk)
    if ticket.customer_id:
        tickets = tickets.filter(
            Q(customer_id=ticket.customer_id) | Q(customer__isnull=True, sender_email=ticket.sender_email)
        )
    else:
        tickets = tickets.filter(sender_email=ticket.sender_email)
    return tickets.order_by("-created_at", "-id")[:20]


def due_label(*, due: dt.datetime | None, now: dt.datetime) -> str:
    """Remaining time as "2 h 5 min" (negative: overdue), for the SLA countdown."""
    if due is None:
        return ""
    seconds = int((due - now).total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{sign}{days} d {hours} h"
    if hours:
        return f"{sign}{hours} h {minutes} min"
    return f"{sign}{minutes} min"
