import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Customer, PaymentMethod, SepaMandate
from core import clock
from core.apikeys import api_key_create, api_key_revoke
from tests.accounts.factories import (
    AccountFactory,
    CustomerFactory,
    SepaMandateFactory,
    UserFactory,
    onboarding_payload,
)

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-Passw0rd!"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def session_token(client, user) -> str:
    """A real app session token from allauth's headless login."""
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def as_customer(client, customer) -> dict:
    return {"HTTP_X_SESSION_TOKEN": session_token(client, customer.user)}


def api_key(*scopes: str) -> str:
    _key, plain = api_key_create(name="integration", scopes=list(scopes))
    return plain


def with_key(*scopes: str) -> dict:
    return {"HTTP_X_API_KEY": api_key(*scopes)}


def api_payload(**overrides) -> dict:
    """The onboarding fields as an integration sends them."""
    data = onboarding_payload()
    data["company"] = data.pop("company_name")
    del data["sepa_consent"]
    data.update(customer_type="household", payment_method="sepa", external_ref="CRM-4711")
    data.update(overrides)
    return data


def post_customer(client, payload, *, key: str | None = None, **headers):
    if key is None:
        key = api_key("customers:write")
    return client.post("/api/v1/customers", payload, content_type="application/json", HTTP_X_API_KEY=key, **headers)


def saved_counts() -> tuple[int, int, int]:
    return Customer.objects.count(), Account.objects.count(), SepaMandate.objects.count()


# --- OpenAPI and docs -------------------------------------------------------------


def test_openapi_lists_the_endpoints_and_both_kinds_of_credentials(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert {"/api/v1/me", "/api/v1/accounts", "/api/v1/accounts/{number}", "/api/v1/customers"} <= set(schema["paths"])
    schemes = schema["components"]["securitySchemes"]
    assert schemes["CustomerSessionAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Session-Token",
        "description": schemes["CustomerSessionAuth"]["description"],
    }
    assert schemes["ApiKeyAuth"]["name"] == "X-API-Key"
    assert schema["paths"]["/api/v1/customers"]["post"]["security"] == [{"ApiKeyAuth": []}]


def test_the_docs_page_is_served_from_local_files_under_the_content_security_policy(client):
    docs = client.get("/api/v1/docs")

    assert docs.status_code == 200
    body = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert "cdn" not in body.lower()
    assert "script-src 'self'" in docs.headers["Content-Security-Policy"]


# --- Authentication -------------------------------------------------------------------


def test_no_credentials_get_401_with_a_message(client):
    response = client.get("/api/v1/accounts", **ENGLISH)

    assert response.status_code == 401
    assert "X-Session-Token" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_session_token_gets_401(client):
    response = client.get("/api/v1/me", HTTP_X_SESSION_TOKEN="not-a-token")

    assert response.status_code == 401


def test_a_browser_session_cookie_does_not_authenticate_the_api(client):
    customer = CustomerFactory()
    client.force_login(customer.user)

    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        lambda key: {"HTTP_X_API_KEY": key},
        lambda key: {"HTTP_AUTHORIZATION": f"Bearer {key}"},
        lambda key: {"HTTP_AUTHORIZATION": f"Api-Key {key}"},
    ],
    ids=["x-api-key", "bearer", "api-key-scheme"],
)
def test_an_api_key_is_accepted_in_each_header(client, header):
    account = AccountFactory()

    response = client.get(f"/api/v1/accounts/{account.number}", **header(api_key("accounts:read")))

    assert response.status_code == 200
    assert response.json()["number"] == account.number


def test_a_key_in_an_unknown_authorization_scheme_gets_401(client):
    account = AccountFactory()

    response = client.get(f"/api/v1/accounts/{account.number}", HTTP_AUTHORIZATION=f"Basic {api_key('accounts:read')}")

    assert response.status_code == 401


def test_a_key_without_the_scope_gets_403_naming_the_scope(client):
    account = AccountFactory()

    response = client.get(f"/api/v1/accounts/{account.number}", **with_key("payments:read"), **ENGLISH)

    assert response.status_code == 403
    assert "accounts:read" in response.json()["detail"]


def test_a_revoked_key_gets_401(client):
    account = AccountFactory()
    key, plain = api_key_create(name="old head-end", scopes=["accounts:read"])
    api_key_revoke(key=key)

    response = client.get(f"/api/v1/accounts/{account.number}", HTTP_X_API_KEY=plain)

    assert response.status_code == 401


def test_a_wrong_key_gets_401(client):
    account = AccountFactory()
    plain = api_key("accounts:read")

    response = client.get(f"/api/v1/accounts/{account.number}", HTTP_X_API_KEY=plain[:-2] + "xx")

    assert response.status_code == 401


# --- GET /me -------------------------------------------------------------------------------


def test_me_shows_the_signed_in_customer_and_their_accounts(client):
    customer = CustomerFactory(external_ref="CRM-1", first_name="Erika", last_name="Mustermann")
    first = AccountFactory(customer=customer)
    second = AccountFactory(customer=customer)
    AccountFactory()

    response = client.get("/api/v1/me", **as_customer(client, customer))

    assert response.status_code == 200
    body = response.json()
    assert body["customer"] == {
        "email": customer.email,
        "customer_type": "HOUSEHOLD",
        "first_name": "Erika",
        "last_name": "Mustermann",
        "company_name": "",
        "vat_id": "",
        "phone": "+4930123456",
        "language": "de",
        "external_ref": "CRM-1",
    }
    assert [account["number"] for account in body["accounts"]] == sorted([first.number, second.number])


def test_me_for_a_login_without_customer_record_is_404_with_a_message(client):
    user = UserFactory()

    response = client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=session_token(client, user), **ENGLISH)

    assert response.status_code == 404
    assert response.json() == {"detail": "There is no customer record for this login yet."}


def test_me_does_not_accept_an_api_key(client):
    assert client.get("/api/v1/me", **with_key("accounts:read")).status_code == 401


# --- GET /accounts/{number} -------------------------------------------------------------


def test_a_customer_sees_their_account_with_address_and_mandate(client):
    mandate = SepaMandateFactory(account__customer__external_ref="CRM-7", account__address_extra="Hinterhaus")
    account = mandate.account

    response = client.get(f"/api/v1/accounts/{account.number}", **as_customer(client, account.customer))

    assert response.status_code == 200
    body = response.json()
    assert body["number"] == account.number
    assert body["status"] == "ACTIVE"
    assert body["customer"]["external_ref"] == "CRM-7"
    assert body["billing_address"] == {
        "street": "Lindenstraße",
        "house_number": "12",
        "address_extra": "Hinterhaus",
        "postcode": "10969",
        "city": "Berlin",
        "country": "DE",
    }
    assert body["payment_method"] == "SEPA"
    assert body["mandate"] == {
        "reference": mandate.reference,
        "creditor_id": "DE98ZZZ09999999999",
        "account_holder": "Max Mustermann",
        "iban_masked": "DE89 •••• •••• 3000",
        "bic": "COBADEFFXXX",
        "bank_name": "Commerzbank",
        "signed_date": "2026-01-02",
        "status": "ACTIVE",
    }
    assert abs(dt.datetime.fromisoformat(body["created_at"]) - account.created_at) < dt.timedelta(milliseconds=1)


def test_an_account_paid_by_transfer_has_no_mandate(client):
    account = AccountFactory(payment_method=PaymentMethod.TRANSFER)

    response = client.get(f"/api/v1/accounts/{account.number}", **with_key("accounts:read"))

    assert response.json()["mandate"] is None


def test_an_account_shows_its_active_mandate_rather_than_a_revoked_one(client):
    old = SepaMandateFactory(status=SepaMandate.Status.REVOKED)
    current = SepaMandateFactory(account=old.account)

    response = client.get(f"/api/v1/accounts/{old.account.number}", **with_key("accounts:read"))

    assert response.json()["mandate"]["reference"] == current.reference


def test_another_customer_gets_404_for_the_first_customers_account_like_for_a_missing_one(client):
    account = AccountFactory()
    intruder = CustomerFactory()
    headers = as_customer(client, intruder)

    someone_elses = client.get(f"/api/v1/accounts/{account.number}", **headers)
    missing = client.get("/api/v1/accounts/000000000", **headers)

    assert someone_elses.status_code == 404
    assert someone_elses.json() == missing.json()


def test_a_key_with_accounts_read_sees_any_account(client):
    account = AccountFactory()

    response = client.get(f"/api/v1/accounts/{account.number}", **with_key("accounts:read"))

    assert response.status_code == 200
    assert response.json()["customer"]["email"] == account.customer.email


# --- GET /accounts ------------------------------------------------------------------------


def test_a_key_lists_the_accounts_of_the_customer_with_an_external_ref(client):
    customer = CustomerFactory(external_ref="CRM-42")
    wanted = [AccountFactory(customer=customer), AccountFactory(customer=customer)]
    AccountFactory(customer=CustomerFactory(external_ref="CRM-43"))

    response = client.get("/api/v1/accounts", {"external_ref": "CRM-42"}, **with_key("accounts:read"))

    assert response.status_code == 200
    assert [account["number"] for account in response.json()] == sorted(a.number for a in wanted)


def test_a_key_without_filter_lists_every_account_in_pages(client):
    numbers = sorted(AccountFactory().number for _ in range(3))
    headers = with_key("accounts:read")

    first_page = client.get("/api/v1/accounts", {"limit": 2}, **headers).json()
    second_page = client.get("/api/v1/accounts", {"limit": 2, "offset": 2}, **headers).json()

    assert [a["number"] for a in first_page + second_page] == numbers


def test_a_customer_lists_only_their_own_accounts_filtered_likewise(client):
    customer = CustomerFactory(external_ref="CRM-1")
    own = AccountFactory(customer=customer)
    AccountFactory(customer=CustomerFactory(external_ref="CRM-2"))
    headers = as_customer(client, customer)

    everything = client.get("/api/v1/accounts", **headers).json()
    own_ref = client.get("/api/v1/accounts", {"external_ref": "CRM-1"}, **headers).json()
    other_ref = client.get("/api/v1/accounts", {"external_ref": "CRM-2"}, **headers).json()

    assert [a["number"] for a in everything] == [own.number]
    assert [a["number"] for a in own_ref] == [own.number]
    assert other_ref == []


def test_a_limit_out_of_range_is_422_on_that_parameter(client):
    response = client.get("/api/v1/accounts", {"limit": 0}, **with_key("accounts:read"), **ENGLISH)

    assert response.status_code == 422
    assert response.json()["errors"] == {"limit": "Enter a valid value."}


def test_listing_many_accounts_takes_a_fixed_number_of_queries(client, django_assert_num_queries):
    for _ in range(3):
        SepaMandateFactory(account__customer__external_ref=None)
        AccountFactory()
    headers = with_key("accounts:read")

    # The key and its last use, accounts with customers, their mandates.
    with django_assert_num_queries(4):
        response = client.get("/api/v1/accounts", **headers)

    assert len(response.json()) == 6


def test_a_customers_list_costs_the_same_queries_for_one_account_as_for_five(client):
    customer = CustomerFactory()
    SepaMandateFactory(account__customer=customer)
    headers = as_customer(client, customer)
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/accounts", **headers)
    for _ in range(4):
        SepaMandateFactory(account__customer=customer)

    with CaptureQueriesContext(connection) as five:
        response = client.get("/api/v1/accounts", **headers)

    assert len(response.json()) == 5
    assert len(five) == len(one)


# --- POST /customers ----------------------------------------------------------------------


def test_an_integration_onboards_a_direct_debit_customer(client):
    response = post_customer(client, api_payload())

    assert response.status_code == 201
    body = response.json()
    account = Account.objects.get(number=body["account_number"])
    customer = account.customer
    mandate = account.mandates.get()
    assert body["customer"]["email"] == "erika@example.com"
    assert body["customer"]["customer_type"] == "HOUSEHOLD"
    assert body["customer"]["external_ref"] == "CRM-4711"
    assert body["mandate_reference"] == mandate.reference
    assert mandate.reference.startswith("UPM-")
    assert mandate.signed_date == clock.today()
    assert mandate.iban == "DE89370400440532013000"
    assert customer.external_ref == "CRM-4711"
    assert customer.user is None
    assert account.payment_method == PaymentMethod.SEPA


@pytest.mark.parametrize(("customer_type", "payment_method"), [("HOUSEHOLD", "SEPA"), ("Household", "Sepa")])
def test_choice_values_are_accepted_in_any_case(client, customer_type, payment_method):
    response = post_customer(client, api_payload(customer_type=customer_type, payment_method=payment_method))

    assert response.status_code == 201


def test_numbers_sent_as_json_numbers_are_taken_as_text(client):
    response = post_customer(client, api_payload(postcode=51147, house_number=17))

    assert response.status_code == 201
    assert Account.objects.get().postcode == "51147"


def test_a_business_customer_sends_the_company_as_company(client):
    payload = api_payload(
        customer_type="business",
        company="Muster GmbH",
        vat_id="DE 123 456 789",
        payment_method="transfer",
        iban="",
        account_holder="",
    )

    response = post_customer(client, payload)

    assert response.status_code == 201
    assert response.json()["customer"]["company_name"] == "Muster GmbH"
    assert response.json()["customer"]["vat_id"] == "DE123456789"
    assert response.json()["mandate_reference"] is None
    assert not SepaMandate.objects.exists()


def test_an_existing_mandate_keeps_its_reference_and_signature_date(client):
    payload = api_payload(mandate_reference="OLD-CRM-0815", mandate_signed_date="2019-03-01")

    response = post_customer(client, payload)

    assert response.status_code == 201
    mandate = SepaMandate.objects.get()
    assert (mandate.reference, mandate.signed_date) == ("OLD-CRM-0815", dt.date(2019, 3, 1))
    assert response.json()["mandate_reference"] == "OLD-CRM-0815"


def test_country_and_language_default_to_germany_and_german(client):
    payload = api_payload()
    del payload["country"], payload["language"]

    response = post_customer(client, payload)

    assert response.status_code == 201
    assert Account.objects.get().country == "DE"
    assert response.json()["customer"]["language"] == "de"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"iban": "DE89370400440532013001"}, "iban"),
        ({"iban": ""}, "iban"),
        ({"account_holder": ""}, "account_holder"),
        ({"postcode": "1234"}, "postcode"),
        ({"phone": "12"}, "phone"),
        ({"email": "not-an-address"}, "email"),
        ({"sepa_consent": False}, "sepa_consent"),
        ({"first_name": ""}, "first_name"),
        ({"customer_type": "business", "company": ""}, "company"),
        ({"customer_type": "alien"}, "customer_type"),
        ({"payment_method": "cash"}, "payment_method"),
        ({"country": "US"}, "country"),
        ({"language": "fr"}, "language"),
        ({"mandate_signed_date": "yesterday"}, "mandate_signed_date"),
        ({"mandate_signed_date": "2999-01-01"}, "mandate_signed_date"),
        ({"mandate_reference": "not/allowed*"}, "mandate_reference"),
        ({"external_ref": "x" * 65}, "external_ref"),
        ({"first_name": True}, "first_name"),
        ({"sepa_consent": "perhaps"}, "sepa_consent"),
    ],
)
def test_bad_input_is_422_with_a_message_on_the_field_and_saves_nothing(client, overrides, field):
    response = post_customer(client, api_payload(**overrides))

    assert response.status_code == 422, response.content
    body = response.json()
    assert body["errors"][field]
    assert {"loc": ["body", field], "msg": body["errors"][field]} in body["detail"]
    assert saved_counts() == (0, 0, 0)


def test_all_field_errors_come_at_once(client):
    response = post_customer(client, api_payload(postcode="1", phone="12", iban="DE00"))

    assert set(response.json()["errors"]) == {"postcode", "phone", "iban"}


def test_an_email_used_by_another_customer_is_422_with_the_wizards_message(client):
    CustomerFactory(email="erika@example.com")
    before = saved_counts()

    response = post_customer(client, api_payload(email="Erika@Example.com"), **ENGLISH)

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "email": "A customer with this e-mail address already exists. Please sign in or use another address."
    }
    assert saved_counts() == before


def test_a_mandate_reference_already_in_use_is_422(client):
    SepaMandateFactory(reference="OLD-CRM-0815")
    before = saved_counts()

    response = post_customer(client, api_payload(mandate_reference="OLD-CRM-0815"))

    assert response.status_code == 422
    assert "mandate_reference" in response.json()["errors"]
    assert saved_counts() == before


def test_an_external_ref_already_in_use_is_409_and_saves_nothing(client):
    CustomerFactory(external_ref="CRM-4711")
    before = saved_counts()

    response = post_customer(client, api_payload(external_ref="CRM-4711"), **ENGLISH)

    assert response.status_code == 409
    assert response.json()["errors"] == {"external_ref": "A customer with this external reference already exists."}
    assert saved_counts() == before


@pytest.mark.parametrize("body", ["[1, 2]", '"Erika"', "null", "not json {", ""])
def test_a_body_that_is_not_a_json_object_is_422(client, body):
    response = client.post(
        "/api/v1/customers",
        body,
        content_type="application/json",
        HTTP_X_API_KEY=api_key("customers:write"),
        **ENGLISH,
    )

    assert response.status_code == 422
    assert response.json() == {
        "errors": {"body": "The request body must be a JSON object."},
        "detail": [{"loc": ["body"], "msg": "The request body must be a JSON object."}],
    }
    assert saved_counts() == (0, 0, 0)


def test_messages_are_german_by_default(client):
    response = post_customer(client, api_payload(first_name=""))

    assert response.headers["Content-Language"] == "de"
    assert response.json()["errors"]["first_name"] == "Dieses Feld ist zwingend erforderlich."


def test_messages_are_english_when_the_client_asks_for_english(client):
    response = post_customer(client, api_payload(first_name="", iban="DE89370400440532013001"), **ENGLISH)

    assert response.headers["Content-Language"] == "en"
    errors = response.json()["errors"]
    assert errors["first_name"] == "This field is required."
    assert errors["iban"] == "This IBAN has a typo: its check digits do not match."


def test_onboarding_needs_the_customers_write_scope(client):
    response = post_customer(client, api_payload(), key=api_key("accounts:read"), **ENGLISH)

    assert response.status_code == 403
    assert "customers:write" in response.json()["detail"]
    assert saved_counts() == (0, 0, 0)


def test_a_customer_token_cannot_onboard_customers(client):
    customer = CustomerFactory()
    before = saved_counts()

    response = client.post(
        "/api/v1/customers", api_payload(), content_type="application/json", **as_customer(client, customer)
    )

    assert response.status_code == 401
    assert saved_counts() == before
