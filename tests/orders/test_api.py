"""The orders API: the public catalogue, quoting and ordering (201), the
same idempotency key answering the first order, confirming, the list, the
invoice among the account's invoices as kind "order", cancelling (200 with
the credit note, 409 outside the terms); another customer's account 404,
a key without orders:write 403, bad input 422."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from billing.models import Invoice
from core.apikeys import api_key_create
from orders.models import Order, Product
from tests.accounts.factories import AccountFactory
from tests.orders.factories import product_make, slot_make

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-Passw0rd!"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
ORDER_KEYS = {"id", "status", "invoice_number", "net_total", "vat_total", "gross_total", "due_date"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def customer_account():
    return AccountFactory()


def as_customer(client, account) -> dict:
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": account.customer.user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return {"HTTP_X_SESSION_TOKEN": response.json()["meta"]["session_token"], **ENGLISH}


def with_key(*scopes: str) -> dict:
    _key, plain = api_key_create(name="shop", scopes=list(scopes))
    return {"HTTP_X_API_KEY": plain, **ENGLISH}


def post(client, url, body, headers):
    return client.post(url, body, content_type="application/json", **headers)


def test_the_catalogue_is_public_in_the_request_language_without_agent_only_items(client):
    response = client.get("/api/v1/products?utility=internet", **ENGLISH)

    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert rows["ROUTER"] == {
        "code": "ROUTER",
        "name": "Internet router",
        "net_price": "84.03",
        "vat_rate": "0.19",
        "gross_price": "100.00",
        "needs_appointment": False,
    }
    assert "SMART_METER_UPGRADE" not in rows  # electricity only
    assert "RECONNECTION" not in rows  # agents only
    assert client.get("/api/v1/products?utility=steam").status_code == 422


def test_a_customer_orders_and_confirms_at_once_and_finds_the_invoice(client):
    account = customer_account()
    headers = as_customer(client, account)
    product_make(net_price=Decimal("75.00"))
    body = {"product_code": "VISIT", "quantity": 2, "confirm": True, "idempotency_key": "app-1"}

    response = post(client, f"/api/v1/accounts/{account.number}/orders", body, headers)

    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == ORDER_KEYS
    assert (data["status"], data["net_total"], data["vat_total"], data["gross_total"]) == (
        "confirmed",
        "150.00",
        "28.50",
        "178.50",
    )
    invoice = Invoice.objects.get(number=data["invoice_number"])
    assert data["due_date"] == invoice.due_date.isoformat()
    invoices = client.get(f"/api/v1/accounts/{account.number}/invoices", **headers).json()
    assert [(row["kind"], row["number"], len(row["lines"])) for row in invoices] == [("order", invoice.number, 1)]

    again = post(client, f"/api/v1/accounts/{account.number}/orders", body, headers)

    assert again.status_code == 200 and again.json() == data
    assert Order.objects.count() == 1 and Invoice.objects.count() == 1


def test_a_quote_has_no_invoice_until_confirmed(client):
    account = customer_account()
    headers = as_customer(client, account)
    product_make()

    quoted = post(
        client,
        f"/api/v1/accounts/{account.number}/orders",
        {"product_code": "VISIT", "confirm": False, "idempotency_key": "q-1"},
        headers,
    )
    assert quoted.status_code == 201
    assert (quoted.json()["status"], quoted.json()["invoice_number"]) == ("quoted", None)
    assert not Invoice.objects.exists()

    confirmed = post(client, f"/api/v1/accounts/{account.number}/orders/{quoted.json()['id']}/confirm", {}, headers)

    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["invoice_number"]
    listed = client.get(f"/api/v1/accounts/{account.number}/orders", **headers).json()
    assert [(row["id"], row["product_code"], row["status"]) for row in listed] == [
        (quoted.json()["id"], "VISIT", "confirmed")
    ]


def test_cancelling_within_the_terms_answers_the_credit_note_and_outside_409(client):
    account = customer_account()
    headers = as_customer(client, account)
    visit = product_make(needs_appointment=True, cancel_until_hours=24)
    early = slot_make(visit, starts_at=NOW + dt.timedelta(days=5))
    soon = slot_make(visit, starts_at=NOW + dt.timedelta(hours=12))
    url = f"/api/v1/accounts/{account.number}/orders"
    first = post(
        client, url, {"product_code": "VISIT", "appointment_slot": str(early.pk), "idempotency_key": "a"}, headers
    )
    assert first.status_code == 201, first.content

    cancelled = post(client, f"{url}/{first.json()['id']}/cancel", {}, headers)

    assert cancelled.status_code == 200
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert cancelled.json() == {
        "id": first.json()["id"],
        "status": "cancelled",
        "credit_note_number": note.number,
        "refunded": "0.00",
    }
    late = post(
        client, url, {"product_code": "VISIT", "appointment_slot": str(soon.pk), "idempotency_key": "b"}, headers
    ).json()

    refused = post(client, f"{url}/{late['id']}/cancel", {}, headers)

    assert refused.status_code == 409
    assert "until" in refused.json()["errors"]["order"]


def test_an_agent_only_item_and_bad_input_are_422_with_the_field(client):
    account = customer_account()
    headers = as_customer(client, account)
    product_make("FEE", ordered_by=Product.OrderedBy.AGENT)
    url = f"/api/v1/accounts/{account.number}/orders"

    agent_only = post(client, url, {"product_code": "FEE", "idempotency_key": "x"}, headers)
    missing = post(client, url, {}, headers)

    assert agent_only.status_code == 422
    assert "customer service" in agent_only.json()["errors"]["product_code"]
    assert missing.status_code == 422
    assert set(missing.json()["errors"]) == {"product_code", "idempotency_key"}
    assert not Order.objects.exists()


def test_another_customers_orders_are_404(client):
    mine, theirs = customer_account(), customer_account()
    headers = as_customer(client, mine)
    product_make()
    order = post(
        client,
        f"/api/v1/accounts/{theirs.number}/orders",
        {"product_code": "VISIT", "idempotency_key": "k"},
        as_customer(client, theirs),
    ).json()

    assert client.get(f"/api/v1/accounts/{theirs.number}/orders", **headers).status_code == 404
    assert post(client, f"/api/v1/accounts/{theirs.number}/orders", {}, headers).status_code == 404
    assert post(client, f"/api/v1/accounts/{theirs.number}/orders/{order['id']}/cancel", {}, headers).status_code == 404
    assert post(client, f"/api/v1/accounts/{mine.number}/orders/{order['id']}/confirm", {}, headers).status_code == 404


def test_a_key_needs_the_orders_write_scope(client):
    account = AccountFactory()
    product_make()
    body = {"product_code": "VISIT", "idempotency_key": "k"}
    url = f"/api/v1/accounts/{account.number}/orders"

    assert post(client, url, body, with_key("billing:read")).status_code == 403
    assert post(client, url, body, {}).status_code == 401
    assert post(client, url, body, with_key("orders:write")).status_code == 201
    assert client.get(url, **with_key("orders:read")).status_code == 200


def test_an_order_invoice_can_be_paid_online_with_the_existing_checkout(client):
    account = customer_account()
    headers = as_customer(client, account)
    product_make(net_price=Decimal("75.00"))
    order = post(
        client, f"/api/v1/accounts/{account.number}/orders", {"product_code": "VISIT", "idempotency_key": "p"}, headers
    ).json()

    response = post(
        client, f"/api/v1/accounts/{account.number}/payments/checkout", {"invoices": [order["invoice_number"]]}, headers
    )

    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "89.25"


def test_the_order_list_takes_the_same_few_queries_for_many_orders(client, django_assert_max_num_queries):
    account = AccountFactory()
    product_make()
    headers = with_key("orders:read")
    for n in range(5):
        post(
            client,
            f"/api/v1/accounts/{account.number}/orders",
            {"product_code": "VISIT", "idempotency_key": f"k{n}"},
            with_key("orders:write"),
        )

    with django_assert_max_num_queries(6):
        response = client.get(f"/api/v1/accounts/{account.number}/orders", **headers)

    assert len(response.json()) == 5
