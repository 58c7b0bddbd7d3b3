import datetime as dt

import pytest

from core.models import OutboxMessage
from support.models import SlaRule, Ticket
from support.services.escalation import tickets_escalate
from support.services.tickets import ticket_reply, ticket_resolve
from support.tasks import escalate_tickets
from tests.support.factories import agent_make, berlin, seeded, supervisor_make, ticket_make

pytestmark = pytest.mark.django_db
RECEIVED = berlin(2026, 3, 2, 9, 0)  # a Monday; default rule: 8 business hours to answer, 40 to resolve


@pytest.fixture(autouse=True)
def _seed():
    seeded()


@pytest.fixture
def agent():
    return agent_make(queues=["GENERAL", "COMPLAINTS"])


def test_an_unanswered_ticket_escalates_when_the_first_response_is_due():
    supervisor = supervisor_make(email="boss@example.com")
    ticket = ticket_make(as_of=RECEIVED)
    assert ticket.first_response_due_at == berlin(2026, 3, 2, 17, 0)

    assert tickets_escalate(as_of=berlin(2026, 3, 2, 16, 59)) == []
    escalated = tickets_escalate(as_of=berlin(2026, 3, 2, 17, 0))

    assert escalated == [ticket]
    ticket.refresh_from_db()
    assert ticket.escalated_at == berlin(2026, 3, 2, 17, 0)
    assert "first response" in ticket.escalation_reason
    assert ticket.priority == Ticket.Priority.HIGH
    notice = OutboxMessage.objects.get(template="ticket_escalation")
    assert notice.to_address == supervisor.email
    assert ticket.reference in notice.body


def test_escalation_happens_once():
    supervisor_make(email="boss@example.com")
    ticket_make(as_of=RECEIVED)
    tickets_escalate(as_of=berlin(2026, 3, 3, 9, 0))

    assert tickets_escalate(as_of=berlin(2026, 3, 3, 10, 0)) == []
    assert OutboxMessage.objects.filter(template="ticket_escalation").count() == 1


def test_an_answered_ticket_escalates_only_when_the_resolution_is_due(agent):
    ticket = ticket_make(as_of=RECEIVED)
    ticket_reply(ticket=ticket, agent=agent, body="We are on it.", as_of=RECEIVED + dt.timedelta(hours=1))
    # 40 business hours from Monday 09:00 is Friday 09:00.
    assert tickets_escalate(as_of=berlin(2026, 3, 6, 8, 59)) == []

    escalated = tickets_escalate(as_of=berlin(2026, 3, 6, 9, 0))

    assert [t.reference for t in escalated] == [ticket.reference]
    assert "resolution" in Ticket.objects.get(pk=ticket.pk).escalation_reason


def test_resolved_tickets_do_not_escalate(agent):
    ticket = ticket_make(as_of=RECEIVED)
    ticket_resolve(ticket=ticket, agent=agent, body="Done.", as_of=RECEIVED + dt.timedelta(hours=1))

    assert tickets_escalate(as_of=berlin(2026, 4, 30, 9, 0)) == []


def test_a_complaint_escalates_three_days_before_the_legal_deadline(agent):
    SlaRule.objects.filter(kind="COMPLAINT").update(first_response_business_hours=400, resolution_business_hours=400)
    complaint = ticket_make(kind=Ticket.Kind.COMPLAINT, as_of=RECEIVED)
    assert complaint.legal_deadline == dt.date(2026, 3, 30)

    assert tickets_escalate(as_of=berlin(2026, 3, 26, 23, 59)) == []
    escalated = tickets_escalate(as_of=berlin(2026, 3, 27, 0, 0))

    assert escalated == [complaint]
    assert "complaint deadline 30.03.2026" in Ticket.objects.get(pk=complaint.pk).escalation_reason


def test_the_periodic_task_escalates_and_shows_up_in_the_supervisors_list(client):
    supervisor = supervisor_make(email="boss@example.com")
    ticket = ticket_make(as_of=berlin(2026, 1, 5, 9, 0))

    references = escalate_tickets.delay().get()

    assert references == [ticket.reference]
    client.force_login(supervisor)
    page = client.get("/staff/tickets/escalations/")
    assert ticket.reference in page.content.decode()


def test_agents_without_the_permission_do_not_see_the_escalations(client, agent):
    client.force_login(agent)

    assert client.get("/staff/tickets/escalations/").status_code == 403
