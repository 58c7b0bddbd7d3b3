"""A customer change filed as a ticket in a back-office queue.

The kernel tells other departments of customer changes (core.departments);
a subscription of the kind "back-office queue" names a queue by its code, and
this handler, registered when the app starts, opens a ticket there with the
changes as a system note. The customer is not written to: the ticket is the
department's work item."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account
from core import clock
from core.departments import DeliveryError, change_lines, kind_label
from support.models import Queue, Ticket, TicketMessage
from support.services.tickets import ticket_reference_next
from support.sla import sla_due_times

KIND_TICKETS = {"move": Ticket.Kind.MOVE, "termination": Ticket.Kind.MOVE}


def department_notice_file(
    *, queue: str, kind: str, account_number: str, summary: dict[str, Any], at: dt.datetime
) -> str:
    """Open a ticket about the change in the queue with the code `queue`; the ticket reference."""
    target = Queue.objects.filter(code=queue).first()
    if target is None:
        raise DeliveryError(f"no back-office queue with the code {queue!r}")
    account = Account.objects.select_related("customer").filter(number=account_number).first()
    customer = account.customer if account is not None else None
    ticket_kind = KIND_TICKETS.get(kind, Ticket.Kind.INQUIRY)
    received_at = clock.now()
    with transaction.atomic(), translation.override(customer.language if customer else "de"):
        label = kind_label(kind)
        due = sla_due_times(kind=ticket_kind, priority=Ticket.Priority.NORMAL, received_at=received_at)
        ticket = Ticket.objects.create(
            reference=ticket_reference_next(year=timezone.localtime(received_at).year),
            customer=customer,
            account=account,
            kind=ticket_kind,
            channel=Ticket.Channel.PORTAL,
            queue=target,
            subject=_("Customer change: %(kind)s, account %(number)s") % {"kind": label, "number": account_number},
            language=customer.language if customer else "de",
            first_response_due_at=due.first_response_due_at,
            sla_due_at=due.resolution_due_at,
            created_at=received_at,
        )
        lines = [
            _("Account %(number)s changed on %(at)s (%(kind)s):")
            % {"number": account_number, "at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M"), "kind": label},
            *(f"- {line}" for line in change_lines(summary)),
        ]
        TicketMessage.objects.create(
            ticket=ticket,
            author_kind=TicketMessage.AuthorKind.SYSTEM,
            body="\n".join(lines),
            created_at=received_at,
        )
    return f"ticket {ticket.reference}"
