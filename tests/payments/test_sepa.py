import datetime as dt
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from lxml import etree

from accounts.models import SepaMandate
from arrears.models import DunningHold
from arrears.services.holds import hold_put
from billing.models import LedgerEntry
from billing.services.ledger import account_balance, ledger_book
from core.models import OutboxMessage
from payments.files.pain008 import SepaFileError, next_banking_day
from payments.models import Payment, SepaBatch, SepaCollection
from payments.services.payments import payment_record_manual
from payments.services.sepa import collection_date_for, sepa_batch_confirm, sepa_collect
from payments.tasks import sepa_collect_due
from tests.accounts.factories import UserFactory, account_with
from tests.billing.factories import instalment, invoice_issued, invoice_open
from tests.payments.factories import DATA

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 4, 1)
COLLECTION = dt.date(2026, 4, 15)
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def lena():
    account = account_with("100000041", "Lena", "Schulz", direct_debit=True, language="en")
    invoice = invoice_issued(account, number="RE2026-000106", gross=Decimal("60.00"), due_date=dt.date(2026, 4, 10))
    return account, invoice


def prenotifications(account):
    return OutboxMessage.objects.filter(template="sepa_prenotification", to_address=account.customer.email)


def test_a_run_collects_the_due_invoices_and_instalments_of_accounts_with_an_active_mandate(lena):
    account, invoice = lena
    instalment(account, amount=Decimal("45.00"), due_date=COLLECTION)
    invoice_issued(account, number="RE2026-000107", gross=Decimal("30.00"), due_date=COLLECTION + dt.timedelta(days=1))
    transfer = account_with("100000058", "Tom", "Kraus")
    invoice_issued(transfer, number="RE2026-000108", gross=Decimal("20.00"), due_date=dt.date(2026, 4, 2))
    revoked = account_with("100000066", "Ute", "Lang", direct_debit=True)
    SepaMandate.objects.filter(account=revoked).update(status=SepaMandate.Status.REVOKED)
    invoice_issued(revoked, number="RE2026-000109", gross=Decimal("25.00"), due_date=dt.date(2026, 4, 2))

    run = sepa_collect(as_of=AS_OF)

    assert run.created and run.collection_date == COLLECTION
    collection = SepaCollection.objects.get()
    assert (collection.account, collection.amount, collection.sequence_type) == (account, Decimal("105.00"), "FRST")
    assert collection.status == SepaCollection.Status.PRE_NOTIFIED
    assert collection.end_to_end_id == "100000041-20260415"
    assert collection.payment.status == Payment.Status.PENDING
    assert collection.payment.ledger_entry is None
    assert {entry.kind for entry in collection.ledger_entries.all()} == {"INVOICE", "INSTALMENT"}
    assert (run.batch.count, run.batch.total) == (1, Decimal("105.00"))
    # Pending: nothing on the ledger yet.
    assert account_balance(account=account) == Decimal("135.00")
    assert invoice_open(invoice) == Decimal("60.00")


def test_the_pain008_file_is_valid_against_the_iso_schema_and_names_mandate_and_creditor(lena):
    account, _invoice = lena

    batch = sepa_collect(as_of=AS_OF).batch

    content = batch.file.open("rb").read()
    schema = etree.XMLSchema(etree.parse(str(DATA / "pain.008.001.02.xsd")))
    document = etree.fromstring(content)
    schema.assertValid(document)
    assert document.findtext(".//p:ReqdColltnDt", namespaces=NS) == "2026-04-15"
    assert document.findtext(".//p:SeqTp", namespaces=NS) == "FRST"
    assert document.findtext(".//p:EndToEndId", namespaces=NS) == "100000041-20260415"
    assert document.findtext(".//p:MndtId", namespaces=NS) == "MANDATE-100000041"
    assert document.findtext(".//p:DtOfSgntr", namespaces=NS) == "2026-01-02"
    assert document.findtext(".//p:InstdAmt", namespaces=NS) == "60.00"
    assert document.findtext(".//p:CdtrSchmeId//p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS) == "DE98ZZZ09999999999"
    assert document.findtext(".//p:CdtrAcct//p:IBAN", namespaces=NS) == "DE02120300000000202051"
    assert document.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS) == batch.message_id
    assert "RE2026-000106" in document.findtext(".//p:Ustrd", namespaces=NS)


def test_the_pre_notification_names_amount_and_date_fourteen_days_ahead_and_is_sent_once(lena):
    account, _invoice = lena

    sepa_collect(as_of=AS_OF)
    second = sepa_collect(as_of=AS_OF)

    message = prenotifications(account).get()
    assert "60.00 EUR on 04/15/2026" in message.subject
    assert "April 15, 2026" in message.body
    assert "MANDATE-100000041" in message.body and "DE98ZZZ09999999999" in message.body
    assert "RE2026-000106" in message.body
    assert not second.created
    assert (SepaBatch.objects.count(), SepaCollection.objects.count(), Payment.objects.count()) == (1, 1, 1)


def test_the_pre_notification_period_is_a_setting(settings, lena):
    settings.SEPA_PRENOTIFICATION_DAYS = 5

    run = sepa_collect(as_of=AS_OF)

    assert run.collection_date == dt.date(2026, 4, 6 + 1)  # 6 April 2026 is Easter Monday


def test_a_collection_date_on_a_bank_holiday_moves_to_the_next_banking_day():
    assert collection_date_for(as_of=dt.date(2026, 3, 20)) == dt.date(2026, 4, 7)  # Good Friday, Easter Monday
    assert next_banking_day(dt.date(2026, 4, 18)) == dt.date(2026, 4, 20)  # Saturday
    assert next_banking_day(dt.date(2026, 4, 15)) == dt.date(2026, 4, 15)


def test_items_being_collected_are_not_collected_again_by_the_next_run(lena):
    account, _invoice = lena
    sepa_collect(as_of=AS_OF)

    next_day = sepa_collect(as_of=AS_OF + dt.timedelta(days=1))

    assert next_day.batch is None and next_day.planned == []
    assert SepaCollection.objects.filter(account=account).count() == 1


def test_confirming_the_file_books_the_payment_and_settles_the_collected_items(lena):
    account, invoice = lena
    batch = sepa_collect(as_of=AS_OF).batch

    booked = sepa_batch_confirm(batch=batch, as_of=COLLECTION)
    again = sepa_batch_confirm(batch=batch, as_of=COLLECTION)

    collection = SepaCollection.objects.get()
    assert (booked, again) == (1, 0)
    assert collection.status == SepaCollection.Status.CONFIRMED
    assert collection.payment.status == Payment.Status.SUCCEEDED
    assert collection.payment.ledger_entry.booked_on == COLLECTION
    assert invoice_open(invoice) == Decimal("0.00")
    assert account_balance(account=account) == Decimal("0.00")


def test_the_next_collection_of_a_used_mandate_is_recurring(lena):
    account, _invoice = lena
    sepa_batch_confirm(batch=sepa_collect(as_of=AS_OF).batch, as_of=COLLECTION)
    invoice_issued(account, number="RE2026-000110", gross=Decimal("70.00"), due_date=dt.date(2026, 5, 10))

    run = sepa_collect(as_of=dt.date(2026, 5, 1))

    assert run.planned[0].sequence_type == "RCUR"
    assert run.planned[0].amount == Decimal("70.00")


def test_an_invoice_on_hold_is_not_collected(lena):
    account, invoice = lena
    hold_put(invoice=invoice, reason=DunningHold.Reason.DISPUTE, source="ticket:T-1")
    instalment(account, amount=Decimal("45.00"), due_date=COLLECTION)

    run = sepa_collect(as_of=AS_OF)

    assert run.planned[0].amount == Decimal("45.00")
    assert [entry.kind for entry in SepaCollection.objects.get().ledger_entries.all()] == ["INSTALMENT"]


def test_a_credit_on_the_account_lowers_the_collection_and_none_is_made_when_it_covers_all(lena):
    account, _invoice = lena
    agent = UserFactory(is_staff=True)
    invoice_issued(account, number="RE2026-000111", gross=Decimal("40.00"), due_date=dt.date(2026, 5, 30))
    payment_record_manual(
        account=account,
        amount=Decimal("100.00"),
        method="CASH",
        received_on=AS_OF,
        created_by=agent,
        as_of=AS_OF,
    )
    assert account_balance(account=account) == Decimal("0.00")

    run = sepa_collect(as_of=AS_OF)

    assert run.planned == [] and run.batch is None
    assert not prenotifications(account).exists()


def test_a_dry_run_shows_the_collections_and_saves_and_sends_nothing(lena):
    out = StringIO()

    call_command("sepa_collect", "--as-of", "2026-04-01", "--dry-run", stdout=out)

    assert "100000041: 60.00 EUR (FRST)" in out.getvalue()
    assert "Dry run" in out.getvalue()
    assert not SepaBatch.objects.exists() and not Payment.objects.exists() and not OutboxMessage.objects.exists()


def test_the_command_writes_the_file_once_for_a_date(lena):
    first, second = StringIO(), StringIO()

    call_command("sepa_collect", "--as-of", "2026-04-01", stdout=first)
    call_command("sepa_collect", "--as-of", "2026-04-01", stdout=second)

    assert "1 collections, 60.00 EUR" in first.getvalue()
    assert "exists already" in second.getvalue()
    assert SepaBatch.objects.count() == 1


def test_the_command_refuses_a_date_that_is_no_date():
    with pytest.raises(CommandError, match="not a date"):
        call_command("sepa_collect", "--as-of", "01.04.2026")


def test_a_mandate_with_an_iban_the_schema_refuses_writes_no_file(lena):
    account, _invoice = lena
    SepaMandate.objects.filter(account=account).update(iban="not an iban")

    with pytest.raises(SepaFileError):
        sepa_collect(as_of=AS_OF)

    assert not SepaBatch.objects.exists() and not Payment.objects.exists() and not OutboxMessage.objects.exists()


def test_the_daily_task_collects_for_today(lena):
    with time_machine.travel(dt.datetime(2026, 4, 1, 6, 0, tzinfo=ZoneInfo("Europe/Berlin")), tick=False):
        batch_id = sepa_collect_due.delay().get()

    assert SepaBatch.objects.get(pk=batch_id).collection_date == COLLECTION


def test_a_pending_collection_leaves_the_ledger_alone(lena):
    account, _invoice = lena
    before = list(LedgerEntry.objects.filter(account=account).values_list("pk", flat=True))

    sepa_collect(as_of=AS_OF)

    assert list(LedgerEntry.objects.filter(account=account).values_list("pk", flat=True)) == before


def test_an_unused_credit_lowers_the_collection_and_the_pre_notification_says_so(lena):
    account, _invoice = lena
    ledger_book(
        account=account,
        kind=LedgerEntry.Kind.CREDIT_NOTE,
        amount=Decimal("-10.00"),
        booked_on=AS_OF,
        key="credit-note:test",
        text="Credit note",
    )

    run = sepa_collect(as_of=AS_OF)

    assert (run.planned[0].amount, run.planned[0].credit) == (Decimal("50.00"), Decimal("10.00"))
    body = prenotifications(account).get().body
    assert "Invoice RE2026-000106: 60.00 EUR" in body and "Less your credit: -10.00 EUR" in body
