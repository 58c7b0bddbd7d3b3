"""Ticket services: create, reply, note, assign, route, change status, resolve
(with the arbitration board when a complaint is rejected), merge duplicates,
rate. Each runs in one transaction; e-mails go out through the outbox on commit.

A billing dispute pauses dunning for the disputed invoice with a dunning hold
(source "ticket:<reference>") for as long as the ticket is open."""

from __future__ import annotations

import datetime as dt
import logging
import string
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account, Customer
from arrears.models import DunningHold
from arrears.services.holds import hold_put, hold_release
from billing.models import BillingSettings, Invoice
from core.communications import Attachment, NoAddressForChannel, Recipient, message_send
from core.sequences import sequence_take
from meters.models import Utility
from supply.models import ServiceAgreement
from support.models import (
    AssistantConversation,
    CannedReply,
    Queue,
    Ticket,
    TicketAttachment,
    TicketMessage,
    Topic,
)
from support.queries.tickets import user_can_work_queue
from support.sla import complaint_deadline, sla_due_times

logger = logging.getLogger(__name__)

Kind = Ticket.Kind
Status = Ticket.Status
AuthorKind = TicketMessage.AuthorKind

GENERAL_QUEUE = "GENERAL"
COMPLAINTS_QUEUE = "COMPLAINTS"
MAX_SUBJECT = 200
MAX_BODY = 20_000
MAX_ATTACHMENT_BYTES = 15 * 1024 * 1024

# The topic a ticket of this kind is about when nobody said otherwise.
KIND_TOPICS = {
    Kind.COMPLAINT: Topic.COMPLAINT,
    Kind.BILLING_DISPUTE: Topic.BILLING,
    Kind.METER_PROBLEM: Topic.METER,
    Kind.MOVE: Topic.MOVING,
    Kind.PAYMENT_PLAN_REQUEST: Topic.PAYMENTS,
}
KIND_PRIORITIES = {Kind.COMPLAINT: Ticket.Priority.HIGH, Kind.BILLING_DISPUTE: Ticket.Priority.HIGH}
# Status changes an agent may make directly; RESOLVED goes through ticket_resolve.
TRANSITIONS = {
    Status.NEW: {Status.OPEN, Status.WAITING_FOR_CUSTOMER, Status.CLOSED},
    Status.OPEN: {Status.WAITING_FOR_CUSTOMER, Status.CLOSED},
    Status.WAITING_FOR_CUSTOMER: {Status.OPEN, Status.CLOSED},
    Status.RESOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: set(),
}
ENERGY = (Utility.ELECTRICITY, Utility.GAS)


class TicketError(Exception):
    """A ticket action that cannot be done; the message says why, for a person."""


@dataclass(frozen=True)
class ReferencePattern:
    prefix: str = "T"

    def format(self, *, year: int, number: int) -> str:
        return f"{self.prefix}-{year}-{number:06d}"


REFERENCE = ReferencePattern()


def ticket_reference_next(*, year: int) -> str:
    """The next reference of the year, e.g. T-2026-000123 (gap-free, under a row lock)."""
    return REFERENCE.format(year=year, number=sequence_take(name=f"ticket-{year}"))


def queue_for(*, kind: str, topic: str) -> Queue:
    """Complaints go to the complaints queue; others to the queue of their topic, else the general queue."""
    queues = list(Queue.objects.order_by("position", "id"))
    if kind == Kind.COMPLAINT:
        for queue in queues:
            if queue.code == COMPLAINTS_QUEUE:
                return queue
    for queue in queues:
        if topic and topic in (queue.topics or []):
            return queue
    for queue in queues:
        if queue.code == GENERAL_QUEUE:
            return queue
    queue, _created = Queue.objects.get_or_create(
        code=GENERAL_QUEUE, defaults={"name_de": "Allgemein", "name_en": "General", "topics": [Topic.GENERAL]}
    )
    return queue


def is_energy_customer(*, customer: Customer | None, account: Account | None = None) -> bool:
    """Whether a complaint falls under the energy rules (EnWG §111a): unknown
    senders and customers without supply count as energy customers, to be safe."""
    if customer is None:
        return True
    agreements = ServiceAgreement.objects.filter(account__customer=customer)
    if account is not None:
        agreements = agreements.filter(account=account)
    utilities = set(agreements.values_list("supply_point__utility", flat=True))
    return not utilities or bool(utilities & set(ENERGY))


def _clean_text(value: str, *, field: str, limit: int) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        raise TicketError(_("Please write a %(field)s.") % {"field": field})
    if len(text) > limit:
        raise TicketError(
            _("The %(field)s is too long (at most %(limit)s characters).") % {"field": field, "limit": limit}
        )
    return text


def _attach(*, message: TicketMessage, attachments: Iterable[Attachment]) -> None:
    for attachment in attachments:
        if len(attachment.content) > MAX_ATTACHMENT_BYTES:
            raise TicketError(_("The file %(name)s is too large.") % {"name": attachment.filename})
        stored = TicketAttachment(
            message=message, filename=attachment.filename[:200], content_type=attachment.content_type[:100]
        )
        stored.file.save(attachment.filename[:100], ContentFile(attachment.content), save=True)


def _recipient(ticket: Ticket) -> Recipient | None:
    if ticket.customer is not None:
        return ticket.customer.as_recipient()
    if ticket.sender_email:
        return Recipient(name=ticket.sender_email, language=ticket.language, email=ticket.sender_email, about=ticket)
    return None


def _notify(*, ticket: Ticket, template: str, context: dict) -> None:
    """Mail the customer (or the unknown sender) about their ticket."""
    recipient = _recipient(ticket)
    if recipient is None:
        logger.info("Ticket %s has nobody to write to; %s not sent", ticket.reference, template)
        return
    try:
        message_send(
            recipient=recipient,
            template=template,
            context={
                "ticket": ticket,
                "ticket_url": reverse("support:ticket_detail", args=[ticket.reference]),
                **context,
            },
        )
    except NoAddressForChannel:
        logger.warning("Ticket %s: the customer has no e-mail address; %s not sent", ticket.reference, template)


def _system_note(*, ticket: Ticket, text: str, as_of: dt.datetime, author: AbstractBaseUser | None = None) -> None:
    TicketMessage.objects.create(
        ticket=ticket, author_kind=AuthorKind.SYSTEM, author=author, body=text, created_at=as_of
    )


def _hold_source(ticket: Ticket) -> str:
    return f"ticket:{ticket.reference}"


def _hold_set(ticket: Ticket) -> None:
    if ticket.disputed_invoice is None:
        return
    hold_put(
        invoice=ticket.disputed_invoice,
        reason=DunningHold.Reason.DISPUTE,
        source=_hold_source(ticket),
        note=ticket.subject,
    )


def _hold_release(ticket: Ticket, *, as_of: dt.datetime) -> None:
    if ticket.disputed_invoice is None:
        return
    hold_release(invoice=ticket.disputed_invoice, source=_hold_source(ticket), as_of=as_of)


def _check_dispute(*, customer: Customer | None, kind: str, invoice: Invoice | None) -> None:
    if invoice is None:
        return
    if kind != Kind.BILLING_DISPUTE:
        raise TicketError(_("Only a billing dispute refers to an invoice."))
    if customer is None or invoice.account.customer_id != customer.pk:
        raise TicketError(_("The disputed invoice does not belong to this customer."))
    if invoice.status != Invoice.Status.ISSUED:
        raise TicketError(_("Only an issued invoice can be disputed."))


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).select_related("customer", "queue").get(pk=ticket.pk)


def ticket_create(
    *,
    customer: Customer | None,
    kind: str,
    channel: str,
    subject: str,
    body: str,
    topic: str = "",
    account: Account | None = None,
    conversation: AssistantConversation | None = None,
    as_of: dt.datetime,
    priority: str = "",
    sender_email: str = "",
    language: str = "",
    disputed_invoice: Invoice | None = None,
    created_by: AbstractBaseUser | None = None,
    email_message_id: str | None = None,
    attachments: Iterable[Attachment] = (),
    notify: bool = True,
) -> Ticket:
    """Open a ticket with the customer's first message, routed to the queue of
    its topic, with SLA due times and, for an energy complaint, the legal deadline.

    `created_by` is the agent who took a phone call; `conversation` is the
    assistant's conversation that led here (shown to agents, linked to the ticket).
    """
    if kind not in Kind.values:
        raise TicketError(_("Unknown ticket kind."))
    if channel not in Ticket.Channel.values:
        raise TicketError(_("Unknown channel."))
    if topic and topic not in Topic.values:
        topic = Topic.GENERAL
    if priority and priority not in Ticket.Priority.values:
        raise TicketError(_("Unknown priority."))
    subject = _clean_text(subject, field=_("subject"), limit=MAX_SUBJECT)
    body = _clean_text(body, field=_("message"), limit=MAX_BODY)
    if account is not None and (customer is None or account.customer_id != customer.pk):
        raise TicketError(_("The account does not belong to this customer."))
    _check_dispute(customer=customer, kind=kind, invoice=disputed_invoice)
    topic = topic or KIND_TOPICS.get(kind, Topic.GENERAL)
    priority = priority or KIND_PRIORITIES.get(kind, Ticket.Priority.NORMAL)
    with transaction.atomic():
        due = sla_due_times(kind=kind, priority=priority, received_at=as_of)
        ticket = Ticket.objects.create(
            reference=ticket_reference_next(year=timezone.localtime(as_of).year),
            customer=customer,
            account=account,
            kind=kind,
            channel=channel,
            priority=priority,
            queue=queue_for(kind=kind, topic=topic),
            topic=topic,
            subject=subject,
            sender_email=(sender_email or (customer.email if customer else "")).lower(),
            language=language or (customer.language if customer else "de"),
            first_response_due_at=due.first_response_due_at,
            sla_due_at=due.resolution_due_at,
            legal_deadline=(
                complaint_deadline(received_at=as_of)
                if kind == Kind.COMPLAINT and is_energy_customer(customer=customer, account=account)
                else None
            ),
            disputed_invoice=disputed_invoice,
            created_at=as_of,
        )
        message = TicketMessage.objects.create(
            ticket=ticket,
            author_kind=AuthorKind.CUSTOMER,
            author=created_by,
            body=body,
            email_message_id=email_message_id or None,
            created_at=as_of,
        )
        _attach(message=message, attachments=attachments)
        if conversation is not None:
            _system_note(ticket=ticket, text=_conversation_text(conversation), as_of=as_of)
            conversation.ticket = ticket
            conversation.save(update_fields=["ticket"])
        _hold_set(ticket)
        if notify:
            _notify(ticket=ticket, template="ticket_received", context={})
    return ticket


def _conversation_text(conversation: AssistantConversation) -> str:
    lines = [
        _("Asked the assistant: %(question)s") % {"question": conversation.question},
        _("Detected: intent %(intent)s, topic %(topic)s")
        % {"intent": conversation.intent or "-", "topic": conversation.topic or "-"},
    ]
    if conversation.answer_text:
        lines.append(_("The assistant answered: %(answer)s") % {"answer": conversation.answer_text})
    return "\n".join(lines)


def ticket_customer_reply(
    *,
    ticket: Ticket,
    body: str,
    as_of: dt.datetime,
    email_message_id: str | None = None,
    attachments: Iterable[Attachment] = (),
) -> TicketMessage:
    """The customer writes again (portal or e-mail). A waiting or resolved
    ticket opens again; a reply to a closed ticket opens a follow-up ticket."""
    body = _clean_text(body, field=_("message"), limit=MAX_BODY)
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status == Status.CLOSED:
            target = ticket.merged_into if ticket.merged_into_id and ticket.merged_into.is_open else None
            if target is None:
                follow_up = ticket_create(
                    customer=ticket.customer,
                    kind=ticket.kind,
                    channel=ticket.channel,
                    subject=ticket.subject,
                    body=body,
                    topic=ticket.topic,
                    account=ticket.account,
                    as_of=as_of,
                    sender_email=ticket.sender_email,
                    language=ticket.language,
                    email_message_id=email_message_id,
                    attachments=attachments,
                )
                _system_note(
                    ticket=follow_up,
                    text=_("Follow-up to the closed ticket %(reference)s.") % {"reference": ticket.reference},
                    as_of=as_of,
                )
                return follow_up.messages.get(author_kind=AuthorKind.CUSTOMER)
            ticket = _locked(target)
        message = TicketMessage.objects.create(
            ticket=ticket,
            author_kind=AuthorKind.CUSTOMER,
            body=body,
            email_message_id=email_message_id or None,
            created_at=as_of,
        )
        _attach(message=message, attachments=attachments)
        if ticket.status in (Status.WAITING_FOR_CUSTOMER, Status.RESOLVED):
            if ticket.status == Status.RESOLVED:
                ticket.resolved_at = None
                ticket.resolution = ""
                _hold_set(ticket)
            ticket.status = Status.OPEN
            ticket.save(update_fields=["status", "resolved_at", "resolution", "updated_at"])
    return message


def ticket_reply(
    *,
    ticket: Ticket,
    agent: AbstractBaseUser,
    body: str,
    as_of: dt.datetime,
    attachments: Iterable[Attachment] = (),
    wait_for_customer: bool = True,
) -> TicketMessage:
    """An agent answers the customer: visible in the portal and sent by e-mail."""
    body = _clean_text(body, field=_("reply"), limit=MAX_BODY)
    attachments = list(attachments)
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status == Status.CLOSED:
            raise TicketError(_("The ticket is closed."))
        message = TicketMessage.objects.create(
            ticket=ticket, author_kind=AuthorKind.AGENT, author=agent, body=body, created_at=as_of
        )
        _attach(message=message, attachments=attachments)
        if ticket.first_response_at is None:
            ticket.first_response_at = as_of
        if ticket.status != Status.RESOLVED:
            ticket.status = Status.WAITING_FOR_CUSTOMER if wait_for_customer else Status.OPEN
        if ticket.assignee_id is None:
            ticket.assignee = agent
        ticket.save(update_fields=["first_response_at", "status", "assignee", "updated_at"])
        _notify(ticket=ticket, template="ticket_reply", context={"body": body, "agent_name": _agent_name(agent)})
    return message


def ticket_note(*, ticket: Ticket, agent: AbstractBaseUser, body: str, as_of: dt.datetime) -> TicketMessage:
    """An internal note: agents see it, the customer never does."""
    body = _clean_text(body, field=_("note"), limit=MAX_BODY)
    with transaction.atomic():
        ticket = _locked(ticket)
        message = TicketMessage.objects.create(
            ticket=ticket, author_kind=AuthorKind.INTERNAL_NOTE, author=agent, body=body, created_at=as_of
        )
        if ticket.status == Status.NEW:
            ticket.status = Status.OPEN
            ticket.save(update_fields=["status", "updated_at"])
    return message


def ticket_assign(
    *, ticket: Ticket, assignee: AbstractBaseUser | None, by: AbstractBaseUser, as_of: dt.datetime
) -> Ticket:
    """Give the ticket to an agent who works its queue (or take it back with None)."""
    if assignee is not None and not user_can_work_queue(user=assignee, queue=ticket.queue):
        raise TicketError(
            _("%(name)s does not work the queue %(queue)s.")
            % {"name": _agent_name(assignee), "queue": ticket.queue.name}
        )
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status == Status.CLOSED:
            raise TicketError(_("The ticket is closed."))
        if ticket.assignee_id == (assignee.pk if assignee else None):
            return ticket
        ticket.assignee = assignee
        if ticket.status == Status.NEW and assignee is not None:
            ticket.status = Status.OPEN
        ticket.save(update_fields=["assignee", "status", "updated_at"])
        text = (
            _("Assigned to %(name)s by %(by)s.") % {"name": _agent_name(assignee), "by": _agent_name(by)}
            if assignee
            else _("Unassigned by %(by)s.") % {"by": _agent_name(by)}
        )
        _system_note(ticket=ticket, text=text, as_of=as_of, author=by)
    return ticket


def ticket_route(*, ticket: Ticket, queue: Queue, priority: str, by: AbstractBaseUser, as_of: dt.datetime) -> Ticket:
    """Move the ticket to another queue and/or priority; a new priority gives new SLA due times."""
    if priority not in Ticket.Priority.values:
        raise TicketError(_("Unknown priority."))
    with transaction.atomic():
        ticket = _locked(ticket)
        if not ticket.is_open:
            raise TicketError(_("Only an open ticket can be moved."))
        changes = []
        if queue.pk != ticket.queue_id:
            changes.append(_("queue %(old)s -> %(new)s") % {"old": ticket.queue.name, "new": queue.name})
            ticket.queue = queue
            if ticket.assignee is not None and not user_can_work_queue(user=ticket.assignee, queue=queue):
                ticket.assignee = None
        if priority != ticket.priority:
            changes.append(
                _("priority %(old)s -> %(new)s")
                % {"old": ticket.get_priority_display(), "new": Ticket.Priority(priority).label}
            )
            ticket.priority = priority
            due = sla_due_times(kind=ticket.kind, priority=priority, received_at=ticket.created_at)
            ticket.first_response_due_at = due.first_response_due_at
            ticket.sla_due_at = due.resolution_due_at
        if not changes:
            return ticket
        ticket.save()
        _system_note(
            ticket=ticket,
            text=_("Changed by %(by)s: %(changes)s.")
            % {"by": _agent_name(by), "changes": ", ".join(str(c) for c in changes)},
            as_of=as_of,
            author=by,
        )
    return ticket


def ticket_status_change(*, ticket: Ticket, status: str, by: AbstractBaseUser, as_of: dt.datetime) -> Ticket:
    """Open, wait for the customer, or close (resolving goes through ticket_resolve)."""
    with transaction.atomic():
        ticket = _locked(ticket)
        if status == ticket.status:
            return ticket
        if status not in TRANSITIONS.get(ticket.status, set()):
            raise TicketError(
                _("A ticket cannot go from %(old)s to %(new)s.")
                % {
                    "old": ticket.get_status_display(),
                    "new": Status(status).label if status in Status.values else status,
                }
            )
        previous = ticket.get_status_display()
        ticket.status = status
        if status == Status.CLOSED:
            ticket.closed_at = as_of
            _hold_release(ticket, as_of=as_of)
        elif ticket.resolved_at is not None:
            ticket.resolved_at = None
            ticket.resolution = ""
            _hold_set(ticket)
        ticket.save(update_fields=["status", "closed_at", "resolved_at", "resolution", "updated_at"])
        _system_note(
            ticket=ticket,
            text=_("Status %(old)s -> %(new)s by %(by)s.")
            % {"old": previous, "new": ticket.get_status_display(), "by": _agent_name(by)},
            as_of=as_of,
            author=by,
        )
    return ticket


def arbitration_paragraph(*, language: str) -> str:
    """The notice naming the arbitration board, in the customer's language (EnWG §111a)."""
    board = BillingSettings.current().arbitration_board
    with translation.override(language):
        return _(
            "If you do not agree with our decision, you can turn to the arbitration board for energy "
            "(Schlichtungsstelle Energie), free of charge for consumers: %(board)s"
        ) % {"board": board}


def ticket_resolve(
    *, ticket: Ticket, agent: AbstractBaseUser, body: str, as_of: dt.datetime, rejected: bool = False
) -> Ticket:
    """The final answer to the customer; the ticket is resolved and a billing
    dispute releases its dunning hold. Rejecting a complaint or dispute names
    the arbitration board in the answer."""
    body = _clean_text(body, field=_("answer"), limit=MAX_BODY)
    with transaction.atomic():
        ticket = _locked(ticket)
        if not ticket.is_open:
            raise TicketError(_("Only an open ticket can be resolved."))
        if rejected:
            if ticket.kind not in (Kind.COMPLAINT, Kind.BILLING_DISPUTE):
                raise TicketError(_("Only a complaint or a billing dispute can be rejected."))
            board = BillingSettings.current().arbitration_board
            if board not in body:
                body = f"{body}\n\n{arbitration_paragraph(language=ticket.language)}"
        TicketMessage.objects.create(
            ticket=ticket, author_kind=AuthorKind.AGENT, author=agent, body=body, created_at=as_of
        )
        ticket.status = Status.RESOLVED
        ticket.resolution = Ticket.Resolution.REJECTED if rejected else Ticket.Resolution.SOLVED
        ticket.resolved_at = as_of
        if ticket.first_response_at is None:
            ticket.first_response_at = as_of
        if ticket.assignee_id is None:
            ticket.assignee = agent
        ticket.save()
        _hold_release(ticket, as_of=as_of)
        _notify(
            ticket=ticket,
            template="ticket_resolved",
            context={
                "body": body,
                "agent_name": _agent_name(agent),
                "rate_url": reverse("support:ticket_detail", args=[ticket.reference]) + "#rate",
            },
        )
    return ticket


def ticket_merge(*, duplicate: Ticket, into: Ticket, by: AbstractBaseUser, as_of: dt.datetime) -> Ticket:
    """Move a duplicate's messages into another ticket of the same customer and close the duplicate."""
    if duplicate.pk == into.pk:
        raise TicketError(_("A ticket cannot be merged into itself."))
    with transaction.atomic():
        first, second = sorted([duplicate.pk, into.pk])
        locked = {
            t.pk: t
            for t in Ticket.objects.select_for_update(of=("self",))
            .filter(pk__in=[first, second])
            .select_related("queue")
        }
        duplicate, into = locked[duplicate.pk], locked[into.pk]
        if not duplicate.is_open or not into.is_open:
            raise TicketError(_("Only open tickets can be merged."))
        if duplicate.customer_id and into.customer_id and duplicate.customer_id != into.customer_id:
            raise TicketError(_("The tickets belong to different customers."))
        if (
            into.disputed_invoice_id
            and duplicate.disputed_invoice_id
            and into.disputed_invoice_id != duplicate.disputed_invoice_id
        ):
            raise TicketError(_("The tickets dispute different invoices."))
        TicketMessage.objects.filter(ticket=duplicate).update(ticket=into)
        AssistantConversation.objects.filter(ticket=duplicate).update(ticket=into)
        update = ["updated_at"]
        if into.customer_id is None and duplicate.customer_id:
            into.customer_id, into.account_id = duplicate.customer_id, duplicate.account_id
            update += ["customer", "account"]
        if duplicate.legal_deadline and (into.legal_deadline is None or duplicate.legal_deadline < into.legal_deadline):
            into.legal_deadline = duplicate.legal_deadline
            update.append("legal_deadline")
        _hold_release(duplicate, as_of=as_of)
        if duplicate.disputed_invoice_id and not into.disputed_invoice_id:
            into.disputed_invoice_id = duplicate.disputed_invoice_id
            update.append("disputed_invoice")
        into.save(update_fields=update)
        _hold_set(into)
        duplicate.status = Status.CLOSED
        duplicate.resolution = Ticket.Resolution.DUPLICATE
        duplicate.merged_into = into
        duplicate.closed_at = as_of
        duplicate.save(update_fields=["status", "resolution", "merged_into", "closed_at", "updated_at"])
        _system_note(
            ticket=into,
            text=_("%(duplicate)s merged into this ticket by %(by)s.")
            % {"duplicate": duplicate.reference, "by": _agent_name(by)},
            as_of=as_of,
            author=by,
        )
        _system_note(
            ticket=duplicate,
            text=_("Merged into %(reference)s by %(by)s.") % {"reference": into.reference, "by": _agent_name(by)},
            as_of=as_of,
            author=by,
        )
    return into


def ticket_rate(*, ticket: Ticket, score: int, comment: str = "", as_of: dt.datetime) -> Ticket:
    """The customer's satisfaction with the answer (1 to 5), once per ticket."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise TicketError(_("Please choose a rating from 1 to 5."))
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status not in (Status.RESOLVED, Status.CLOSED) or ticket.resolution == Ticket.Resolution.DUPLICATE:
            raise TicketError(_("You can rate the answer once the ticket is resolved."))
        if ticket.csat_score is not None:
            raise TicketError(_("You have already rated this answer. Thank you!"))
        ticket.csat_score = score
        ticket.csat_comment = (comment or "").strip()[:2000]
        ticket.save(update_fields=["csat_score", "csat_comment", "updated_at"])
        _system_note(
            ticket=ticket, text=_("The customer rated the answer %(score)s of 5.") % {"score": score}, as_of=as_of
        )
    return ticket


def _agent_name(user: AbstractBaseUser | None) -> str:
    if user is None:
        return ""
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or getattr(user, "email", "") or str(user)


class _Placeholders(dict):
    """Unknown placeholders stay as written, so a typo shows instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def canned_reply_render(*, reply: CannedReply, ticket: Ticket, agent: AbstractBaseUser) -> str:
    """The reply in the ticket's language with {customer_name}, {ticket_reference} and {agent_name} filled in."""
    values = _Placeholders(
        customer_name=ticket.customer.display_name if ticket.customer else ticket.sender_email,
        ticket_reference=ticket.reference,
        agent_name=_agent_name(agent),
        subject=ticket.subject,
    )
    text = reply.body_in(ticket.language)
    formatter = string.Formatter()
    try:
        parts = list(formatter.parse(text))
    except ValueError:
        return text
    result = []
    for literal, name, _spec, _conversion in parts:
        result.append(literal)
        if name is not None:
            result.append(values[name] if name else "{}")
    return "".join(result)
