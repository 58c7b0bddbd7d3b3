"""The customer's bills pages: list with badges, bill page, PDF, statement, dashboard."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from billing.models import Invoice
from billing.queries.bills import BillState, bill_rows, invoice_open_amounts
from billing.services.invoicing import invoice_cancel
from tests.accounts.factories import AccountFactory
from tests.billing.factories import billed_year, invoice_issued, payment_book

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_delivery(settings):
    settings.BILLING_DELIVER_ON_ISSUE = False


@pytest.fixture
def english(client):
    client.cookies["portal_language"] = "en"
    return client


def signed_in(client, account):
    client.force_login(account.customer.user)
    client.cookies["portal_language"] = "en"
    return client


def test_the_badges_say_open_paid_overdue_and_credited():
    account = AccountFactory()
    paid = invoice_issued(account, number="RE1", issue_date=dt.date(2026, 2, 1))
    overdue = invoice_issued(account, number="RE2", issue_date=dt.date(2026, 3, 1))
    open_bill = invoice_issued(account, number="RE3", issue_date=dt.date(2026, 4, 1))
    payment_book(account, "119.00", day=dt.date(2026, 2, 10), key="payment:1")
    cancelled = invoice_issued(account, number="RE4", issue_date=dt.date(2026, 4, 2), status=Invoice.Status.CANCELLED)

    rows = bill_rows(invoices=[paid, overdue, open_bill, cancelled], as_of=dt.date(2026, 4, 5))

    assert [row.state for row in rows] == [BillState.PAID, BillState.OVERDUE, BillState.OPEN, BillState.CREDITED]
    assert rows[1].open_amount == Decimal("119.00")


def test_a_partly_paid_bill_stays_open_with_what_is_left():
    account = AccountFactory()
    bill = invoice_issued(account, number="RE1", issue_date=dt.date(2026, 2, 1))
    payment_book(account, "19.00", day=dt.date(2026, 2, 10), key="payment:1")

    assert invoice_open_amounts(invoice_ids=[bill.pk]) == {bill.pk: Decimal("100.00")}


def test_the_list_shows_own_bills_newest_first_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    account = AccountFactory()
    for month in range(1, 13):
        invoice_issued(
            account,
            number=f"RE2026-{month:06d}",
            issue_date=dt.date(2026, month, 1),
            period_start=dt.date(2025, month, 1),
            period_end=dt.date(2025, month, 28),
        )
    invoice_issued(AccountFactory(), number="RE-OTHER", issue_date=dt.date(2026, 5, 5))
    with time_machine.travel(dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)):
        signed_in(client, account)
        with django_assert_max_num_queries(8):
            response = client.get(reverse("bills:list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "RE-OTHER" not in html
    assert html.index("RE2026-000012") < html.index("RE2026-000001")
    assert html.count('data-testid="bill-status"') == 12
    assert "overdue" in html


def test_held_and_discarded_bills_never_show(client):
    account = AccountFactory()
    invoice_issued(account, number="RE-HELD", issue_date=dt.date(2026, 2, 1), status=Invoice.Status.HELD, book=False)
    signed_in(client, account)

    response = client.get(reverse("bills:list"))

    assert "RE-HELD" not in response.content.decode()


def test_the_bill_page_explains_each_line_with_reads_days_prices_and_vat(client):
    invoice = billed_year()
    signed_in(client, invoice.account)

    response = client.get(reverse("bills:bill", args=[invoice.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Why is my bill this amount?" in html
    assert "365 days" in html
    assert "1,445.85" in html
    assert "read" in html
    assert "19%" in html
    assert "prices valid from" in html.lower()


def test_the_bill_page_speaks_german_with_german_numbers(client):
    invoice = billed_year()
    client.force_login(invoice.account.customer.user)
    client.cookies["portal_language"] = "de"

    html = client.get(reverse("bills:bill", args=[invoice.pk])).content.decode()

    assert "1.445,85 €" in html
    assert "19 %" in html


def test_another_customers_bill_and_pdf_are_not_found(client):
    invoice = billed_year(n=1)
    stranger = AccountFactory()
    signed_in(client, stranger)

    assert client.get(reverse("bills:bill", args=[invoice.pk])).status_code == 404
    assert client.get(reverse("bills:pdf", args=[invoice.pk])).status_code == 404


def test_a_held_bill_of_ones_own_is_not_found_either(client):
    account = AccountFactory()
    held = invoice_issued(
        account, number="RE-H", issue_date=dt.date(2026, 2, 1), status=Invoice.Status.HELD, book=False
    )
    signed_in(client, account)

    assert client.get(reverse("bills:bill", args=[held.pk])).status_code == 404
    assert client.get(reverse("bills:pdf", args=[held.pk])).status_code == 404


def test_the_pdf_downloads_and_is_stored_once(client):
    invoice = billed_year()
    signed_in(client, invoice.account)

    response = client.get(reverse("bills:pdf", args=[invoice.pk]))
    again = client.get(reverse("bills:pdf", args=[invoice.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert again.content == response.content
    assert f"{invoice.number}.pdf" in response["Content-Disposition"]


def test_a_cancelled_bill_links_its_credit_note_and_shows_credited(client, admin_user):
    invoice = billed_year()
    note = invoice_cancel(invoice=invoice, user=admin_user, as_of=dt.date(2027, 2, 1), reason="Meter read corrected")
    signed_in(client, invoice.account)

    page = client.get(reverse("bills:bill", args=[invoice.pk])).content.decode()
    note_page = client.get(reverse("bills:bill", args=[note.pk])).content.decode()
    listing = client.get(reverse("bills:list")).content.decode()

    assert note.number in page and "credited" in page
    assert invoice.number in note_page and "Meter read corrected" in note_page
    assert note.number in listing


def test_the_statement_has_a_running_balance_and_filters_by_year(client):
    account = AccountFactory()
    invoice_issued(account, number="RE1", issue_date=dt.date(2025, 12, 1))
    invoice_issued(account, number="RE2", issue_date=dt.date(2026, 2, 1))
    payment_book(account, "100.00", day=dt.date(2026, 2, 10), key="payment:1")
    signed_in(client, account)

    response = client.get(reverse("bills:statement"), {"year": "2026"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "RE2" in html and "RE1" not in html
    assert "Balance brought forward" in html
    closing = response.context["statement"].closing_balance
    assert closing == Decimal("138.00")
    assert [row.balance for row in response.context["statement"].rows] == [Decimal("238.00"), Decimal("138.00")]


def test_a_nonsense_year_shows_the_latest_year(client):
    account = AccountFactory()
    invoice_issued(account, number="RE1", issue_date=dt.date(2026, 2, 1))
    signed_in(client, account)

    response = client.get(reverse("bills:statement"), {"year": "19'; DROP"})

    assert response.status_code == 200
    assert response.context["statement"].year == 2026


def test_the_statement_downloads_as_csv_in_the_pages_language(client):
    account = AccountFactory()
    invoice_issued(account, number="RE1", issue_date=dt.date(2026, 2, 1))
    client.force_login(account.customer.user)
    client.cookies["portal_language"] = "de"

    response = client.get(reverse("bills:statement_csv"), {"year": "2026"})

    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"] == "text/csv"
    lines = text.splitlines()
    assert lines[0].split(";")[0] == "Datum"
    assert lines[2].endswith(";119,00;;119,00")


def test_another_customers_account_statement_is_not_found(client):
    account = AccountFactory()
    other = AccountFactory()
    invoice_issued(other, number="RE-OTHER", issue_date=dt.date(2026, 2, 1))
    signed_in(client, account)

    assert client.get(reverse("bills:statement"), {"account": other.number}).status_code == 404
    assert client.get(reverse("bills:statement_csv"), {"account": other.number}).status_code == 404


def test_the_dashboard_shows_balance_next_due_date_and_the_last_bill(client):
    invoice = billed_year()

    with time_machine.travel(dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC)):
        signed_in(client, invoice.account)
        html = client.get(reverse("home")).content.decode()

    assert 'data-testid="balance"' in html and "1,445.85" in html
    assert "Jan. 19, 2027" in html or "January 19, 2027" in html
    assert reverse("bills:bill", args=[invoice.pk]) in html


def test_the_bills_pages_need_a_login(client):
    response = client.get(reverse("bills:list"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
