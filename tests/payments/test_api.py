"""The payments API: checkout for the customer's own account, the payment
list (customer or key with payments:read), external payments (key with
payments:write) booked once per reference, and 422 for bad input."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.services.ledger import account_balance
from core.apikeys import api_key_create
from payments.models import CheckoutSession, Payment
from tests.accounts.factories import AccountFactory
from tests.billing.factories import invoice_issued

pytestmark = pytest.mark.django_db
PASSWORD = "s3cret-Passw0rd!"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def english_and_sandbox(client, settings):
    settings.STRIPE_SECRET_KEY = ""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def as_customer(client, account) -> dict:
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": account.customer.user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return {"HTTP_X_SESSION_TOKEN": response.json()["meta"]["session_token"], **ENGLISH}


def with_key(*scopes: str) -> dict:
    _key, plain = api_key_create(name="accounting", scopes=list(scopes))
    return {"HTTP_X_API_KEY": plain, **ENGLISH}


def post_payment(client, payload, headers):
    return client.post("/api/v1/payments", payload, content_type="application/json", **headers)


def external(**overrides):
    return {"amount": "30.00", "date": "2026-02-01", "reference": "BANK-REF-1", "method": "transfer", **overrides}


def test_a_customer_starts_a_checkout_for_their_own_bills(client):
    account = AccountFactory()
    invoice = invoice_issued(clear=True, account=account, gross=Decimal("45.50"))

    response = client.post(
        f"/api/v1/accounts/{account.number}/payments/checkout",
        {"invoices": [invoice.number]},
        content_type="application/json",
        **as_customer(client, account),
    )

    assert response.status_code == 201, response.content
    checkout = CheckoutSession.objects.get()
    assert response.json() == {"checkout_url": checkout.url, "checkout_id": checkout.pk, "amount": "45.50"}
    assert "/payments/sandbox/" in checkout.url


def test_the_same_idempotency_key_returns_the_same_checkout(client):
    account = AccountFactory()
    invoice_issued(clear=True, account=account, gross=Decimal("45.50"))
    headers = {**as_customer(client, account), "HTTP_IDEMPOTENCY_KEY": "app-42"}
    url = f"/api/v1/accounts/{account.number}/payments/checkout"

    first = client.post(url, {}, content_type="application/json", **headers)
    second = client.post(url, {}, content_type="application/json", **headers)

    assert first.json()["checkout_id"] == second.json()["checkout_id"]
    assert CheckoutSession.objects.count() == 1


def test_checkout_for_another_customers_account_is_404(client):
    mine = AccountFactory()
    other = AccountFactory()
    invoice_issued(clear=True, account=other, gross=Decimal("10.00"))

    response = client.post(
        f"/api/v1/accounts/{other.number}/payments/checkout",
        {},
        content_type="application/json",
        **as_customer(client, mine),
    )

    assert response.status_code == 404
    assert not CheckoutSession.objects.exists()


def test_checkout_with_nothing_to_pay_or_an_unknown_bill_is_422(client):
    account = AccountFactory()
    headers = as_customer(client, account)
    url = f"/api/v1/accounts/{account.number}/payments/checkout"

    nothing = client.post(url, {}, content_type="application/json", **headers)
    unknown = client.post(url, {"invoices": ["R-NOPE"]}, content_type="application/json", **headers)

    assert nothing.status_code == 422
    assert nothing.json()["errors"] == {"invoices": "There is nothing to pay on this account."}
    assert unknown.status_code == 422
    assert "R-NOPE" in unknown.json()["errors"]["invoices"]


def test_checkout_is_for_customers_only(client):
    account = AccountFactory()

    response = client.post(
        f"/api/v1/accounts/{account.number}/payments/checkout",
        {},
        content_type="application/json",
        **with_key("payments:write", "payments:read"),
    )

    assert response.status_code == 401


def test_a_customer_lists_their_payments_with_the_bills_they_paid(client):
    account = AccountFactory()
    invoice = invoice_issued(clear=True, account=account, gross=Decimal("30.00"))
    post_payment(client, external(account_number=account.number), with_key("payments:write"))

    response = client.get(f"/api/v1/accounts/{account.number}/payments", **as_customer(client, account))

    assert response.status_code == 200
    (payment,) = response.json()
    assert payment["amount"] == "30.00"
    assert payment["allocations"] == [{"label": invoice.number, "invoice_number": invoice.number, "amount": "30.00"}]


def test_the_payment_list_of_another_customers_account_is_404(client):
    mine = AccountFactory()
    other = AccountFactory()

    response = client.get(f"/api/v1/accounts/{other.number}/payments", **as_customer(client, mine))

    assert response.status_code == 404


def test_a_key_needs_payments_read_to_list_payments(client):
    account = AccountFactory()
    url = f"/api/v1/accounts/{account.number}/payments"

    assert client.get(url, **with_key("payments:read")).status_code == 200
    assert client.get(url, **with_key("accounts:read")).status_code == 403
    assert client.get(url).status_code == 401


def test_the_payment_list_filters_by_year(client):
    account = AccountFactory()
    key = with_key("payments:write", "payments:read")
    post_payment(client, external(account_number=account.number, date="2025-12-31", reference="A"), key)
    post_payment(client, external(account_number=account.number, date="2026-01-01", reference="B"), key)

    response = client.get(f"/api/v1/accounts/{account.number}/payments?year=2026", **key)

    assert [payment["reference"] for payment in response.json()] == ["B"]


def test_an_external_payment_for_an_invoice_is_booked_and_allocated_once_per_reference(client):
    account = AccountFactory()
    older = invoice_issued(clear=True, account=account, gross=Decimal("20.00"), issue_date=dt.date(2026, 1, 1))
    named = invoice_issued(clear=True, account=account, gross=Decimal("30.00"), issue_date=dt.date(2026, 1, 20))
    key = with_key("payments:write")

    first = post_payment(client, external(invoice_number=named.number), key)
    again = post_payment(client, external(invoice_number=named.number), key)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["allocations"][0]["invoice_number"] == named.number
    assert Payment.objects.count() == 1
    assert account_balance(account=account) == older.gross_total


def test_the_same_reference_with_another_amount_is_409(client):
    account = AccountFactory()
    key = with_key("payments:write")
    post_payment(client, external(account_number=account.number), key)

    response = post_payment(client, external(account_number=account.number, amount="31.00"), key)

    assert response.status_code == 409
    assert "reference" in response.json()["errors"]
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "abc"}, "amount", "Enter an amount in euros, e.g. 49.90."),
        ({"amount": "0"}, "amount", "Ensure this value is greater than or equal to 0.01."),
        ({"amount": "-3"}, "amount", "Ensure this value is greater than or equal to 0.01."),
        ({"amount": "1.005"}, "amount", "Enter the amount in whole cents."),
        ({"date": "01.02.2026"}, "date", "Enter a date as YYYY-MM-DD."),
        ({"date": "2999-01-01"}, "date", "The payment cannot be received in the future."),
        ({"reference": ""}, "reference", "This field is required."),
        ({"method": "bitcoin"}, "method", "Choose one of: transfer, card, cash, external."),
        ({"account_number": "000"}, "account_number", "There is no account with this number."),
        ({"account_number": None}, "account_number", "Name the account number or the invoice number."),
        ({"invoice_number": "R-NONE"}, "invoice_number", "There is no invoice with this number."),
    ],
)
def test_bad_external_payments_get_422_with_the_fields_message_and_save_nothing(client, changes, field, message):
    account = AccountFactory()
    data = {**external(account_number=account.number), **changes}
    payload = {key: value for key, value in data.items() if value is not None}

    response = post_payment(client, payload, with_key("payments:write"))

    assert response.status_code == 422, response.content
    assert response.json()["errors"][field] == message
    assert not Payment.objects.exists()


def test_an_invoice_of_another_account_than_named_is_422(client):
    account = AccountFactory()
    foreign = invoice_issued(clear=True, account=AccountFactory(), gross=Decimal("10.00"))

    response = post_payment(
        client, external(account_number=account.number, invoice_number=foreign.number), with_key("payments:write")
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {"invoice_number": "This invoice belongs to another account."}


def test_a_body_that_is_not_an_object_is_422(client):
    response = client.post("/api/v1/payments", "[1, 2]", content_type="application/json", **with_key("payments:write"))

    assert response.status_code == 422


def test_external_payments_need_payments_write(client):
    account = AccountFactory()

    response = post_payment(client, external(account_number=account.number), with_key("payments:read"))

    assert response.status_code == 403
    assert not Payment.objects.exists()
