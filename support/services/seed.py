"""Customer service set-up for a new installation or the demo: queues routed by
topic (agents and supervisors are members), SLA rules, business hours and
canned replies. Idempotent; rows changed by admins stay as they are."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group
from django.db import transaction

from support.models import BusinessHours, CannedReply, Queue, SlaRule, SupportSettings, Ticket, Topic

QUEUES = [
    # code, German, English, topics
    ("BILLING", "Rechnungen und Tarife", "Bills and tariffs", [Topic.BILLING, Topic.TARIFF]),
    ("PAYMENTS", "Zahlungen", "Payments", [Topic.PAYMENTS, Topic.BANK_DETAILS]),
    ("METER", "Zähler und Störungen", "Meters and outages", [Topic.METER, Topic.OUTAGE]),
    ("OPERATIONS", "Netzbetrieb", "Operations", []),
    ("MOVE", "Umzug", "Moving", [Topic.MOVING]),
    ("COMPLAINTS", "Beschwerden", "Complaints", [Topic.COMPLAINT]),
    ("GENERAL", "Allgemein", "General", [Topic.GENERAL]),
]
MEMBER_GROUPS = ["Agents", "Supervisors"]

Kind = Ticket.Kind
Priority = Ticket.Priority
SLA_RULES = [
    # kind, priority, first response, resolution (business hours)
    ("", "", 8, 40),
    ("", Priority.URGENT, 2, 8),
    ("", Priority.HIGH, 4, 24),
    ("", Priority.LOW, 16, 80),
    (Kind.COMPLAINT, "", 8, 80),
    (Kind.BILLING_DISPUTE, "", 8, 80),
]

CANNED_REPLIES = [
    (
        "Thanks, we are on it",
        "Guten Tag {customer_name},\n\nvielen Dank für Ihre Nachricht ({ticket_reference}). Wir kümmern uns darum "
        "und melden uns so bald wie möglich.\n\nMit freundlichen Grüßen\n{agent_name}",
        "Hello {customer_name},\n\nthank you for your message ({ticket_reference}). We are looking into it and will "
        "get back to you as soon as possible.\n\nKind regards\n{agent_name}",
    ),
    (
        "Please send a meter reading",
        "Guten Tag {customer_name},\n\ndamit wir Ihre Rechnung prüfen können, senden Sie uns bitte einen aktuellen "
        "Zählerstand, am einfachsten im Kundenportal unter „Zählerstände“ (gern mit Foto).\n\n"
        "Mit freundlichen Grüßen\n{agent_name}",
        "Hello {customer_name},\n\nso that we can check your bill, please send us a current meter reading, most "
        "easily in the customer portal under “Meter readings” (a photo helps).\n\nKind regards\n{agent_name}",
    ),
    (
        "Bank details changed",
        "Guten Tag {customer_name},\n\nwir haben Ihre neue Bankverbindung gespeichert. Die nächste Abbuchung erfolgt "
        "vom neuen Konto.\n\nMit freundlichen Grüßen\n{agent_name}",
        "Hello {customer_name},\n\nwe have saved your new bank details. The next direct debit will be taken from the "
        "new account.\n\nKind regards\n{agent_name}",
    ),
    (
        "Move confirmed",
        "Guten Tag {customer_name},\n\nwir haben Ihren Umzug erfasst. Bitte teilen Sie uns die Zählerstände am "
        "Auszugstag mit; die Schlussrechnung erhalten Sie innerhalb von sechs Wochen.\n\n"
        "Mit freundlichen Grüßen\n{agent_name}",
        "Hello {customer_name},\n\nwe have registered your move. Please send us the meter readings on the day you "
        "move out; you will receive the final bill within six weeks.\n\nKind regards\n{agent_name}",
    ),
]


def support_seed() -> None:
    """Queues, SLA rules, business hours, settings and canned replies (only what is missing)."""
    with transaction.atomic():
        SupportSettings.current()
        groups = list(Group.objects.filter(name__in=MEMBER_GROUPS))
        for position, (code, name_de, name_en, topics) in enumerate(QUEUES):
            queue, created = Queue.objects.get_or_create(
                code=code,
                defaults={"name_de": name_de, "name_en": name_en, "topics": list(topics), "position": position},
            )
            if created:
                queue.members.add(*groups)
        for kind, priority, first, resolution in SLA_RULES:
            SlaRule.objects.get_or_create(
                kind=kind,
                priority=priority,
                is_active=True,
                defaults={"first_response_business_hours": first, "resolution_business_hours": resolution},
            )
        if not BusinessHours.objects.exists():
            BusinessHours.objects.bulk_create(
                BusinessHours(weekday=weekday, opens=dt.time(8, 0), closes=dt.time(18, 0)) for weekday in range(5)
            )
        for title, body_de, body_en in CANNED_REPLIES:
            CannedReply.objects.get_or_create(title=title, defaults={"body_de": body_de, "body_en": body_en})
