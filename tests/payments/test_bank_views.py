import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payments.models import BankStatement, BankTransaction, Payment, SepaBatch, SepaCollection
from payments.services.bank_statements import bank_statement_import
from payments.services.sepa import sepa_collect
from tests.accounts.factories import UserFactory, account_with, staff_user
from tests.billing.factories import invoice_issued, invoice_open
from tests.payments.factories import DATA, credit_line, statement

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def agent_client(client):
    client.force_login(staff_user())
    client.cookies["portal_language"] = "en"
    return client


@pytest.fixture
def batch():
    account = account_with("100000041", "Lena", "Schulz", direct_debit=True, language="en")
    invoice_issued(account, number="RE2026-000106", gross=Decimal("60.00"), due_date=dt.date(2026, 4, 10))
    return sepa_collect(as_of=dt.date(2026, 4, 1)).batch


@pytest.fixture
def queued():
    """Two lines waiting: one unmatched, one naming two accounts."""
    erika = account_with("100000017", "Erika", "Mustermann")
    max_ = account_with("100000025", "Max", "Müller")
    invoice = invoice_issued(erika, number="RE2026-000101", gross=Decimal("119.00"), due_date=dt.date(2026, 4, 10))
    bank_statement_import(
        content=statement(
            credit_line(amount="119.00", name="Unknown Payer", remittance="Strom", reference="Q1"),
            credit_line(amount="20.00", name="X", remittance="100000017 100000025", reference="Q2"),
        ),
        file_name="q.xml",
    )
    return erika, max_, invoice


URLS = [
    ("bank:queue", {}),
    ("bank:statements", {}),
    ("bank:sepa_batches", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), URLS)
def test_the_bank_pages_need_a_signed_in_agent(client, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    assert client.get(url).status_code == 302
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(("name", "kwargs"), URLS)
def test_agents_see_the_bank_pages(agent_client, name, kwargs):
    assert agent_client.get(reverse(name, kwargs=kwargs)).status_code == 200


def test_the_direct_debit_files_are_listed_with_their_counts(agent_client, batch):
    response = agent_client.get(reverse("bank:sepa_batches"))

    page = response.content.decode()
    assert batch.message_id in page
    assert reverse("bank:sepa_download", args=[batch.pk]) in page


def test_downloading_a_file_gives_the_pain008_xml_and_remembers_who(agent_client, batch):
    response = agent_client.get(reverse("bank:sepa_download", args=[batch.pk]))

    assert response["Content-Disposition"] == 'attachment; filename="pain.008-2026-04-15.xml"'
    assert b"<EndToEndId>100000041-20260415</EndToEndId>" in b"".join(response.streaming_content)
    batch.refresh_from_db()
    assert batch.status == SepaBatch.Status.DOWNLOADED and batch.downloaded_by.email == "agent@example.com"


def test_a_file_cannot_be_confirmed_before_its_collection_date(agent_client, batch):
    with time_machine.travel(dt.datetime(2026, 4, 14, 12, 0, tzinfo=BERLIN), tick=False):
        response = agent_client.post(reverse("bank:sepa_confirm", args=[batch.pk]), follow=True)

    assert "a file can be confirmed from that day on" in response.content.decode()
    assert SepaCollection.objects.get().status == SepaCollection.Status.PRE_NOTIFIED


def test_marking_a_file_confirmed_books_its_collections(agent_client, batch):
    with time_machine.travel(dt.datetime(2026, 4, 16, 9, 0, tzinfo=BERLIN), tick=False):
        response = agent_client.post(reverse("bank:sepa_confirm", args=[batch.pk]), follow=True)

    assert "1 collections booked as paid." in response.content.decode()
    assert SepaCollection.objects.get().payment.status == Payment.Status.SUCCEEDED
    assert agent_client.get(reverse("bank:sepa_confirm", args=[batch.pk])).status_code == 405


def test_uploading_a_statement_imports_it_and_says_what_happened(agent_client):
    upload = SimpleUploadedFile("day.xml", (DATA / "camt053_mixed.xml").read_bytes(), content_type="text/xml")

    response = agent_client.post(reverse("bank:statements"), {"file": upload}, follow=True)

    page = response.content.decode()
    # Nobody in this database: every credit (and the unknown return) waits for an agent.
    assert "Statement imported: 0 matched, 0 ambiguous, 7 unmatched, 0 returns, 0 duplicates." in page
    assert BankStatement.objects.get().imported_by.email == "agent@example.com"


def test_the_same_statement_uploaded_twice_books_nothing_the_second_time(agent_client):
    content = (DATA / "camt053_mixed.xml").read_bytes()
    agent_client.post(reverse("bank:statements"), {"file": SimpleUploadedFile("a.xml", content)})

    response = agent_client.post(
        reverse("bank:statements"), {"file": SimpleUploadedFile("b.xml", content)}, follow=True
    )

    assert "nothing was booked again" in response.content.decode()
    assert BankStatement.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "The submitted file is empty."), (b"no xml", "The file is not XML"), (b"<a/>", "not a camt.053")],
)
def test_a_bad_upload_is_refused_with_a_message_and_saves_nothing(agent_client, content, message):
    response = agent_client.post(reverse("bank:statements"), {"file": SimpleUploadedFile("bad.xml", content)})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BankStatement.objects.exists()


def test_the_queue_lists_the_waiting_lines_in_few_queries(agent_client, queued, django_assert_max_num_queries):
    with django_assert_max_num_queries(13):
        response = agent_client.get(reverse("bank:queue"))

    page = response.content.decode()
    assert 'data-testid="queue-count">2<' in page
    assert "The reference names several accounts: 100000017, 100000025." in page
    assert 'data-testid="bank-queue-count">2<' in page


def test_an_agent_books_a_waiting_line_to_an_account_and_invoice(agent_client, queued):
    erika, _max, invoice = queued
    row = BankTransaction.objects.get(counterparty_name="Unknown Payer")

    response = agent_client.post(
        reverse("bank:line", args=[row.pk]),
        {"action": "assign", "assign-account_number": " 100000017 ", "assign-invoice_number": "re2026-000101"},
        follow=True,
    )

    assert "119.00 EUR booked to account 100000017." in response.content.decode()
    row.refresh_from_db()
    assert row.status == BankTransaction.Status.ASSIGNED
    assert invoice_open(invoice) == Decimal("0.00")


def test_an_unknown_account_or_a_foreign_invoice_is_refused_and_books_nothing(agent_client, queued):
    row = BankTransaction.objects.get(counterparty_name="Unknown Payer")
    url = reverse("bank:line", args=[row.pk])

    unknown = agent_client.post(url, {"action": "assign", "assign-account_number": "999"})
    foreign = agent_client.post(
        url,
        {"action": "assign", "assign-account_number": "100000025", "assign-invoice_number": "RE2026-000101"},
    )

    assert unknown.status_code == foreign.status_code == 400
    assert "There is no account with this number." in unknown.content.decode()
    assert "This invoice belongs to another account." in foreign.content.decode()
    assert not Payment.objects.exists()


def test_ignoring_a_line_needs_a_reason(agent_client, queued):
    row = BankTransaction.objects.get(counterparty_name="X")
    url = reverse("bank:line", args=[row.pk])

    refused = agent_client.post(url, {"action": "ignore", "ignore-reason": ""})
    agent_client.post(url, {"action": "ignore", "ignore-reason": "Paid back"})

    assert refused.status_code == 400
    row.refresh_from_db()
    assert (row.status, row.note) == (BankTransaction.Status.IGNORED, "Paid back")
    assert "This line has been dealt with." in agent_client.get(url).content.decode()
