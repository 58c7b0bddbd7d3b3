import datetime as dt

import pytest

from arrears.models import DunningHold
from arrears.services.holds import invoice_dunning_paused
from billing.models import BillingSettings
from core.models import OutboxMessage
from support.models import AssistantConversation, CannedReply, Queue, Ticket, TicketMessage
from support.queries.tickets import customer_ticket
from support.services.tickets import (
    TicketError,
    canned_reply_render,
    ticket_assign,
    ticket_customer_reply,
    ticket_merge,
    ticket_note,
    ticket_rate,
    ticket_reply,
    ticket_resolve,
    ticket_route,
    ticket_status_change,
)
from tests.accounts.factories import customer_with_account
from tests.billing.factories import invoice_issued
from tests.support.factories import agent_make, berlin, seeded, ticket_make

pytestmark = pytest.mark.django_db
AS_OF = berlin(2026, 3, 2, 9, 0)


@pytest.fixture(autouse=True)
def _seed():
    seeded()


@pytest.fixture
def agent():
    return agent_make(
        queues=["BILLING", "PAYMENTS", "METER", "MOVE", "COMPLAINTS", "GENERAL"], first_name="Anna", last_name="Agent"
    )


def test_references_count_up_per_year():
    first = ticket_make()
    second = ticket_make()
    next_year = ticket_make(as_of=berlin(2027, 1, 1, 0, 30))

    assert (first.reference, second.reference) == ("T-2026-000001", "T-2026-000002")
    assert next_year.reference == "T-2027-000001"


def test_a_ticket_lands_in_the_queue_of_its_topic_with_sla_due_times_and_a_receipt():
    customer, _account = customer_with_account(language="en")

    ticket = ticket_make(customer=customer, topic="payments", subject="Direct debit", as_of=berlin(2026, 3, 6, 16, 0))

    assert ticket.queue.code == "PAYMENTS"
    assert ticket.status == Ticket.Status.NEW
    # Default rule: 8 business hours to answer, 40 to resolve.
    assert ticket.first_response_due_at == berlin(2026, 3, 9, 14, 0)
    assert ticket.legal_deadline is None
    receipt = OutboxMessage.objects.get(template="ticket_received")
    assert receipt.subject.startswith(f"[{ticket.reference}]")
    assert receipt.to_address == customer.email


def test_kinds_without_topic_route_by_kind_and_unknown_topics_go_to_general():
    assert ticket_make(kind=Ticket.Kind.MOVE).queue.code == "MOVE"
    assert ticket_make(kind=Ticket.Kind.METER_PROBLEM).queue.code == "METER"
    assert ticket_make(topic="nonsense").queue.code == "GENERAL"
    assert ticket_make().queue.code == "GENERAL"


def test_an_energy_complaint_gets_the_legal_deadline_and_the_complaints_queue():
    ticket = ticket_make(kind=Ticket.Kind.COMPLAINT, topic="billing", as_of=berlin(2026, 3, 2, 9, 0))

    assert ticket.queue.code == "COMPLAINTS"
    assert ticket.priority == Ticket.Priority.HIGH
    assert ticket.legal_deadline == dt.date(2026, 3, 30)


def test_the_assistant_conversation_is_linked_and_shown_to_agents():
    customer, _account = customer_with_account()
    conversation = AssistantConversation.objects.create(
        customer=customer, question="Warum ist meine Rechnung so hoch?", intent="other", topic="billing"
    )

    ticket = ticket_make(customer=customer, topic="billing", conversation=conversation)

    conversation.refresh_from_db()
    assert conversation.ticket == ticket
    note = ticket.messages.get(author_kind=TicketMessage.AuthorKind.SYSTEM)
    assert "Warum ist meine Rechnung so hoch?" in note.body


@pytest.mark.parametrize(
    ("subject", "body"),
    [("", "Hello"), ("   ", "Hello"), ("Question", ""), ("Question", " \n "), ("x" * 201, "Hello")],
)
def test_blank_or_overlong_text_is_refused_and_nothing_saved(subject, body):
    customer, _account = customer_with_account()

    with pytest.raises(TicketError):
        ticket_make(customer=customer, subject=subject, body=body)

    assert not Ticket.objects.exists()


def test_another_customers_account_is_refused():
    customer, _account = customer_with_account()
    _other, other_account = customer_with_account()

    with pytest.raises(TicketError, match="account does not belong"):
        ticket_make(customer=customer, account=other_account)


def test_a_billing_dispute_pauses_dunning_for_the_disputed_invoice_only():
    customer, account = customer_with_account()
    disputed = invoice_issued(book=False, account=account, number="RE2026-000101")
    other = invoice_issued(book=False, account=account, number="RE2026-000102")

    ticket = ticket_make(
        customer=customer, kind=Ticket.Kind.BILLING_DISPUTE, disputed_invoice=disputed, account=account
    )

    assert invoice_dunning_paused(invoice=disputed)
    assert not invoice_dunning_paused(invoice=other)
    hold = DunningHold.objects.get(invoice=disputed)
    assert (hold.reason, hold.source) == (DunningHold.Reason.DISPUTE, f"ticket:{ticket.reference}")


def test_resolving_a_dispute_releases_the_hold_and_reopening_sets_it_again(agent):
    customer, account = customer_with_account()
    disputed = invoice_issued(book=False, account=account, number="RE2026-000103")
    ticket = ticket_make(customer=customer, kind=Ticket.Kind.BILLING_DISPUTE, disputed_invoice=disputed)

    ticket_resolve(ticket=ticket, agent=agent, body="We corrected the bill.", as_of=AS_OF)
    assert not invoice_dunning_paused(invoice=disputed)
    assert DunningHold.objects.get(invoice=disputed).released_at == AS_OF

    ticket_customer_reply(ticket=ticket, body="The correction is still wrong.", as_of=AS_OF + dt.timedelta(days=1))
    assert invoice_dunning_paused(invoice=disputed)

    ticket_status_change(ticket=ticket, status=Ticket.Status.CLOSED, by=agent, as_of=AS_OF + dt.timedelta(days=2))
    assert not invoice_dunning_paused(invoice=disputed)


def test_a_dispute_of_another_customers_invoice_is_refused():
    customer, _account = customer_with_account()
    _other, other_account = customer_with_account()
    foreign = invoice_issued(book=False, account=other_account, number="RE2026-000104")

    with pytest.raises(TicketError, match="does not belong"):
        ticket_make(customer=customer, kind=Ticket.Kind.BILLING_DISPUTE, disputed_invoice=foreign)

    assert not DunningHold.objects.exists()


def test_an_agent_reply_is_mailed_with_the_reference_and_counts_as_first_response(agent):
    ticket = ticket_make()

    ticket_reply(ticket=ticket, agent=agent, body="Your balance is 0.00 EUR.", as_of=AS_OF + dt.timedelta(hours=1))

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING_FOR_CUSTOMER
    assert ticket.first_response_at == AS_OF + dt.timedelta(hours=1)
    assert ticket.assignee == agent
    mail = OutboxMessage.objects.get(template="ticket_reply")
    assert f"[{ticket.reference}]" in mail.subject
    assert "Your balance is 0.00 EUR." in mail.body


def test_an_internal_note_is_never_shown_to_the_customer(agent):
    ticket = ticket_make()

    ticket_note(ticket=ticket, agent=agent, body="Customer called twice.", as_of=AS_OF)

    visible = customer_ticket(customer=ticket.customer, reference=ticket.reference).visible_messages
    assert [message.body for message in visible] == ["Hello"]
    assert not OutboxMessage.objects.filter(body__contains="Customer called twice.").exists()


def test_a_customer_reply_reopens_a_waiting_ticket(agent):
    ticket = ticket_make()
    ticket_reply(ticket=ticket, agent=agent, body="Which meter?", as_of=AS_OF)

    ticket_customer_reply(ticket=ticket, body="The one in the cellar.", as_of=AS_OF + dt.timedelta(hours=2))

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(agent):
    ticket = ticket_make()
    ticket_status_change(ticket=ticket, status=Ticket.Status.CLOSED, by=agent, as_of=AS_OF)

    message = ticket_customer_reply(ticket=ticket, body="One more thing.", as_of=AS_OF + dt.timedelta(days=3))

    assert message.ticket != ticket
    assert message.ticket.is_open
    assert message.ticket.messages.filter(body__contains=ticket.reference).exists()


def test_rejecting_a_complaint_names_the_arbitration_board_in_the_answer(agent):
    ticket = ticket_make(kind=Ticket.Kind.COMPLAINT)
    board = BillingSettings.current().arbitration_board

    ticket_resolve(ticket=ticket, agent=agent, body="We cannot refund the fee.", as_of=AS_OF, rejected=True)

    ticket.refresh_from_db()
    assert ticket.resolution == Ticket.Resolution.REJECTED
    answer = ticket.messages.filter(author_kind=TicketMessage.AuthorKind.AGENT).get()
    assert answer.body.startswith("We cannot refund the fee.")
    assert board in answer.body
    assert board in OutboxMessage.objects.get(template="ticket_resolved").body


def test_the_arbitration_board_is_named_in_the_customers_language_and_only_once(agent):
    customer, _account = customer_with_account(language="de")
    ticket = ticket_make(customer=customer, kind=Ticket.Kind.COMPLAINT)
    board = BillingSettings.current().arbitration_board

    ticket_resolve(ticket=ticket, agent=agent, body=f"Abgelehnt. Schlichtung: {board}", as_of=AS_OF, rejected=True)

    answer = ticket.messages.get(author_kind=TicketMessage.AuthorKind.AGENT)
    assert answer.body.count(board) == 1


def test_only_complaints_and_disputes_can_be_rejected(agent):
    ticket = ticket_make(kind=Ticket.Kind.INQUIRY)

    with pytest.raises(TicketError):
        ticket_resolve(ticket=ticket, agent=agent, body="No.", as_of=AS_OF, rejected=True)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_merging_moves_the_messages_and_closes_the_duplicate(agent):
    customer, _account = customer_with_account()
    original = ticket_make(customer=customer, body="First mail")
    duplicate = ticket_make(customer=customer, body="Second mail", kind=Ticket.Kind.COMPLAINT)

    ticket_merge(duplicate=duplicate, into=original, by=agent, as_of=AS_OF)

    duplicate.refresh_from_db()
    original.refresh_from_db()
    assert duplicate.status == Ticket.Status.CLOSED
    assert duplicate.merged_into == original
    assert duplicate.resolution == Ticket.Resolution.DUPLICATE
    bodies = set(original.messages.filter(author_kind="CUSTOMER").values_list("body", flat=True))
    assert bodies == {"First mail", "Second mail"}
    # The complaint's legal deadline travels with it.
    assert original.legal_deadline == duplicate.legal_deadline


def test_tickets_of_different_customers_cannot_be_merged(agent):
    with pytest.raises(TicketError, match="different customers"):
        ticket_merge(duplicate=ticket_make(), into=ticket_make(), by=agent, as_of=AS_OF)


def test_a_ticket_cannot_be_merged_into_itself(agent):
    ticket = ticket_make()

    with pytest.raises(TicketError):
        ticket_merge(duplicate=ticket, into=ticket, by=agent, as_of=AS_OF)


def test_the_customer_rates_a_resolved_ticket_once(agent):
    ticket = ticket_make()
    with pytest.raises(TicketError, match="once the ticket is resolved"):
        ticket_rate(ticket=ticket, score=5, as_of=AS_OF)
    ticket_resolve(ticket=ticket, agent=agent, body="Done.", as_of=AS_OF)

    ticket_rate(ticket=ticket, score=4, comment="Quick", as_of=AS_OF)

    ticket.refresh_from_db()
    assert (ticket.csat_score, ticket.csat_comment) == (4, "Quick")
    with pytest.raises(TicketError, match="already rated"):
        ticket_rate(ticket=ticket, score=1, as_of=AS_OF)


@pytest.mark.parametrize("score", [0, 6, -1, "5", None])
def test_ratings_outside_one_to_five_are_refused(agent, score):
    ticket = ticket_make()
    ticket_resolve(ticket=ticket, agent=agent, body="Done.", as_of=AS_OF)

    with pytest.raises(TicketError):
        ticket_rate(ticket=ticket, score=score, as_of=AS_OF)


def test_canned_replies_fill_in_the_placeholders_in_the_customers_language(agent):
    customer, _account = customer_with_account(language="en", first_name="Jonas", last_name="Weber")
    ticket = ticket_make(customer=customer)
    reply = CannedReply.objects.create(
        title="Test",
        body_de="Hallo {customer_name}",
        body_en="Hello {customer_name}, {ticket_reference}. {agent_name} {unknown}",
    )

    text = canned_reply_render(reply=reply, ticket=ticket, agent=agent)

    assert text == f"Hello Jonas Weber, {ticket.reference}. Anna Agent {{unknown}}"


def test_an_agent_outside_the_queue_cannot_be_assigned(agent):
    ticket = ticket_make(topic="billing")
    outsider = agent_make(queues=["MOVE"])

    with pytest.raises(TicketError, match="does not work the queue"):
        ticket_assign(ticket=ticket, assignee=outsider, by=agent, as_of=AS_OF)

    ticket_assign(ticket=ticket, assignee=agent, by=agent, as_of=AS_OF)
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (agent, Ticket.Status.OPEN)


def test_a_closed_ticket_stays_closed(agent):
    ticket = ticket_make()
    ticket_status_change(ticket=ticket, status=Ticket.Status.CLOSED, by=agent, as_of=AS_OF)

    with pytest.raises(TicketError):
        ticket_status_change(ticket=ticket, status=Ticket.Status.OPEN, by=agent, as_of=AS_OF)


def test_moving_a_ticket_to_another_queue_and_priority_recomputes_the_sla(agent):
    general_only = agent_make(queues=["GENERAL"])
    ticket = ticket_make(as_of=berlin(2026, 3, 2, 9, 0))
    ticket_assign(ticket=ticket, assignee=general_only, by=agent, as_of=AS_OF)

    ticket_route(ticket=ticket, queue=Queue.objects.get(code="BILLING"), priority="URGENT", by=agent, as_of=AS_OF)

    ticket.refresh_from_db()
    assert (ticket.queue.code, ticket.priority, ticket.assignee) == ("BILLING", "URGENT", None)
    # The seeded rule for urgent tickets: 2 business hours to answer, 8 to resolve.
    assert ticket.first_response_due_at == berlin(2026, 3, 2, 11, 0)
    assert ticket.sla_due_at == berlin(2026, 3, 2, 17, 0)
