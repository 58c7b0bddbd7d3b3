"""The change API: PATCH …/contact (200, 202 for an e-mail, 422 with nothing
saved), PUT …/bank-account (200 with the new mandate, 422 without consent or
with a bad IBAN) and GET …/changes (newest first); another customer's
account is 404, a key needs its scope."""

import pytest

from accounts.models import CustomerChange, SepaMandate
from core.apikeys import api_key_create
from tests.accounts.factories import AccountFactory, CustomerFactory, SepaMandateFactory

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-Passw0rd!"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
OTHER_IBAN = "DE02120300000000202051"
ADDRESS = {"street": "Hauptstraße", "house_number": "5", "postcode": "10115", "city": "Berlin", "country": "DE"}


def as_customer(client, account) -> dict:
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": account.customer.user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return {"HTTP_X_SESSION_TOKEN": response.json()["meta"]["session_token"], **ENGLISH}


def with_key(*scopes: str) -> dict:
    _key, plain = api_key_create(name="crm", scopes=list(scopes))
    return {"HTTP_X_API_KEY": plain, **ENGLISH}


def patch(client, account, headers, body):
    return client.patch(f"/api/v1/accounts/{account.number}/contact", body, content_type="application/json", **headers)


def put_bank(client, account, headers, body):
    return client.put(
        f"/api/v1/accounts/{account.number}/bank-account", body, content_type="application/json", **headers
    )


def test_a_customer_changes_phone_address_and_language(client):
    account = AccountFactory()
    response = patch(
        client,
        account,
        as_customer(client, account),
        {"phone": "030 9876543", "billing_address": ADDRESS, "language": "en"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["phone"] == "+49309876543"
    assert body["billing_address"] == ADDRESS
    assert body["language"] == "en"
    account.refresh_from_db()
    assert account.street == "Hauptstraße"
    assert CustomerChange.objects.filter(channel="API", requested_by="CUSTOMER").count() >= 4


def test_bad_input_is_422_per_field_and_saves_nothing(client):
    account = AccountFactory(postcode="10969")
    response = patch(
        client,
        account,
        as_customer(client, account),
        {"phone": "12", "billing_address": {**ADDRESS, "postcode": "123"}, "language": "fr"},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"phone", "billing_address.postcode", "language"}
    assert "5 digits" in errors["billing_address.postcode"]
    account.refresh_from_db()
    assert account.postcode == "10969"
    assert not CustomerChange.objects.exists()


def test_an_email_in_the_body_answers_202_and_changes_nothing_yet(client):
    account = AccountFactory(customer=CustomerFactory(email="old@example.com"))
    response = patch(client, account, as_customer(client, account), {"email": "new@example.com"})
    assert response.status_code == 202, response.content
    assert response.json()["email"] == "old@example.com"
    assert response.json()["email_pending"] == "new@example.com"
    account.customer.refresh_from_db()
    assert account.customer.email == "old@example.com"


def test_another_customers_account_is_404_for_every_change_endpoint(client):
    mine, theirs = AccountFactory(), SepaMandateFactory().account
    headers = as_customer(client, mine)
    assert patch(client, theirs, headers, {"phone": "030 9876543"}).status_code == 404
    assert (
        put_bank(client, theirs, headers, {"iban": OTHER_IBAN, "account_holder": "X", "consent": True}).status_code
        == 404
    )
    assert client.get(f"/api/v1/accounts/{theirs.number}/changes", **headers).status_code == 404
    assert not CustomerChange.objects.exists()


def test_a_key_needs_customers_write_to_change_and_accounts_read_to_list(client):
    account = AccountFactory()
    assert patch(client, account, with_key("accounts:read"), {"phone": "030 9876543"}).status_code == 403
    assert patch(client, account, with_key("customers:write"), {"phone": "030 9876543"}).status_code == 200
    assert client.get(f"/api/v1/accounts/{account.number}/changes", **with_key("customers:write")).status_code == 403
    listed = client.get(f"/api/v1/accounts/{account.number}/changes", **with_key("accounts:read"))
    assert listed.status_code == 200
    assert listed.json()[0]["by"] == "system" and listed.json()[0]["channel"] == "api"


def test_a_bank_change_answers_the_new_mandate_reference(client):
    old = SepaMandateFactory()
    account = old.account
    response = put_bank(
        client,
        account,
        as_customer(client, account),
        {"iban": OTHER_IBAN, "account_holder": "Erika Muster", "consent": True},
    )
    assert response.status_code == 200, response.content
    new = SepaMandate.objects.get(account=account, status="ACTIVE")
    assert response.json()["mandate_reference"] == new.reference != old.reference


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"iban": OTHER_IBAN, "account_holder": "Erika"}, "consent"),
        ({"iban": OTHER_IBAN, "account_holder": "Erika", "consent": False}, "consent"),
        ({"iban": "DE00123456780000000000", "account_holder": "Erika", "consent": True}, "iban"),
    ],
)
def test_a_bank_change_without_consent_or_with_a_bad_iban_is_422(client, body, field):
    old = SepaMandateFactory()
    response = put_bank(client, old.account, as_customer(client, old.account), body)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert SepaMandate.objects.get().pk == old.pk


def test_the_changes_newest_first_in_the_contracts_shape(client):
    account = AccountFactory(city="Berlin")
    headers = as_customer(client, account)
    patch(client, account, headers, {"language": "en"})
    patch(client, account, headers, {"billing_address": {**ADDRESS, "city": "Potsdam", "postcode": "14467"}})
    response = client.get(f"/api/v1/accounts/{account.number}/changes", **headers)
    assert response.status_code == 200
    changes = response.json()
    assert set(changes[0]) == {"at", "field", "old", "new", "by", "channel"}
    assert changes[-1]["field"] == "language"
    city = next(c for c in changes if c["field"] == "city")
    assert (city["old"], city["new"], city["by"], city["channel"]) == ("Berlin", "Potsdam", "customer", "api")
