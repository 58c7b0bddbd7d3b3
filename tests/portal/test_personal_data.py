"""Personal data: a customer downloads theirs, an admin erases a closed
customer (invoices and bookings kept), the kept records are purged after the
retention period."""

import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from accounts.models import Account, BillingPreferences, Customer, SepaMandate
from billing.models import Invoice, InvoiceLine, LedgerClearing, LedgerEntry
from core.communications import message_send
from core.models import OutboxMessage
from meters.models import Read
from portal.privacy.erasure import ErasureRefused, customer_erase, retained_records_purge
from portal.privacy.registry import customer_rows
from supply.models import ServiceAgreement
from support.models import Ticket, TicketMessage
from tests.accounts.factories import SepaMandateFactory, staff_user
from tests.billing.factories import billed_year, payment_book
from tests.support.factories import seeded, ticket_make

pytestmark = pytest.mark.django_db

ERASED_AT = dt.datetime(2027, 6, 1, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def customer_with_history(n: int, *, first_name: str, last_name: str, iban: str):
    """A customer supplied and billed over 2026, paid, with a mandate, a ticket
    and a message, and an old e-mail address in the history."""
    invoice = billed_year(n=n)
    account = invoice.account
    customer = account.customer
    customer.first_name, customer.last_name = first_name, last_name
    customer.save()
    customer.email = f"{last_name.lower()}@example.com"
    customer.save()
    payment_book(account, str(invoice.gross_total), day=dt.date(2027, 1, 20), key=f"pay-{n}")
    SepaMandateFactory(account=account, reference=f"MANDATE-{n}", account_holder=f"{first_name} {last_name}", iban=iban)
    seeded()
    ticket_make(customer=customer, account=account, subject=f"Question from {last_name}", body=f"I am {last_name}")
    message_send(recipient=customer.as_recipient(), template="ticket_received", context={"ticket": None})
    return customer, account, invoice


@pytest.fixture
def erika():
    return customer_with_history(1, first_name="Erika", last_name="Mustermann", iban="DE89370400440532013000")


@pytest.fixture
def otto():
    return customer_with_history(2, first_name="Otto", last_name="Normalverbraucher", iban="DE44500105175407324931")


def close(account: Account) -> None:
    Account.objects.filter(pk=account.pk).update(status=Account.Status.CLOSED)


# --- download ---------------------------------------------------------------


def test_the_export_holds_the_customers_own_data_and_nothing_of_another_customer(client, erika, otto):
    customer, account, invoice = erika
    other, other_account, other_invoice = otto
    client.force_login(customer.user)

    response = client.get("/my-data/data.json")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    raw = response.content.decode()
    data = json.loads(raw)
    records = data["records"]
    assert records["accounts.customer"][0]["email"] == "mustermann@example.com"
    assert [row["number"] for row in records["accounts.account"]] == [account.number]
    assert [row["number"] for row in records["billing.invoice"]] == [invoice.number]
    assert records["billing.invoiceline"]  # parts of their rows are found too
    assert len(records["billing.ledgerentry"]) == 2
    assert records["accounts.sepamandate"][0]["iban"] == "DE89370400440532013000"
    assert records["supply.serviceagreement"]
    assert len(records["meters.read"]) == 2  # the start read and the end read of 2026
    assert records["support.ticket"][0]["subject"] == "Question from Mustermann"
    assert any(row["body"] == "I am Mustermann" for row in records["support.ticketmessage"])
    assert records["core.outboxmessage"]
    assert data["login"]["email"] == customer.user.email
    assert "password" not in raw
    for foreign in (
        other.email,
        "Normalverbraucher",
        other_account.number,
        other_invoice.number,
        "DE44500105175407324931",
    ):
        assert foreign not in raw


def test_a_table_another_app_adds_later_is_found_through_the_model_registry(erika):
    customer, account, _invoice = erika

    rows = customer_rows(customer=customer)

    # Neither billing preferences nor payments are named anywhere in the collector.
    assert [row.account_id for row in rows[BillingPreferences]] == [account.pk]
    assert InvoiceLine in rows and LedgerClearing in rows


def test_the_pdf_is_a_readable_document(client, erika):
    customer, _account, _invoice = erika
    client.force_login(customer.user)

    response = client.get("/my-data/data.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Mustermann" in text


def test_the_data_page_offers_both_downloads_and_needs_a_login(client, erika):
    customer, _account, _invoice = erika

    assert client.get("/my-data/").status_code == 302
    client.force_login(customer.user)
    page = client.get("/my-data/").content.decode()

    assert "/my-data/data.pdf" in page
    assert "/my-data/data.json" in page
    assert "/my-data/" in client.get("/").content.decode()


# --- erasure ----------------------------------------------------------------


def test_a_customer_with_an_open_account_cannot_be_erased(erika):
    customer, _account, _invoice = erika

    with pytest.raises(ErasureRefused, match="still has accounts that are not closed"):
        customer_erase(customer=customer, by=None, as_of=ERASED_AT)

    customer.refresh_from_db()
    assert customer.erased_at is None
    assert customer.last_name == "Mustermann"


def test_erasure_keeps_invoices_and_bookings_and_anonymises_the_rest_history_included(erika, otto):
    customer, account, invoice = erika
    user_id = customer.user_id
    close(account)
    ledger_before = LedgerEntry.objects.filter(account=account).count()

    customer_erase(customer=customer, by=None, as_of=ERASED_AT)

    customer.refresh_from_db()
    assert customer.erased_at == ERASED_AT
    assert customer.first_name == "" and customer.last_name == "[erased]"
    assert customer.email == f"erased-{customer.pk}@erased.invalid"
    assert customer.phone == "" and customer.user is None
    assert not get_user_model().objects.filter(pk=user_id).exists()
    # The history tables kept the old values: they are gone too.
    history = list(Customer.history.filter(id=customer.pk).values_list("first_name", "last_name", "email", "phone"))
    assert len(history) >= 3
    assert all(row == ("", "[erased]", customer.email, "") for row in history)
    account.refresh_from_db()
    assert (account.street, account.house_number, account.postcode, account.city) == ("[erased]", "", "", "")
    assert set(Account.history.filter(id=account.pk).values_list("street", "postcode")) == {("[erased]", "")}
    mandate = SepaMandate.objects.get(account=account)
    assert mandate.iban == "DE89XXXXXXXXXXXXXX3000" and mandate.account_holder == "[erased]"
    assert set(SepaMandate.history.filter(id=mandate.pk).values_list("iban", flat=True)) == {"DE89XXXXXXXXXXXXXX3000"}
    ticket = Ticket.objects.get(customer=customer)
    assert ticket.subject == "[erased]" and ticket.sender_email == ""
    assert set(TicketMessage.objects.filter(ticket=ticket).values_list("body", flat=True)) == {"[erased]"}
    outbox = OutboxMessage.objects.filter(to_address="[erased]")
    assert outbox.exists() and set(outbox.values_list("body", flat=True)) == {"[erased]"}
    # Kept for the retention period, as they were issued.
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.customer_name and invoice.customer_address
    assert LedgerEntry.objects.filter(account=account).count() == ledger_before
    assert ServiceAgreement.objects.filter(account=account).exists()
    # The other customer is untouched.
    other = otto[0]
    other.refresh_from_db()
    assert other.last_name == "Normalverbraucher" and other.erased_at is None
    assert Ticket.objects.get(customer=other).subject == "Question from Normalverbraucher"


def test_erasing_twice_is_refused(erika):
    customer, account, _invoice = erika
    close(account)
    customer_erase(customer=customer, by=None, as_of=ERASED_AT)

    with pytest.raises(ErasureRefused, match="already erased"):
        customer_erase(customer=Customer.objects.get(pk=customer.pk), by=None, as_of=ERASED_AT)


def admin_client_for(client):
    admin = staff_user(email="admin@example.com", group="", is_superuser=True)
    client.force_login(admin)
    client.cookies["portal_language"] = "en"
    return client


def test_the_admin_action_asks_for_confirmation_before_erasing(client, erika):
    customer, account, _invoice = erika
    close(account)
    admin = admin_client_for(client)
    form = {"action": "erase_personal_data", "_selected_action": [customer.pk]}

    confirmation = admin.post("/admin/accounts/customer/", form)

    assert confirmation.status_code == 200
    assert "Yes, erase" in confirmation.content.decode()
    customer.refresh_from_db()
    assert customer.erased_at is None

    done = admin.post("/admin/accounts/customer/", {**form, "confirmed": "yes"}, follow=True)

    assert "erased" in done.content.decode()
    customer.refresh_from_db()
    assert customer.erased_at is not None


def test_the_admin_action_refuses_a_customer_with_an_open_account_with_a_message(client, erika):
    customer, _account, _invoice = erika
    admin = admin_client_for(client)

    response = admin.post(
        "/admin/accounts/customer/",
        {"action": "erase_personal_data", "_selected_action": [customer.pk], "confirmed": "yes"},
        follow=True,
    )

    assert "still has accounts that are not closed" in response.content.decode()
    customer.refresh_from_db()
    assert customer.erased_at is None


# --- purge after the retention period ---------------------------------------


@override_settings(PERSONAL_DATA_RETENTION_YEARS=10)
def test_kept_records_are_purged_only_after_the_retention_period_and_only_once(erika, otto):
    customer, account, invoice = erika
    close(account)
    customer_erase(customer=customer, by=None, as_of=ERASED_AT)
    reads_before = Read.objects.count()

    # The last records are of 2027: kept to the end of 2037.
    assert retained_records_purge(as_of=dt.date(2037, 12, 31)) == []
    assert Invoice.objects.filter(pk=invoice.pk).exists()

    dry = retained_records_purge(as_of=dt.date(2038, 1, 1), dry_run=True)
    assert [item.customer_id for item in dry] == [customer.pk]
    assert dry[0].rows["billing.Invoice"] == 1
    assert Invoice.objects.filter(pk=invoice.pk).exists()

    (item,) = retained_records_purge(as_of=dt.date(2038, 1, 1))

    assert item.purge_from == dt.date(2038, 1, 1)
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Customer.history.filter(id=customer.pk).exists()
    assert not Account.objects.filter(pk=account.pk).exists()
    assert not Invoice.objects.filter(account_id=account.pk).exists()
    assert not LedgerEntry.objects.filter(account_id=account.pk).exists()
    assert not ServiceAgreement.objects.filter(account_id=account.pk).exists()
    assert not Ticket.objects.filter(account_id=account.pk).exists()
    assert Read.objects.count() == reads_before  # the meter's reads stay with the meter
    connection.check_constraints()
    other, other_account, other_invoice = otto
    assert Invoice.objects.filter(pk=other_invoice.pk).exists()
    assert LedgerEntry.objects.filter(account=other_account).count() == 2

    assert retained_records_purge(as_of=dt.date(2038, 1, 1)) == []


def test_the_purge_command_reports_and_honours_dry_run(erika):
    customer, account, invoice = erika
    close(account)
    customer_erase(customer=customer, by=None, as_of=ERASED_AT)
    out = io.StringIO()

    call_command("purge_retained_records", "--as-of", "2038-01-01", "--dry-run", stdout=out)

    assert f"customer {customer.pk}: last record 2027-06-01, kept until 2037-12-31; would purge" in out.getvalue()
    assert Invoice.objects.filter(pk=invoice.pk).exists()
    call_command("purge_retained_records", "--as-of", "2038-01-01", stdout=io.StringIO())
    assert not Invoice.objects.filter(pk=invoice.pk).exists()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("purge_retained_records", "--as-of", "next year")


def test_the_daily_task_is_scheduled():
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["purge-retained-records"]["task"] == "portal.tasks.purge_retained_records"


def test_erasure_removes_the_change_log_representatives_and_waiting_changes(erika, otto):
    from accounts.changes import Requested, change_record
    from accounts.models import CustomerChange, PendingChange, Representative, Requester

    customer, account, _invoice = erika
    carer = Representative.objects.create(
        account=account, name="Hans Pfleger", kind=Representative.Kind.CARER, scopes=["CHANGE_CONTACT"]
    )
    change_record(
        customer=customer,
        account=account,
        field="phone",
        old="+49 30 111",
        new="+49 30 222",
        requested=Requested(by=None, requested_by=Requester.REPRESENTATIVE, representative=carer),
    )
    PendingChange.objects.create(
        customer=customer,
        kind=PendingChange.Kind.BUSINESS_NAME,
        old={"company_name": "Mustermann GmbH"},
        new={"company_name": "Musterfrau GmbH"},
        requested_at=ERASED_AT,
    )
    other_customer, other_account, _ = otto
    change_record(customer=other_customer, field="phone", old="1", new="2", requested=Requested(by=None))
    close(account)

    customer_erase(customer=customer, by=None, as_of=ERASED_AT)

    assert not CustomerChange.objects.filter(customer=customer).exists()
    assert not PendingChange.objects.filter(customer=customer).exists()
    assert not Representative.objects.filter(account=account).exists()
    assert not Representative.history.filter(account_id=account.pk).exists()
    # Another customer's trail stays.
    assert CustomerChange.objects.filter(customer=other_customer).count() == 1
