"""Bills and the ledger in the JSON API: /api/v1/accounts/{number}/invoices, …/pdf, …/ledger, …/balance."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Invoice
from billing.services.invoicing import invoice_cancel
from core.apikeys import api_key_create
from tests.accounts.factories import AccountFactory
from tests.billing.factories import billed_year, invoice_issued, payment_book

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-Passw0rd!"


@pytest.fixture(autouse=True)
def no_delivery(settings):
    settings.BILLING_DELIVER_ON_ISSUE = False


def as_customer(client, account) -> dict:
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": account.customer.user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return {"HTTP_X_SESSION_TOKEN": response.json()["meta"]["session_token"], "HTTP_ACCEPT_LANGUAGE": "en"}


def with_key(*scopes: str) -> dict:
    _key, plain = api_key_create(name="accounting", scopes=list(scopes))
    return {"HTTP_X_API_KEY": plain, "HTTP_ACCEPT_LANGUAGE": "en"}


def test_a_customer_lists_their_invoices_with_lines_newest_first(client, admin_user):
    invoice = billed_year()
    note = invoice_cancel(invoice=invoice, user=admin_user, as_of=dt.date(2027, 2, 1), reason="Read corrected")

    response = client.get(f"/api/v1/accounts/{invoice.account.number}/invoices", **as_customer(client, invoice.account))

    assert response.status_code == 200
    body = response.json()
    assert [item["number"] for item in body] == [note.number, invoice.number]
    credit, bill = body
    assert (credit["kind"], credit["cancels"], credit["gross_total"]) == ("credit_note", invoice.number, "-1445.85")
    assert bill["kind"] == "invoice" and bill["status"] == "cancelled" and bill["payment_status"] == "credited"
    assert (bill["net_total"], bill["vat_total"], bill["gross_total"], bill["currency"]) == (
        "1215.00",
        "230.85",
        "1445.85",
        "EUR",
    )
    assert (bill["period_start"], bill["period_end"], bill["issue_date"], bill["due_date"]) == (
        "2026-01-01",
        "2026-12-31",
        "2027-01-05",
        "2027-01-19",
    )
    assert bill["lines"][0] == {
        "description": bill["lines"][0]["description"],
        "quantity": "3650.000000",
        "unit": "kWh",
        "unit_price": "0.300000",
        "net_amount": "1095.00",
        "vat_rate": "0.1900",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
    }
    assert (bill["lines"][1]["unit"], bill["lines"][1]["quantity"]) == ("day", "365.000000")


def test_held_and_discarded_bills_are_never_listed(client):
    account = AccountFactory()
    invoice_issued(account, number="RE1", issue_date=dt.date(2026, 2, 1))
    invoice_issued(account, number="HELD", issue_date=dt.date(2026, 3, 1), status=Invoice.Status.HELD, book=False)
    invoice_issued(account, number="GONE", issue_date=dt.date(2026, 4, 1), status=Invoice.Status.DISCARDED, book=False)

    response = client.get(f"/api/v1/accounts/{account.number}/invoices", **with_key("billing:read"))

    assert [item["number"] for item in response.json()] == ["RE1"]


def test_the_list_takes_a_fixed_number_of_queries(client):
    account = AccountFactory()
    for month in range(2, 12):
        invoice_issued(
            account, number=f"RE{month}", issue_date=dt.date(2026, month, 1), nets={"0.19": "10", "0.07": "5"}
        )
    headers = with_key("billing:read")

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/accounts/{account.number}/invoices", **headers)

    assert len(response.json()) == 10
    assert len(queries) <= 6


def test_another_customers_account_is_not_found(client):
    mine = AccountFactory()
    other = AccountFactory()
    invoice_issued(other, number="RE-OTHER", issue_date=dt.date(2026, 2, 1))
    headers = as_customer(client, mine)

    for path in ("invoices", "invoices/RE-OTHER/pdf", "ledger", "balance"):
        assert client.get(f"/api/v1/accounts/{other.number}/{path}", **headers).status_code == 404


def test_a_key_without_billing_read_is_refused(client):
    account = AccountFactory()

    response = client.get(f"/api/v1/accounts/{account.number}/invoices", **with_key("accounts:read"))

    assert response.status_code == 403
    assert "billing:read" in response.json()["detail"]


def test_no_credentials_is_unauthorised(client):
    account = AccountFactory()

    assert client.get(f"/api/v1/accounts/{account.number}/balance").status_code == 401


def test_the_pdf_of_an_invoice(client):
    invoice = billed_year()

    response = client.get(
        f"/api/v1/accounts/{invoice.account.number}/invoices/{invoice.number}/pdf", **with_key("billing:read")
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_pdf_of_another_account_or_a_held_bill_is_not_found(client):
    account = AccountFactory()
    other = AccountFactory()
    invoice_issued(other, number="RE-OTHER", issue_date=dt.date(2026, 2, 1))
    invoice_issued(account, number="RE-HELD", issue_date=dt.date(2026, 2, 1), status=Invoice.Status.HELD, book=False)
    headers = with_key("billing:read")

    assert client.get(f"/api/v1/accounts/{account.number}/invoices/RE-OTHER/pdf", **headers).status_code == 404
    assert client.get(f"/api/v1/accounts/{account.number}/invoices/RE-HELD/pdf", **headers).status_code == 404


def test_the_ledger_with_the_balance_after_each_entry(client):
    account = AccountFactory()
    invoice_issued(account, number="RE1", issue_date=dt.date(2026, 2, 1))
    invoice_issued(account, number="RE2", issue_date=dt.date(2026, 3, 1))
    payment_book(account, "100.00", day=dt.date(2026, 3, 5), key="payment:abc")

    response = client.get(f"/api/v1/accounts/{account.number}/ledger", **as_customer(client, account))

    body = response.json()
    assert body["opening_balance"] == "0.00"
    assert [(e["booked_on"], e["kind"], e["amount"], e["balance"]) for e in body["entries"]] == [
        ("2026-02-01", "invoice", "119.00", "119.00"),
        ("2026-03-01", "invoice", "119.00", "238.00"),
        ("2026-03-05", "payment", "-100.00", "138.00"),
    ]
    assert body["entries"][0]["reference"] == "RE1" and body["entries"][0]["due_date"] == "2026-02-15"


def test_the_ledger_from_a_date_starts_with_the_balance_brought_forward(client):
    account = AccountFactory()
    invoice_issued(account, number="RE1", issue_date=dt.date(2026, 2, 1))
    invoice_issued(account, number="RE2", issue_date=dt.date(2026, 3, 1))

    response = client.get(
        f"/api/v1/accounts/{account.number}/ledger", {"date_from": "2026-03-01"}, **with_key("billing:read")
    )

    body = response.json()
    assert body["opening_balance"] == "119.00"
    assert [e["balance"] for e in body["entries"]] == ["238.00"]


def test_a_bad_date_is_a_validation_error(client):
    account = AccountFactory()

    response = client.get(
        f"/api/v1/accounts/{account.number}/ledger", {"date_from": "yesterday"}, **with_key("billing:read")
    )

    assert response.status_code == 422


def test_the_balance(client):
    account = AccountFactory()
    invoice_issued(account, number="RE1", issue_date=dt.date(2026, 2, 1))
    payment_book(account, "19.00", day=dt.date(2026, 2, 5), key="payment:1")

    response = client.get(
        f"/api/v1/accounts/{account.number}/balance", {"as_of": "2026-02-04"}, **with_key("billing:read")
    )
    today = client.get(f"/api/v1/accounts/{account.number}/balance", **with_key("billing:read"))

    assert response.json() == {"balance": "119.00", "currency": "EUR", "as_of": "2026-02-04"}
    assert today.json()["balance"] == "100.00"


def test_openapi_lists_the_billing_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert "/api/v1/accounts/{number}/invoices" in paths
    assert "/api/v1/accounts/{number}/invoices/{invoice_number}/pdf" in paths
    assert "/api/v1/accounts/{number}/ledger" in paths
    assert "/api/v1/accounts/{number}/balance" in paths
