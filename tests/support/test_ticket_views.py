import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from arrears.services.holds import invoice_dunning_paused
from support.models import Ticket, TicketAttachment
from support.services.tickets import ticket_note, ticket_reply, ticket_resolve
from tests.accounts.factories import customer_with_account
from tests.billing.factories import invoice_issued
from tests.support.factories import agent_make, berlin, seeded, ticket_make

pytestmark = pytest.mark.django_db
AS_OF = berlin(2026, 3, 2, 10, 0)


@pytest.fixture(autouse=True)
def _seed():
    seeded()


@pytest.fixture
def customer():
    customer, _account = customer_with_account(language="en")
    return customer


@pytest.fixture
def agent():
    return agent_make(queues=["GENERAL", "BILLING", "COMPLAINTS"])


def login(client, customer):
    client.force_login(customer.user)
    client.cookies["portal_language"] = "en"
    return client


def test_the_customer_sees_their_own_tickets_only(client, customer):
    mine = ticket_make(customer=customer, subject="My question")
    theirs = ticket_make(subject="Their question")
    login(client, customer)

    html = client.get("/service/tickets/").content.decode()

    assert mine.reference in html
    assert theirs.reference not in html


def test_another_customers_ticket_is_404(client, customer, agent):
    other = ticket_make(subject="Not yours")
    ticket_resolve(ticket=other, agent=agent, body="Done.", as_of=AS_OF)
    message = other.messages.first()
    attachment = TicketAttachment.objects.create(
        message=message, filename="x.txt", file=SimpleUploadedFile("x.txt", b"x")
    )
    login(client, customer)

    assert client.get(f"/service/tickets/{other.reference}/").status_code == 404
    assert client.post(f"/service/tickets/{other.reference}/", {"body": "Hijack"}).status_code == 404
    assert client.post(f"/service/tickets/{other.reference}/rate/", {"score": "1"}).status_code == 404
    assert client.get(f"/service/tickets/{other.reference}/files/{attachment.pk}/").status_code == 404
    assert not other.messages.filter(body="Hijack").exists()


def test_signed_out_visitors_are_sent_to_the_login(client):
    assert client.get("/service/tickets/").status_code == 302


def test_the_conversation_shows_replies_but_no_internal_notes(client, customer, agent):
    ticket = ticket_make(customer=customer)
    ticket_note(ticket=ticket, agent=agent, body="Secret remark", as_of=AS_OF)
    ticket_reply(ticket=ticket, agent=agent, body="Public answer", as_of=AS_OF)
    login(client, customer)

    html = client.get(f"/service/tickets/{ticket.reference}/").content.decode()

    assert "Public answer" in html
    assert "Secret remark" not in html


def test_the_customer_replies_with_an_attachment(client, customer, agent):
    ticket = ticket_make(customer=customer)
    ticket_reply(ticket=ticket, agent=agent, body="Please send a photo.", as_of=AS_OF)
    login(client, customer)

    response = client.post(
        f"/service/tickets/{ticket.reference}/",
        {"body": "Here it is.", "files": SimpleUploadedFile("meter.jpg", b"\xff\xd8\xff", content_type="image/jpeg")},
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    attachment = TicketAttachment.objects.get(message__ticket=ticket)
    assert attachment.filename == "meter.jpg"
    assert client.get(f"/service/tickets/{ticket.reference}/files/{attachment.pk}/").status_code == 200


def test_an_empty_reply_is_refused(client, customer):
    ticket = ticket_make(customer=customer)
    login(client, customer)

    response = client.post(f"/service/tickets/{ticket.reference}/", {"body": "  "})

    assert response.status_code == 400
    assert ticket.messages.count() == 1


def test_the_customer_rates_a_resolved_ticket(client, customer, agent):
    ticket = ticket_make(customer=customer)
    ticket_resolve(ticket=ticket, agent=agent, body="Solved.", as_of=AS_OF)
    login(client, customer)
    assert "Did our answer help you?" in client.get(f"/service/tickets/{ticket.reference}/").content.decode()

    client.post(f"/service/tickets/{ticket.reference}/rate/", {"score": "5", "comment": "Great"})

    ticket.refresh_from_db()
    assert ticket.csat_score == 5
    assert "Did our answer help you?" not in client.get(f"/service/tickets/{ticket.reference}/").content.decode()


@pytest.mark.parametrize("score", ["0", "6", "five", ""])
def test_a_rating_outside_the_scale_is_refused(client, customer, agent, score):
    ticket = ticket_make(customer=customer)
    ticket_resolve(ticket=ticket, agent=agent, body="Solved.", as_of=AS_OF)
    login(client, customer)

    response = client.post(f"/service/tickets/{ticket.reference}/rate/", {"score": score})

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.csat_score is None


def test_a_customer_disputes_a_bill_and_dunning_pauses_for_it(client, customer):
    account = customer.accounts.get()
    disputed = invoice_issued(book=False, account=account, number="RE2026-000201")
    other = invoice_issued(book=False, account=account, number="RE2026-000202")
    login(client, customer)

    response = client.post(
        "/service/tickets/new/",
        {"kind": "BILLING_DISPUTE", "disputed_invoice": str(disputed.pk), "subject": "Wrong bill", "body": "Too high."},
    )

    ticket = Ticket.objects.get()
    assert response.url == f"/service/tickets/{ticket.reference}/"
    assert ticket.disputed_invoice == disputed
    assert invoice_dunning_paused(invoice=disputed)
    assert not invoice_dunning_paused(invoice=other)


def test_a_customer_cannot_dispute_another_customers_bill(client, customer):
    _other_customer, other_account = customer_with_account()
    foreign = invoice_issued(book=False, account=other_account, number="RE2026-000301")
    login(client, customer)

    response = client.post(
        "/service/tickets/new/",
        {"kind": "BILLING_DISPUTE", "disputed_invoice": str(foreign.pk), "subject": "Wrong bill", "body": "Too high."},
    )

    assert response.status_code == 400
    assert not Ticket.objects.exists()
