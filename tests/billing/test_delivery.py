"""Delivery of bills and credit notes on the customer's channel, exactly once,
always in the outbox; paper bills go into one print batch."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from pypdf import PdfReader

from accounts.models import BillingPreferences
from billing.models import Invoice, PrintBatch
from billing.services.delivery import invoice_deliver
from billing.services.invoicing import bill_account
from billing.services.print_batches import print_batch_make
from billing.tasks import deliver_invoice
from core.models import Channel, OutboxMessage
from meters.models import Read
from tests.billing.factories import credit_note_make, invoice_make
from tests.meters.factories import at, register_of
from tests.supply.factories import pdf_text, supplied

pytestmark = pytest.mark.django_db

Delivery = BillingPreferences.DeliveryChannel


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_an_emailed_bill_goes_out_once_with_its_pdf(django_capture_on_commit_callbacks):
    invoice = invoice_make(channel=Delivery.EMAIL)

    with django_capture_on_commit_callbacks(execute=True):
        deliver_invoice.delay(invoice.pk)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_invoice.delay(invoice.pk)

    message = OutboxMessage.objects.get()
    assert (message.channel, message.template, message.language) == (Channel.EMAIL, "invoice_issued", "en")
    assert message.to_address == invoice.account.customer.email
    assert "RE2027-000001" in message.subject
    assert "€1,249.80" in message.body and "Jan. 19, 2027" in message.body
    assert [a.filename for a in message.attachments.all()] == ["RE2027-000001.pdf"]
    assert message.status == OutboxMessage.Status.SENT
    (email,) = mail.outbox
    ((filename, content, content_type),) = email.attachments
    assert (filename, content_type) == ("RE2027-000001.pdf", "application/pdf")
    assert "RE2027-000001" in pdf_text(content)
    invoice.refresh_from_db()
    assert invoice.delivered_at is not None and invoice.pdf


def test_a_second_delivery_sends_nothing():
    invoice = invoice_make()

    first = invoice_deliver(invoice_id=invoice.pk)
    second = invoice_deliver(invoice_id=invoice.pk)

    assert first is not None and second is None
    assert OutboxMessage.objects.count() == 1


def test_a_portal_bill_gets_a_notice_with_a_link_and_no_attachment():
    invoice = invoice_make(channel=Delivery.PORTAL)

    message = invoice_deliver(invoice_id=invoice.pk)

    assert message.channel == Channel.EMAIL
    assert f"/bills/{invoice.pk}/" in message.body
    assert "customer portal" in message.body
    assert not message.attachments.exists()
    invoice.refresh_from_db()
    assert invoice.pdf  # stored, so the portal serves the same document


def test_a_paper_bill_is_a_letter_with_the_pdf_for_the_print_batch():
    invoice = invoice_make(channel=Delivery.LETTER)

    message = invoice_deliver(invoice_id=invoice.pk)

    assert message.channel == Channel.LETTER
    assert message.to_address == "Erika Mustermann\nHeidestraße 17\n51147 Köln"
    assert "enclosed" in message.body
    assert [a.filename for a in message.attachments.all()] == ["RE2027-000001.pdf"]


def test_a_customer_without_an_email_address_gets_a_letter():
    invoice = invoice_make(channel=Delivery.EMAIL)
    customer = invoice.account.customer
    customer.email = ""
    customer.save(update_fields=["email"])

    message = invoice_deliver(invoice_id=invoice.pk)

    assert message.channel == Channel.LETTER


def test_a_held_bill_is_not_delivered():
    invoice = invoice_make()
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.HELD, number=None, issue_date=None)

    assert invoice_deliver(invoice_id=invoice.pk) is None

    assert not OutboxMessage.objects.exists()


def test_a_credit_note_is_announced_with_the_bill_it_cancels():
    note = credit_note_make(invoice_make(language="de"), reason="Zählerstand korrigiert")

    message = invoice_deliver(invoice_id=note.pk)

    assert message.template == "credit_note_issued"
    assert message.language == "de"
    assert "GS2027-000001" in message.subject and "RE2027-000001" in message.subject
    assert "Zählerstand korrigiert" in message.body
    assert "1.249,80 €" in message.body
    assert [a.filename for a in message.attachments.all()] == ["GS2027-000001.pdf"]


def test_the_print_batch_holds_each_letter_once_with_its_bill():
    with time_machine.travel(dt.datetime(2027, 1, 5, 9, 0, tzinfo=dt.UTC), tick=False):
        first = invoice_make(channel=Delivery.LETTER, number="RE2027-000001")
        second = invoice_make(channel=Delivery.LETTER, number="RE2027-000002")
        emailed = invoice_make(channel=Delivery.EMAIL, number="RE2027-000003")
        for invoice in (first, second, emailed):
            invoice_deliver(invoice_id=invoice.pk)

    batch = print_batch_make(batch_date=dt.date(2027, 1, 5))
    again = print_batch_make(batch_date=dt.date(2027, 1, 5))

    assert again.pk == batch.pk
    assert PrintBatch.objects.count() == 1
    assert batch.letter_count == 2
    with batch.file.open("rb") as handle:
        content = handle.read()
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == batch.page_count
    text = pdf_text(content)
    assert text.count("Invoice RE2027-000001") == 1
    assert text.count("Invoice RE2027-000002") == 1
    assert "RE2027-000003" not in text
    assert "Erika Mustermann Heidestraße 17 51147 Köln" in text  # the address on the cover page
    assert [letter.first_page for letter in batch.letters.order_by("position")][0] == 1


def test_the_next_batch_takes_only_the_letters_queued_since():
    with time_machine.travel(dt.datetime(2027, 1, 5, 9, 0, tzinfo=dt.UTC), tick=False):
        invoice_deliver(invoice_id=invoice_make(channel=Delivery.LETTER, number="RE2027-000001").pk)
    print_batch_make(batch_date=dt.date(2027, 1, 5))
    with time_machine.travel(dt.datetime(2027, 1, 6, 9, 0, tzinfo=dt.UTC), tick=False):
        invoice_deliver(invoice_id=invoice_make(channel=Delivery.LETTER, number="RE2027-000002").pk)

    batch = print_batch_make(batch_date=dt.date(2027, 1, 6))

    assert batch.letter_count == 1
    assert batch.letters.get().message.attachments.get().filename == "RE2027-000002.pdf"
    assert print_batch_make(batch_date=dt.date(2027, 1, 7)) is None


def test_the_print_batch_command_reports_the_batch(capsys):
    with time_machine.travel(dt.datetime(2027, 1, 5, 9, 0, tzinfo=dt.UTC), tick=False):
        invoice_deliver(invoice_id=invoice_make(channel=Delivery.LETTER).pk)

    call_command("print_batch", "--date", "2027-01-05")
    call_command("print_batch", "--date", "2027-01-08")

    out = capsys.readouterr().out
    assert "Print batch 2027-01-05: 1 letters" in out
    assert "No letters to print up to 2027-01-08." in out


def test_the_print_batch_command_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("print_batch", "--date", "5.1.2027")


def test_a_bill_issued_by_the_bill_run_is_delivered_after_commit(settings, django_capture_on_commit_callbacks):
    settings.BILLING_DELIVER_ON_ISSUE = True
    agreement = supplied(start_date=dt.date(2026, 1, 1), start_read="1000")
    BillingPreferences.objects.update_or_create(
        account=agreement.account, defaults={"frequency": "ANNUAL", "budget_billing": False}
    )
    Read.objects.create(
        register=register_of(agreement), taken_at=at(2027, 1, 1), value=Decimal("4650"), source="CUSTOMER"
    )

    with django_capture_on_commit_callbacks(execute=True):
        outcome = bill_account(account=agreement.account, as_of=dt.date(2027, 1, 5))

    invoice = Invoice.objects.get(pk=outcome.invoice_id)
    message = OutboxMessage.objects.get(template="invoice_issued")
    assert invoice.delivered_at is not None
    assert [a.filename for a in message.attachments.all()] == [f"{invoice.number}.pdf"]
