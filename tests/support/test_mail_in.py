import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from core.models import OutboxMessage
from support.models import Ticket, TicketAttachment, TicketMessage
from support.services.mail_in import Outcome, html_to_text, mail_receive, strip_quoted
from tests.accounts.factories import customer_with_account
from tests.support.factories import berlin, seeded

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
AS_OF = berlin(2026, 3, 2, 9, 30)


@pytest.fixture(autouse=True)
def _seed():
    seeded()


@pytest.fixture
def customer():
    customer, _account = customer_with_account(email="max.kunde@example.com", language="de")
    return customer


def receive(name: str, *, as_of=AS_OF):
    return mail_receive(raw=(DATA / name).read_bytes(), as_of=as_of)


def test_a_new_mail_opens_a_ticket_for_the_customer_with_that_address(customer):
    result = receive("new_from_customer.eml")

    assert result.outcome == Outcome.NEW_TICKET
    ticket = result.ticket
    assert (ticket.customer, ticket.channel, ticket.subject) == (
        customer,
        Ticket.Channel.EMAIL,
        "Frage zur Abschlagszahlung",
    )
    assert ticket.account == customer.accounts.get()
    message = ticket.messages.get()
    assert "Abschlag auf 80 Euro senken" in message.body
    assert message.email_message_id == "<new-1@mail.example.com>"
    assert OutboxMessage.objects.get(template="ticket_received").to_address == "max.kunde@example.com"


def test_the_same_mail_twice_is_taken_once(customer):
    first = receive("new_from_customer.eml")
    second = receive("new_from_customer.eml")

    assert second.outcome == Outcome.DUPLICATE
    assert second.ticket == first.ticket
    assert Ticket.objects.count() == 1
    assert TicketMessage.objects.filter(author_kind="CUSTOMER").count() == 1


def test_an_html_only_mail_becomes_readable_text(customer):
    body = receive("html_only.eml").ticket.messages.get().body

    assert body == "Hallo,\n\nmein Zählerstand ist 14.900 kWh.\nZähler 1EMH0012345678\n\nGrüße & Dank"
    assert "alert" not in body
    assert "color" not in body


def test_attachments_are_kept(customer):
    ticket = receive("with_attachments.eml").ticket

    files = {attachment.filename: attachment for attachment in TicketAttachment.objects.filter(message__ticket=ticket)}
    assert set(files) == {"zaehler.png", "Rechnung März.pdf"}
    # The question classifier routes the mail: a meter photo goes to the meter queue.
    assert (ticket.topic, ticket.queue.code) == ("meter", "METER")
    assert files["zaehler.png"].content_type == "image/png"
    assert files["Rechnung März.pdf"].file.read().startswith(b"%PDF")


def test_an_unknown_sender_gets_a_ticket_without_customer():
    result = receive("unknown_sender.eml")

    ticket = result.ticket
    assert ticket.customer is None
    assert ticket.sender_email == "stranger@example.org"
    assert OutboxMessage.objects.get(template="ticket_received").to_address == "stranger@example.org"


def test_a_reply_with_the_reference_in_the_subject_threads_into_the_ticket(customer):
    ticket = receive("new_from_customer.eml").ticket
    assert ticket.reference == "T-2026-000001"

    result = receive("reply_with_reference.eml", as_of=berlin(2026, 3, 3, 8, 31))

    assert (result.outcome, result.ticket) == (Outcome.REPLY, ticket)
    reply = ticket.messages.order_by("-created_at", "-id").first()
    # The quoted earlier mail is cut off.
    assert reply.body == "Danke, dann bitte 80 Euro ab April."
    assert Ticket.objects.count() == 1


def test_a_reply_threads_by_its_in_reply_to_header(customer):
    ticket = receive("new_from_customer.eml").ticket

    result = receive("reply_by_header.eml")

    assert (result.outcome, result.ticket) == (Outcome.REPLY, ticket)
    assert ticket.messages.filter(author_kind="CUSTOMER").count() == 2


def test_a_reply_from_another_address_does_not_enter_the_customers_ticket(customer):
    ticket = receive("new_from_customer.eml").ticket

    result = receive("reply_from_other_sender.eml")

    assert result.outcome == Outcome.NEW_TICKET
    assert result.ticket != ticket
    assert result.ticket.customer is None
    assert not ticket.messages.filter(body__contains="instead").exists()


def test_a_complaint_by_mail_gets_the_legal_deadline(customer):
    ticket = receive("complaint.eml").ticket

    assert ticket.kind == Ticket.Kind.COMPLAINT
    assert ticket.legal_deadline is not None
    assert ticket.queue.code == "COMPLAINTS"


def test_the_command_reads_a_directory_and_moves_the_files_aside(customer, tmp_path, capsys):
    for name in ("new_from_customer.eml", "reply_by_header.eml", "unknown_sender.eml"):
        shutil.copy(DATA / name, tmp_path / name)
    (tmp_path / "z_again.eml").write_bytes((DATA / "new_from_customer.eml").read_bytes())

    call_command("fetch_support_mail", "--dir", str(tmp_path))

    output = capsys.readouterr().out
    assert "4 mails: 2 new tickets, 1 replies, 1 already taken, 0 failed." in output
    assert not list(tmp_path.glob("*.eml"))
    assert len(list((tmp_path / "processed").glob("*.eml"))) == 4


def test_the_command_refuses_a_missing_directory(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("fetch_support_mail", "--dir", str(tmp_path / "missing"))


def test_html_to_text_keeps_paragraphs_and_drops_markup():
    assert html_to_text("<p>One</p><p>Two<br>Three</p><script>x()</script>") == "One\n\nTwo\nThree"


def test_strip_quoted_keeps_a_reply_made_only_of_quotes():
    assert strip_quoted("> only a quote") == "> only a quote"
    assert strip_quoted("New text\n\nOn Mon, 2 Mar 2026 Anna wrote:\n> old\n> older") == "New text"


class FakeImap:
    """Stands in for imaplib.IMAP4_SSL: two unread mails; records what is marked read."""

    def __init__(self, host, port):
        self.mails = {
            b"1": (DATA / "new_from_customer.eml").read_bytes(),
            b"2": (DATA / "unknown_sender.eml").read_bytes(),
        }
        self.seen: list[bytes] = []
        FakeImap.last = self

    def login(self, user, password):
        self.user = user

    def select(self, folder):
        self.folder = folder

    def uid(self, command, *args):
        if command == "search":
            return "OK", [b"1 2"]
        if command == "fetch":
            return "OK", [(b"1 (BODY[] {100}", self.mails[args[0]]), b")"]
        if command == "store":
            self.seen.append(args[0])
            return "OK", []
        raise AssertionError(command)

    def logout(self):
        return "BYE", []


def test_the_imap_mailbox_is_read_and_each_taken_mail_marked_read(customer, settings, monkeypatch, capsys):
    settings.SUPPORT_IMAP_HOST = "imap.example.com"
    settings.SUPPORT_IMAP_USER = "service"
    monkeypatch.setattr("support.services.mail_in.imaplib.IMAP4_SSL", FakeImap)

    call_command("fetch_support_mail")

    assert "2 mails: 2 new tickets" in capsys.readouterr().out
    assert FakeImap.last.seen == [b"1", b"2"]
    assert (FakeImap.last.user, FakeImap.last.folder) == ("service", "INBOX")
    assert set(Ticket.objects.values_list("sender_email", flat=True)) == {
        "max.kunde@example.com",
        "stranger@example.org",
    }
