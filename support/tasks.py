from celery import shared_task

from core import clock
from support.services import escalation, mail_in


@shared_task
def escalate_tickets() -> list[str]:
    """Escalate tickets past their SLA and complaints near the legal deadline (idempotent)."""
    return [ticket.reference for ticket in escalation.tickets_escalate(as_of=clock.now())]


@shared_task
def fetch_support_mail() -> dict[str, int]:
    """Take new mails to the support address (IMAP or the mail directory)."""
    report = mail_in.support_mail_fetch(as_of=clock.now())
    return {outcome.value: report.count(outcome) for outcome in mail_in.Outcome}
