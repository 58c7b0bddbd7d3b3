"""The agents' bills pages: held bills, cancelling with a credit note, the customer's bills tab."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from billing.models import Invoice
from billing.services.invoicing import bill_account
from billing.services.ledger import account_balance
from meters.models import Read
from supply.models import ServiceAgreement
from tests.accounts.factories import AccountFactory, staff_user
from tests.billing.factories import billed_year, invoice_issued
from tests.meters.factories import at, register_of

pytestmark = pytest.mark.django_db
JAN_2028 = dt.datetime(2028, 1, 8, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def no_delivery(settings):
    settings.BILLING_DELIVER_ON_ISSUE = False


def signed_in(client, user):
    client.force_login(user)
    client.cookies["portal_language"] = "en"
    return client


def held_bill() -> Invoice:
    """A second year with four times the consumption: held for review."""
    first = billed_year()
    agreement = ServiceAgreement.objects.get(account=first.account)
    Read.objects.create(
        register=register_of(agreement), taken_at=at(2028, 1, 1), value=Decimal("19250"), source="CUSTOMER"
    )
    outcome = bill_account(account=first.account, as_of=dt.date(2028, 1, 5))
    assert outcome.status == "HELD"
    return Invoice.objects.get(pk=outcome.invoice_id)


def test_the_held_queue_shows_reasons_and_the_previous_bill(client, django_assert_max_num_queries):
    held = held_bill()
    with time_machine.travel(JAN_2028):
        signed_in(client, staff_user())
        with django_assert_max_num_queries(13):
            response = client.get(reverse("staff_bills:held"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "more than 2 times" in html
    assert f'data-testid="held-{held.pk}"' in html
    assert "1,445.85" in html
    assert '<span class="badge text-bg-warning" data-testid="held-bills-count">1</span>' in html


def test_an_agent_releases_a_held_bill(client):
    held = held_bill()
    with time_machine.travel(JAN_2028):
        signed_in(client, staff_user())
        response = client.post(reverse("staff_bills:held_decide", args=[held.pk]), {"action": "release"}, follow=True)

    held.refresh_from_db()
    assert held.status == Invoice.Status.ISSUED and held.number == "RE2028-000001"
    assert "was issued" in response.content.decode()
    assert account_balance(account=held.account) == Decimal("1445.85") + held.gross_total


def test_an_agent_corrects_the_read_and_bills_the_period_again(client):
    held = held_bill()
    Read.objects.filter(taken_at=at(2028, 1, 1)).update(value=Decimal("8300"))
    with time_machine.travel(JAN_2028):
        signed_in(client, staff_user())
        client.post(reverse("staff_bills:held_decide", args=[held.pk]), {"action": "rebill"})

    held.refresh_from_db()
    rebilled = Invoice.objects.get(account=held.account, status=Invoice.Status.ISSUED, period_start=held.period_start)
    assert held.status == Invoice.Status.DISCARDED
    assert rebilled.number == "RE2028-000001"


def test_releasing_twice_says_why_and_changes_nothing(client):
    held = held_bill()
    with time_machine.travel(JAN_2028):
        signed_in(client, staff_user())
        client.post(reverse("staff_bills:held_decide", args=[held.pk]), {"action": "release"})
        response = client.post(reverse("staff_bills:held_decide", args=[held.pk]), {"action": "discard"}, follow=True)

    held.refresh_from_db()
    assert held.status == Invoice.Status.ISSUED
    assert "Only a held bill can be discarded." in response.content.decode()


def test_without_the_permission_an_agent_cannot_release(client):
    held = held_bill()
    user = staff_user()
    user.groups.clear()
    user.user_permissions.add(*Group.objects.get(name="Agents").permissions.exclude(codename="change_invoice"))
    with time_machine.travel(JAN_2028):
        signed_in(client, user)
        response = client.post(reverse("staff_bills:held_decide", args=[held.pk]), {"action": "release"})

    assert response.status_code == 403
    held.refresh_from_db()
    assert held.is_held


def test_customers_cannot_see_the_held_queue(client):
    account = AccountFactory()
    signed_in(client, account.customer.user)

    response = client.get(reverse("staff_bills:held"))

    assert response.status_code in (302, 403)


def test_cancelling_asks_for_a_reason_and_a_confirmation(client):
    invoice = billed_year()
    with time_machine.travel(dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC)):
        signed_in(client, staff_user())
        page = client.get(reverse("staff_bills:cancel", args=[invoice.pk]))
        refused = client.post(reverse("staff_bills:cancel", args=[invoice.pk]), {"reason": "   "})

    assert page.status_code == 200
    assert refused.status_code == 200
    assert set(refused.context["form"].errors) == {"reason", "confirm"}
    invoice.refresh_from_db()
    assert invoice.is_issued and not invoice.credit_notes.exists()


def test_cancelling_with_a_reason_makes_a_credit_note(client):
    invoice = billed_year()
    with time_machine.travel(dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC)):
        signed_in(client, staff_user())
        response = client.post(
            reverse("staff_bills:cancel", args=[invoice.pk]), {"reason": "Wrong meter read", "confirm": "on"}
        )

    invoice.refresh_from_db()
    note = invoice.credit_notes.get()
    assert response.status_code == 302
    assert invoice.is_cancelled
    assert note.details["reason"] == "Wrong meter read"
    assert account_balance(account=invoice.account) == Decimal("0.00")


def test_cancel_and_rebill_bills_the_corrected_period(client):
    invoice = billed_year()
    Read.objects.filter(taken_at=at(2027, 1, 1)).update(value=Decimal("3650"))
    with time_machine.travel(dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC)):
        signed_in(client, staff_user())
        client.post(
            reverse("staff_bills:cancel", args=[invoice.pk]),
            {"reason": "Read corrected", "confirm": "on", "rebill": "on"},
        )

    rebilled = Invoice.objects.get(account=invoice.account, status=Invoice.Status.ISSUED, kind=Invoice.Kind.INVOICE)
    assert rebilled.gross_total == Decimal("1088.85")
    assert account_balance(account=invoice.account) == Decimal("1088.85")


def test_the_customer_page_lists_bills_credit_notes_held_bills_and_the_statement(client):
    held = held_bill()
    with time_machine.travel(JAN_2028):
        signed_in(client, staff_user())
        response = client.get(reverse("staff:customer", args=[held.account.customer_id]), {"tab": "bills"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "RE2027-000001" in html
    assert f'data-testid="staff-bill-{held.pk}"' in html
    assert "held for review" in html
    assert 'data-testid="statement"' in html
    assert reverse("staff_bills:pdf", args=[Invoice.objects.get(number="RE2027-000001").pk]) in html


def test_agents_download_the_pdf_and_the_statement(client):
    invoice = billed_year()
    signed_in(client, staff_user())

    pdf = client.get(reverse("staff_bills:pdf", args=[invoice.pk]))
    csv = client.get(reverse("staff_bills:statement_csv", args=[invoice.account_id]), {"year": "2027"})

    assert pdf.content.startswith(b"%PDF")
    assert invoice.number in csv.content.decode("utf-8-sig")


def test_a_held_bill_has_no_pdf(client):
    held = held_bill()
    signed_in(client, staff_user())

    assert client.get(reverse("staff_bills:pdf", args=[held.pk])).status_code == 404


def test_the_held_count_is_cheap_and_zero_without_held_bills(client):
    invoice_issued(AccountFactory(), number="RE1", issue_date=dt.date(2026, 2, 1))
    signed_in(client, staff_user())

    html = client.get(reverse("staff_bills:held")).content.decode()

    assert 'data-testid="held-bills-count">0<' in html
    assert "No bills are held." in html


def test_a_foreign_next_address_is_ignored(client):
    held = held_bill()
    with time_machine.travel(JAN_2028):
        signed_in(client, staff_user())
        response = client.post(
            reverse("staff_bills:held_decide", args=[held.pk]), {"action": "release", "next": "https://evil.example/"}
        )

    assert response["Location"] == reverse("staff_bills:held")


def test_the_held_queue_needs_the_same_queries_for_many_held_bills(client, django_assert_max_num_queries):
    for n in range(6):
        account = AccountFactory()
        invoice_issued(account, number=f"RE-{n}", issue_date=dt.date(2026, 2, 1))
        Invoice.objects.create(
            account=account,
            status=Invoice.Status.HELD,
            period_start=dt.date(2026, 2, 1),
            period_end=dt.date(2026, 2, 28),
            net_total=Decimal("100.00"),
            vat_total=Decimal("19.00"),
            gross_total=Decimal("119.00"),
            customer_name="Erika Mustermann",
            customer_address="Berlin",
            hold_reasons=["The bill is negative."],
        )
    signed_in(client, staff_user())

    with django_assert_max_num_queries(13):
        response = client.get(reverse("staff_bills:held"))

    assert response.content.decode().count("The bill is negative.") == 6
    assert response.content.decode().count("×1.11") == 6
