import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import OutboxMessage
from meters.models import Meter, Premise, SupplyPoint, Utility
from supply.models import ServiceAgreement
from tests.accounts.factories import AccountFactory, CustomerFactory
from tests.portal.test_api import ENGLISH, api_key, as_customer, with_key
from tests.supply.factories import agreement_requested, market_location_id, tariff_make, version_add

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 27)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")), tick=False):
        yield


@pytest.fixture
def tariff():
    return tariff_make(code="STROM-BASIS", name_de="Strom Basis", name_en="Electricity Basic")


@pytest.fixture
def account():
    return AccountFactory(
        number="100000016",
        street="Heidestraße",
        house_number="17",
        postcode="51147",
        city="Köln",
        customer__language="en",
    )


def payload(**overrides) -> dict:
    data = {
        "utility": "electricity",
        "supply_point_id": market_location_id(42),
        "tariff_code": "STROM-BASIS",
        "start_date": "2026-12-15",
        "start_reason": "move_in",
        "meter_serial": "1ESY1160012345",
        "meter_kind": "smart",
        "start_reads": {"1-0:1.8.0": "1234.5"},
        "expected_annual_consumption": "2500",
    }
    data.update(overrides)
    return data


def post(client, account, body, **headers):
    return client.post(
        f"/api/v1/accounts/{account.number}/agreements", body, content_type="application/json", **headers
    )


def saved() -> tuple[int, int, int, int]:
    return (
        ServiceAgreement.objects.count(),
        SupplyPoint.objects.count(),
        Premise.objects.count(),
        Meter.objects.count(),
    )


# --- POST /accounts/{number}/agreements -------------------------------------------------------


def test_a_customer_requests_supply_for_their_account(client, tariff, account):
    response = post(client, account, payload(), **as_customer(client, account.customer), **ENGLISH)

    assert response.status_code == 201, response.content
    body = response.json()
    agreement = ServiceAgreement.objects.get()
    assert body == {
        "id": agreement.pk,
        "status": "REQUESTED",
        "utility": "ELECTRICITY",
        "supply_point_id": market_location_id(42),
        "premise": {
            "street": "Heidestraße",
            "house_number": "17",
            "postcode": "51147",
            "city": "Köln",
            "country": "DE",
        },
        "tariff": {"code": "STROM-BASIS", "name": "Electricity Basic"},
        "start_date": "2026-12-15",
        "end_date": None,
        "meter_serial": "1ESY1160012345",
        "registers": ["1-0:1.8.0"],
        "expected_annual_consumption": "2500.0",
        "start_reason": "MOVE_IN",
    }
    assert agreement.account == account
    assert agreement.start_reads == {"1-0:1.8.0": "1234.5"}
    assert Meter.objects.get().kind == Meter.Kind.SMART
    assert OutboxMessage.objects.filter(template="supply_requested", to_address=account.customer.email).exists()


def test_an_integration_with_supply_write_requests_supply_at_another_premise(client, tariff, account):
    premise = {"street": "Am Markt", "house_number": "3", "postcode": "10117", "city": "Berlin", "country": "de"}
    reads = {"1-0:1.8.1": 100, "1-0:1.8.2": "50.25"}

    response = post(
        client,
        account,
        payload(premise=premise, start_reads=reads, start_reason="SUPPLIER_SWITCH", meter_kind=None),
        **with_key("supply:write"),
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["premise"] == {k: v.upper() if k == "country" else v for k, v in premise.items()}
    assert body["registers"] == ["1-0:1.8.1", "1-0:1.8.2"]
    assert body["start_reason"] == "SUPPLIER_SWITCH"
    assert body["tariff"]["name"] == "Strom Basis"  # German unless the client asks for English
    agreement = ServiceAgreement.objects.get()
    assert agreement.start_reads == {"1-0:1.8.1": "100", "1-0:1.8.2": "50.25"}
    assert Meter.objects.get().kind == Meter.Kind.CONVENTIONAL


def test_internet_needs_no_meter(client, account):
    tariff_make(code="NET-100", utility=Utility.INTERNET, standing_charge_per_year=None, monthly_fee="39.90")
    body = payload(utility="internet", supply_point_id="DEU.1234.5678", tariff_code="NET-100")
    for key in ("meter_serial", "meter_kind", "start_reads", "expected_annual_consumption"):
        del body[key]

    response = post(client, account, body, **with_key("supply:write"))

    assert response.status_code == 201, response.content
    assert response.json()["meter_serial"] == ""
    assert response.json()["registers"] == []


def test_another_customer_gets_404_and_nothing_is_saved(client, tariff, account):
    other = CustomerFactory()

    response = post(client, account, payload(), **as_customer(client, other), **ENGLISH)

    assert response.status_code == 404
    assert response.json() == {"detail": "There is no account with this number."}
    assert saved() == (0, 0, 0, 0)


def test_a_missing_account_is_404(client, tariff):
    response = post(client, AccountFactory.build(number="999999999"), payload(), **with_key("supply:write"))

    assert response.status_code == 404


def test_a_key_without_supply_write_gets_403(client, tariff, account):
    response = post(client, account, payload(), HTTP_X_API_KEY=api_key("accounts:read", "customers:write"), **ENGLISH)

    assert response.status_code == 403
    assert "supply:write" in response.json()["detail"]
    assert saved() == (0, 0, 0, 0)


def test_no_credentials_get_401(client, tariff, account):
    assert post(client, account, payload()).status_code == 401


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"supply_point_id": "12345678901"},
            "supply_point_id",
            "A market location id has 11 digits and ends in its check digit (see your last bill).",
        ),
        ({"supply_point_id": ""}, "supply_point_id", "This field is required."),
        ({"utility": "steam"}, "utility", "Select a valid choice. STEAM is not one of the available choices."),
        ({"utility": None}, "utility", "Please choose at least one utility."),
        ({"tariff_code": "NO-SUCH"}, "tariff_code", "There is no tariff with this code."),
        ({"start_date": "2026-10-01"}, "start_date", "The start date may be at most 42 days in the past"),
        ({"start_date": "tomorrow"}, "start_date", "Enter a valid date."),
        ({"start_reason": "eviction"}, "start_reason", "Select a valid choice."),
        ({"meter_serial": " "}, "meter_serial", "Please enter the meter number."),
        ({"meter_kind": "analogue"}, "meter_kind", "Select a valid choice."),
        ({"start_reads": {}}, "start_reads", "1-0:1.8.0: Please enter the meter reading."),
        ({"start_reads": {"1-0:1.8.0": "-3"}}, "start_reads", "1-0:1.8.0: Ensure this value is greater than"),
        ({"start_reads": {"1-0:1.8.0": "a lot"}}, "start_reads", "1-0:1.8.0: Enter a number."),
        ({"start_reads": {"7-0:3.0.0": "5"}}, "start_reads", "Unknown register 7-0:3.0.0; the registers"),
        ({"expected_annual_consumption": "-1"}, "expected_annual_consumption", "Ensure this value is greater"),
        ({"premise": {"street": "Am Markt", "city": "Berlin"}}, "premise.postcode", "This field is required."),
        (
            {"premise": {"street": "A", "house_number": "1", "postcode": "1011", "city": "B"}},
            "premise.postcode",
            "A German postcode has exactly 5 digits.",
        ),
        (
            {"premise": {"street": "A", "house_number": "1", "postcode": "1010", "city": "Wien", "country": "AT"}},
            "premise.country",
            "We supply premises in Germany only.",
        ),
    ],
)
def test_bad_input_is_422_with_a_message_on_the_field_and_saves_nothing(
    client, tariff, account, overrides, field, message
):
    response = post(client, account, payload(**overrides), **with_key("supply:write"), **ENGLISH)

    assert response.status_code == 422, response.content
    body = response.json()
    assert body["errors"][field].startswith(message), body
    assert {"loc": ["body", field], "msg": body["errors"][field]} in body["detail"]
    assert saved() == (0, 0, 0, 0)
    assert not OutboxMessage.objects.exists()


def test_a_tariff_for_another_customer_type_or_utility_is_refused(client, account):
    tariff_make(code="STROM-GEWERBE", customer_type="BUSINESS")
    tariff_make(code="GAS-BASIS", utility=Utility.GAS)

    for code in ("STROM-GEWERBE", "GAS-BASIS"):
        response = post(client, account, payload(tariff_code=code), **with_key("supply:write"), **ENGLISH)

        assert response.status_code == 422
        assert response.json()["errors"] == {
            "tariff_code": "Please choose one of the tariffs offered for this utility."
        }
    assert saved() == (0, 0, 0, 0)


def test_a_supply_point_already_supplied_is_422(client, tariff, account):
    agreement_requested(tariff=tariff, n=42, start_date=dt.date(2026, 12, 1))
    before = saved()

    response = post(client, account, payload(), **with_key("supply:write"), **ENGLISH)

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "supply_point_id": "This supply point is already supplied for (part of) this time."
    }
    assert saved() == before


def test_every_problem_is_reported_at_once(client, tariff, account):
    body = payload(supply_point_id="123", start_reason="", meter_serial="", tariff_code="NO-SUCH")

    response = post(client, account, body, **with_key("supply:write"), **ENGLISH)

    assert set(response.json()["errors"]) == {"supply_point_id", "start_reason", "meter_serial", "tariff_code"}


@pytest.mark.parametrize("body", ['"just text"', "[1, 2]", "not json"])
def test_a_body_that_is_not_a_json_object_is_422(client, tariff, account, body):
    response = client.post(
        f"/api/v1/accounts/{account.number}/agreements",
        body,
        content_type="application/json",
        **with_key("supply:write"),
    )

    assert response.status_code == 422
    assert saved() == (0, 0, 0, 0)


# --- GET /accounts/{number}/agreements --------------------------------------------------------


def test_a_customer_lists_their_agreements_in_start_order(client, tariff, account):
    later = agreement_requested(account=account, tariff=tariff, n=1, start_date=dt.date(2027, 1, 1))
    earlier = agreement_requested(account=account, tariff=tariff, n=2, start_date=dt.date(2026, 12, 1))
    agreement_requested(tariff=tariff, n=3)  # someone else's

    response = client.get(f"/api/v1/accounts/{account.number}/agreements", **as_customer(client, account.customer))

    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [earlier.pk, later.pk]
    assert response.json()[0]["tariff"] == {"code": "STROM-BASIS", "name": "Strom Basis"}


def test_another_customer_gets_404_for_the_list(client, tariff, account):
    agreement_requested(account=account, tariff=tariff)
    other = CustomerFactory()

    response = client.get(f"/api/v1/accounts/{account.number}/agreements", **as_customer(client, other))

    assert response.status_code == 404


def test_a_key_with_accounts_read_lists_any_accounts_agreements(client, tariff, account):
    agreement_requested(account=account, tariff=tariff)

    response = client.get(f"/api/v1/accounts/{account.number}/agreements", **with_key("accounts:read"))

    assert response.status_code == 200
    assert len(response.json()) == 1


def test_a_key_without_accounts_read_gets_403_for_the_list(client, account):
    response = client.get(f"/api/v1/accounts/{account.number}/agreements", **with_key("supply:write"))

    assert response.status_code == 403


def test_the_list_takes_a_fixed_number_of_queries(client, tariff, account, django_assert_num_queries):
    tariff_make(code="GAS-BASIS", utility=Utility.GAS)
    agreement_requested(account=account, tariff=tariff, n=1)
    agreement_requested(
        account=account,
        tariff=tariff,
        n=2,
        start_reads={"1-0:1.8.1": Decimal("1"), "1-0:1.8.2": Decimal("2")},
    )
    agreement_requested(
        account=account,
        tariff=tariff_make(
            code="NET-100", utility=Utility.INTERNET, standing_charge_per_year=None, monthly_fee="39.90"
        ),
        n=3,
    )
    headers = with_key("accounts:read")

    # The key and its last use, the account, agreements with supply point, premise
    # and tariff, their current meters, the meters' registers.
    with django_assert_num_queries(6):
        response = client.get(f"/api/v1/accounts/{account.number}/agreements", **headers)

    assert len(response.json()) == 3
    assert [item["registers"] for item in response.json()] == [["1-0:1.8.0"], ["1-0:1.8.1", "1-0:1.8.2"], []]


def test_the_list_costs_the_same_for_one_agreement_as_for_four(client, tariff, account):
    agreement_requested(account=account, tariff=tariff, n=1)
    headers = as_customer(client, account.customer)
    url = f"/api/v1/accounts/{account.number}/agreements"
    with CaptureQueriesContext(connection) as one:
        client.get(url, **headers)
    for n in range(2, 5):
        agreement_requested(account=account, tariff=tariff, n=n)

    with CaptureQueriesContext(connection) as four:
        response = client.get(url, **headers)

    assert len(response.json()) == 4
    assert len(four) == len(one)


# --- GET /tariffs -----------------------------------------------------------------------------


def test_the_tariff_offer_is_public_with_todays_prices_net_and_gross(client):
    tariff = tariff_make(code="STROM-HTNT", unit_prices={"1-0:1.8.1": "0.350000", "1-0:1.8.2": "0.254321"})
    version_add(
        tariff=tariff, valid_from=dt.date(2027, 1, 1), standing_charge_per_year="150.00", unit_prices={"*": "1"}
    )
    tariff_make(code="STROM-ALT", is_offered=False)
    tariff_make(code="STROM-GEWERBE", customer_type="BUSINESS")
    tariff_make(code="GAS-BASIS", utility=Utility.GAS)
    tariff_make(code="STROM-2027", valid_from=dt.date(2027, 1, 1))  # no prices yet today

    response = client.get("/api/v1/tariffs", {"utility": "electricity"}, **ENGLISH)

    assert response.status_code == 200
    assert response.json() == [
        {
            "code": "STROM-HTNT",
            "name": "Electricity Basic",
            "utility": "ELECTRICITY",
            "customer_type": "HOUSEHOLD",
            "minimum_term_months": 12,
            "notice_period_weeks": 4,
            "prices_valid_from": "2026-01-01",
            "vat_rate": "0.1900",
            "unit_prices": [
                {"obis": "1-0:1.8.1", "net": "0.350000", "gross": "0.4165"},
                {"obis": "1-0:1.8.2", "net": "0.254321", "gross": "0.3026"},
            ],
            "standing_charge_per_year": {"net": "120.00", "gross": "142.80"},
            "monthly_fee": None,
        }
    ]


def test_the_offer_for_business_internet(client):
    tariff_make(
        code="NET-PRO",
        utility=Utility.INTERNET,
        customer_type="BUSINESS",
        standing_charge_per_year=None,
        monthly_fee="49.90",
    )

    response = client.get("/api/v1/tariffs", {"utility": "INTERNET", "customer_type": "Business"})

    (offer,) = response.json()
    assert offer["code"] == "NET-PRO"
    assert offer["monthly_fee"] == {"net": "49.90", "gross": "59.38"}
    assert offer["standing_charge_per_year"] is None
    assert offer["unit_prices"] == []


def test_the_offer_takes_a_fixed_number_of_queries(client, django_assert_num_queries):
    for n in range(4):
        tariff_make(code=f"STROM-{n}")

    # Tariffs, their versions, the versions' prices, the VAT rate.
    with django_assert_num_queries(4):
        response = client.get("/api/v1/tariffs", {"utility": "electricity"})

    assert len(response.json()) == 4


@pytest.mark.parametrize(
    ("query", "field"),
    [({"utility": "steam"}, "utility"), ({"utility": "gas", "customer_type": "alien"}, "customer_type")],
)
def test_an_unknown_utility_or_customer_type_is_422(client, query, field):
    response = client.get("/api/v1/tariffs", query, **ENGLISH)

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {field}


def test_the_offer_needs_a_utility(client):
    response = client.get("/api/v1/tariffs")

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"utility"}


def test_openapi_lists_the_supply_endpoints(client):
    schema = client.get("/api/v1/openapi.json").json()

    assert {"/api/v1/accounts/{number}/agreements", "/api/v1/tariffs"} <= set(schema["paths"])
    assert "security" not in schema["paths"]["/api/v1/tariffs"]["get"]
    security = schema["paths"]["/api/v1/accounts/{number}/agreements"]["post"]["security"]
    assert {"ApiKeyAuth": []} in security and {"CustomerSessionAuth": []} in security
