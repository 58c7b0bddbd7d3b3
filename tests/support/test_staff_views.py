import pytest
from django.utils import translation

from billing.models import BillingSettings
from core.models import OutboxMessage
from support.models import CannedReply, Ticket, TicketMessage
from support.services.tickets import ticket_resolve
from tests.accounts.factories import UserFactory, customer_with_account, with_two_factor
from tests.billing.factories import invoice_issued
from tests.support.factories import agent_make, berlin, seeded, supervisor_make, ticket_make

pytestmark = pytest.mark.django_db
ALL_QUEUES = ["BILLING", "PAYMENTS", "METER", "MOVE", "COMPLAINTS", "GENERAL"]


@pytest.fixture(autouse=True)
def _seed():
    seeded()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def agent():
    return agent_make(queues=ALL_QUEUES, email="agent.one@example.com")


def login(client, user):
    client.force_login(user)
    client.cookies["portal_language"] = "en"
    return client


def test_an_agent_sees_only_the_queues_of_their_groups(client):
    general_only = agent_make(queues=["GENERAL"])
    general = ticket_make(subject="Opening hours?")
    billing = ticket_make(topic="billing", subject="Bill too high")
    login(client, general_only)

    page = client.get("/staff/tickets/").content.decode()

    assert general.reference in page
    assert billing.reference not in page
    assert 'data-testid="queue-BILLING"' not in page
    assert client.get(f"/staff/tickets/{billing.reference}/").status_code == 404
    assert client.post(f"/staff/tickets/{billing.reference}/reply/", {"body": "Hi"}).status_code == 404
    assert client.get(f"/staff/tickets/{general.reference}/").status_code == 200


def test_a_supervisor_sees_every_queue(client):
    supervisor = supervisor_make()
    billing = ticket_make(topic="billing")
    login(client, supervisor)

    assert billing.reference in client.get("/staff/tickets/").content.decode()


def test_staff_without_the_ticket_permission_get_403_and_strangers_the_login(client):
    clerk = with_two_factor(UserFactory(is_staff=True))
    assert client.get("/staff/tickets/").status_code == 302
    login(client, clerk)

    assert client.get("/staff/tickets/").status_code == 403


def test_the_queue_list_needs_few_queries_however_many_tickets(client, agent, django_assert_max_num_queries):
    for number in range(15):
        customer, _account = customer_with_account()
        ticket_make(customer=customer, topic=["billing", "payments", "meter"][number % 3])
    login(client, agent)

    with django_assert_max_num_queries(16):
        response = client.get("/staff/tickets/?sort=priority")

    assert response.content.decode().count('data-testid="row-T-2026-') == 15


def test_the_queue_list_filters_and_refreshes_its_table_with_htmx(client, agent):
    mine = ticket_make(topic="billing", subject="Mine")
    ticket_make(topic="billing", subject="Someone else's")
    login(client, agent)
    client.post(f"/staff/tickets/{mine.reference}/assign/", {"assignee": "me"})

    response = client.get("/staff/tickets/?assignee=me&queue=BILLING", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "<html" not in html
    assert 'hx-trigger="every 15s"' in html
    assert mine.reference in html
    assert "Someone else" not in html


def test_the_ticket_page_shows_the_customer_360_panel(client, agent, django_assert_max_num_queries):
    customer, account = customer_with_account(first_name="Erika", last_name="Muster")
    invoice_issued(book=False, account=account, number="RE2026-000777")
    ticket = ticket_make(customer=customer)
    login(client, agent)

    with django_assert_max_num_queries(40):
        html = client.get(f"/staff/tickets/{ticket.reference}/").content.decode()

    assert "Erika Muster" in html
    assert "RE2026-000777" in html
    assert account.number in html
    assert 'data-testid="panel-balance">0.00 EUR' in html


def test_an_agent_replies_and_the_customer_gets_the_mail(client, agent):
    ticket = ticket_make()
    login(client, agent)

    response = client.post(f"/staff/tickets/{ticket.reference}/reply/", {"body": "Here is your answer."})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING_FOR_CUSTOMER
    assert OutboxMessage.objects.get(template="ticket_reply").subject.startswith(f"[{ticket.reference}]")


def test_an_empty_reply_is_refused_with_a_message(client, agent):
    ticket = ticket_make()
    login(client, agent)

    response = client.post(f"/staff/tickets/{ticket.reference}/reply/", {"body": "   "})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not TicketMessage.objects.filter(author_kind="AGENT").exists()


def test_an_agent_who_may_only_look_cannot_reply(client):
    viewer = agent_make(queues=["GENERAL"], permissions=["view_ticket"])
    ticket = ticket_make()
    login(client, viewer)

    assert client.get(f"/staff/tickets/{ticket.reference}/").status_code == 200
    assert client.post(f"/staff/tickets/{ticket.reference}/reply/", {"body": "Hi"}).status_code == 403


def test_internal_notes_and_canned_replies(client, agent):
    customer, _account = customer_with_account(language="en", first_name="Jonas", last_name="Weber")
    ticket = ticket_make(customer=customer)
    canned = CannedReply.objects.get(title="Thanks, we are on it")
    login(client, agent)

    client.post(f"/staff/tickets/{ticket.reference}/note/", {"body": "Checked the meter."})
    full = client.get(f"/staff/tickets/{ticket.reference}/canned/", {"canned": canned.pk}).content.decode()
    partial = client.get(
        f"/staff/tickets/{ticket.reference}/canned/", {"canned": canned.pk}, HTTP_HX_REQUEST="true"
    ).content.decode()

    assert ticket.messages.filter(author_kind="INTERNAL_NOTE", body="Checked the meter.").exists()
    assert "Hello Jonas Weber" in full and ticket.reference in full
    assert partial.startswith('<div id="reply-body">')
    assert "Hello Jonas Weber" in partial


def test_rejecting_a_complaint_in_the_back_office_adds_the_arbitration_board(client, agent):
    ticket = ticket_make(kind=Ticket.Kind.COMPLAINT)
    login(client, agent)

    client.post(f"/staff/tickets/{ticket.reference}/resolve/", {"body": "We reject it.", "rejected": "on"})

    answer = ticket.messages.get(author_kind="AGENT")
    assert BillingSettings.current().arbitration_board in answer.body


def test_assigning_to_another_agent_of_the_queue_and_not_to_outsiders(client, agent):
    colleague = agent_make(queues=["GENERAL"], email="colleague@example.com")
    outsider = agent_make(queues=["MOVE"], email="outsider@example.com")
    ticket = ticket_make()
    login(client, agent)

    page = client.get(f"/staff/tickets/{ticket.reference}/").content.decode()
    client.post(f"/staff/tickets/{ticket.reference}/assign/", {"assignee": str(outsider.pk)})
    ticket.refresh_from_db()
    assert ticket.assignee is None
    client.post(f"/staff/tickets/{ticket.reference}/assign/", {"assignee": str(colleague.pk)})
    ticket.refresh_from_db()

    assert "colleague@example.com" in page and "outsider@example.com" not in page
    assert ticket.assignee == colleague


def test_merging_duplicates_in_the_back_office(client, agent):
    customer, _account = customer_with_account()
    original = ticket_make(customer=customer)
    duplicate = ticket_make(customer=customer, body="Same again")
    login(client, agent)

    response = client.post(f"/staff/tickets/{duplicate.reference}/merge/", {"into": original.reference.lower()})

    assert response.status_code == 302
    assert response.url == f"/staff/tickets/{original.reference}/"
    assert original.messages.filter(body="Same again").exists()


def test_merging_into_an_unknown_ticket_is_refused(client, agent):
    ticket = ticket_make()
    login(client, agent)

    response = client.post(f"/staff/tickets/{ticket.reference}/merge/", {"into": "T-2026-999999"})

    assert response.status_code == 400
    assert "There is no such ticket in your queues." in response.content.decode()


def test_an_agent_records_a_phone_call_as_a_ticket(client, agent):
    customer, _account = customer_with_account()
    login(client, agent)

    response = client.post(
        f"/staff/tickets/phone/{customer.pk}/", {"kind": "MOVE", "subject": "Moving in May", "body": "Moves on 1 May."}
    )

    ticket = Ticket.objects.get()
    assert response.url == f"/staff/tickets/{ticket.reference}/"
    assert (ticket.channel, ticket.queue.code, ticket.customer) == (Ticket.Channel.PHONE, "MOVE", customer)
    assert ticket.messages.get().author == agent


def test_the_reports_page_and_its_csv_export(client):
    supervisor = supervisor_make()
    agent = agent_make(queues=["GENERAL"])
    ticket = ticket_make(as_of=berlin(2026, 3, 2, 9, 0))
    ticket_resolve(ticket=ticket, agent=agent, body="Done.", as_of=berlin(2026, 3, 2, 11, 0))
    Ticket.objects.filter(pk=ticket.pk).update(csat_score=5)
    ticket_make(kind=Ticket.Kind.COMPLAINT, as_of=berlin(2026, 3, 3, 9, 0), channel=Ticket.Channel.EMAIL)
    login(client, supervisor)

    page = client.get("/staff/tickets/reports/", {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    export = client.get("/staff/tickets/reports.csv", {"date_from": "2026-03-01", "date_to": "2026-03-31"})

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="sla-compliance">100.0 %' in html
    assert 'data-testid="csat">5.00/5' in html
    lines = export.content.decode().splitlines()
    assert lines[0] == "metric,dimension,value"
    assert "tickets_created,,2" in lines
    assert "first_response_median_hours,,2.0" in lines
    assert "volume,complaint/EMAIL,1" in lines
    assert "sla_compliance_percent,,100.0" in lines


def test_agents_without_the_report_permission_do_not_see_reports(client, agent):
    login(client, agent)

    assert client.get("/staff/tickets/reports/").status_code == 403
    assert client.get("/staff/tickets/reports.csv").status_code == 403
