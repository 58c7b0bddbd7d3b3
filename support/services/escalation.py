"""Escalation to supervisors: open tickets past their SLA due time (first
response or resolution), and complaints whose legal deadline is near."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from core.communications import Recipient, message_send
from support.models import SupportSettings, Ticket, TicketMessage

logger = logging.getLogger(__name__)

SUPERVISOR_PERMISSION = "view_escalations"


def supervisors() -> list[AbstractBaseUser]:
    """Active staff who see escalations and have an e-mail address."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .exclude(email="")
        .filter(
            Q(
                groups__permissions__codename=SUPERVISOR_PERMISSION,
                groups__permissions__content_type__app_label="support",
            )
            | Q(user_permissions__codename=SUPERVISOR_PERMISSION, user_permissions__content_type__app_label="support")
        )
        .distinct()
        .order_by("email", "id")
    )
    return list(users)


def escalation_reasons(*, ticket: Ticket, as_of: dt.datetime, warn_from: dt.date) -> str:
    """Why an open ticket needs a supervisor now ("" when it does not)."""
    reasons = []
    if ticket.legal_deadline is not None and ticket.legal_deadline <= warn_from:
        reasons.append(_("complaint deadline %(date)s") % {"date": ticket.legal_deadline.strftime("%d.%m.%Y")})
    if ticket.sla_due_at is not None and ticket.sla_due_at <= as_of:
        reasons.append(_("resolution SLA passed"))
    elif ticket.first_response_at is None and ticket.first_response_due_at and ticket.first_response_due_at <= as_of:
        reasons.append(_("first response SLA passed"))
    return ", ".join(str(reason) for reason in reasons)


def tickets_escalate(*, as_of: dt.datetime) -> list[Ticket]:
    """Escalate every open ticket that passed its SLA or whose complaint
    deadline is near (once per ticket), note it on the ticket and notify the
    supervisors in one message each. A second run at the same time does nothing."""
    support = SupportSettings.current()
    today = as_of.astimezone(ZoneInfo(support.time_zone)).date()
    warn_from = today + dt.timedelta(days=support.escalate_before_deadline_days)
    candidates = Q(sla_due_at__lte=as_of) | Q(first_response_at__isnull=True, first_response_due_at__lte=as_of)
    candidates |= Q(legal_deadline__lte=warn_from)
    escalated: list[Ticket] = []
    with transaction.atomic():
        tickets = (
            Ticket.objects.select_for_update()
            .filter(candidates, status__in=Ticket.OPEN_STATUSES, escalated_at__isnull=True)
            .order_by("sla_due_at", "id")
        )
        for ticket in tickets:
            reason = escalation_reasons(ticket=ticket, as_of=as_of, warn_from=warn_from)
            if not reason:
                continue
            ticket.escalated_at = as_of
            ticket.escalation_reason = reason[:200]
            if ticket.priority in (Ticket.Priority.LOW, Ticket.Priority.NORMAL):
                ticket.priority = Ticket.Priority.HIGH
            ticket.save(update_fields=["escalated_at", "escalation_reason", "priority", "updated_at"])
            TicketMessage.objects.create(
                ticket=ticket,
                author_kind=TicketMessage.AuthorKind.SYSTEM,
                body=_("Escalated to the supervisors: %(reason)s.") % {"reason": reason},
                created_at=as_of,
            )
            escalated.append(ticket)
        if escalated:
            _notify_supervisors(tickets=escalated)
    return escalated


def _notify_supervisors(*, tickets: list[Ticket]) -> None:
    people = supervisors()
    if not people:
        logger.warning("%s tickets escalated, but no supervisor has an e-mail address", len(tickets))
        return
    for person in people:
        message_send(
            recipient=Recipient(
                name=person.get_full_name() or person.email,
                language=settings.LANGUAGE_CODE,
                email=person.email,
                about=None,
            ),
            template="ticket_escalation",
            context={
                "tickets": tickets,
                "escalations_url": reverse("support_staff:escalations"),
            },
        )
