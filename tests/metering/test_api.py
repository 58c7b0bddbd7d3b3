import json

import pytest
import time_machine

from core.apikeys import api_key_create, api_key_revoke
from meters.models import Read
from tests.metering.factories import NOW, OBIS, plausible, serial
from tests.meters.factories import at
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
FEB = at(2026, 2, 1)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def supply():
    return supplied(1, language="de")


def key(*scopes: str) -> str:
    _key, plain = api_key_create(name="head-end", scopes=list(scopes))
    return plain


def post_reads(client, body, *, api_key: str | None = None, **headers):
    if api_key is None:
        api_key = key("reads:write")
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        "/api/v1/reads", data, content_type="application/json", HTTP_X_API_KEY=api_key, **ENGLISH, **headers
    )


def item(n=1, read_at="2026-02-01", value=None, source="smart", obis=OBIS) -> dict:
    return {
        "meter_serial": serial(n),
        "obis": obis,
        "read_at": read_at,
        "value": str(plausible(FEB)) if value is None else value,
        "source": source,
    }


def smart_reads() -> list[tuple]:
    return list(Read.objects.filter(source=Read.Source.SMART).values_list("taken_at", "value", "quality"))


def test_every_item_gets_its_result_by_index(client, supply):
    body = [
        item(),
        item(read_at="2026-03-01", value=str((plausible(at(2026, 3, 1)) - 1000) * 3 + 1000)),
        item(n=9),
        item(),
    ]

    response = post_reads(client, body)

    assert response.status_code == 200
    results = response.json()
    assert [(result["index"], result["status"]) for result in results] == [
        (0, "accepted"),
        (1, "suspect"),
        (2, "rejected"),
        (3, "duplicate"),
    ]
    assert results[0]["reason"] == ""
    assert "we expected between" in results[1]["reason"]
    assert results[2]["reason"] == "meter_serial: There is no meter with the number “1ESY00000009”."
    assert [quality for _at, _value, quality in smart_reads()] == [Read.Quality.VALID, Read.Quality.SUSPECT]


def test_sending_the_same_list_twice_stores_nothing_twice(client, supply):
    body = [item(), item(read_at="2026-03-01", value=str(plausible(at(2026, 3, 1))))]
    post_reads(client, body)

    response = post_reads(client, body)

    assert [result["status"] for result in response.json()] == ["duplicate", "duplicate"]
    assert len(smart_reads()) == 2


def test_a_duplicate_with_another_value_says_so(client, supply):
    post_reads(client, [item(value="1300")])

    response = post_reads(client, [item(value="1301")])

    assert response.json()[0] == {
        "index": 0,
        "status": "duplicate",
        "reason": "A different reading (1,300) has been received for this moment already.",
    }
    assert [value for _at, value, _quality in smart_reads()] == [1300]


def test_numbers_may_be_sent_as_json_numbers(client, supply):
    response = post_reads(client, [{**item(), "value": 1300.5}])

    assert response.json()[0]["status"] == "accepted"
    assert [str(value) for _at, value, _quality in smart_reads()] == ["1300.500"]


def test_a_bad_item_is_rejected_alone_and_stores_nothing(client, supply):
    response = post_reads(client, [{"meter_serial": serial(1), "value": "lots"}, item()])

    first, second = response.json()
    assert first["status"] == "rejected"
    assert first["reason"] == (
        "obis: Meter 1ESY00000001 has no register “” (it has 1-0:1.8.0).; "
        "read_at: The date of the reading is missing.; value: “lots” is not a number.; "
        "source: “” is not one of smart, operator, customer, agent."
    )
    assert second["status"] == "accepted"
    assert len(smart_reads()) == 1


def test_a_read_in_the_future_or_outside_the_supply_is_rejected(client, supply):
    response = post_reads(client, [item(read_at="2026-07-01"), item(read_at="2025-12-31", value="999")])

    assert [(result["status"], result["reason"]) for result in response.json()] == [
        ("rejected", "The reading cannot be taken in the future."),
        ("rejected", "We do not supply this meter on 12/31/2025."),
    ]
    assert smart_reads() == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"meter_serial": "1ESY00000001"}, "The request body must be a JSON list."),
        ('"reads"', "The request body must be a JSON list."),
        ("not json at all", "The request body must be a JSON list."),
    ],
    ids=["object", "string", "not-json"],
)
def test_a_body_that_is_not_a_list_is_refused_with_422(client, supply, body, message):
    response = post_reads(client, body)

    assert response.status_code == 422
    assert response.json()["errors"] == {"body": message}
    assert smart_reads() == []


def test_items_that_are_not_objects_are_refused_with_422_and_nothing_stored(client, supply):
    response = post_reads(client, [item(), 42])

    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "1"], "msg": "Enter a valid value."}]
    assert smart_reads() == []


def test_more_than_10000_items_are_refused_with_413(client, supply):
    response = post_reads(client, [{}] * 10_001)

    assert response.status_code == 413
    assert response.json() == {"detail": "Send at most 10000 reads per request; split the list."}


def test_10000_items_are_taken(client, supply):
    response = post_reads(client, [{}] * 10_000)

    assert response.status_code == 200
    assert len(response.json()) == 10_000


def test_a_key_without_the_reads_scope_is_refused(client, supply):
    response = post_reads(client, [item()], api_key=key("accounts:read", "customers:write"))

    assert response.status_code == 403
    assert "reads:write" in response.json()["detail"]
    assert smart_reads() == []


def test_no_key_or_a_revoked_key_is_refused(client, supply):
    revoked, plain = api_key_create(name="old", scopes=["reads:write"])
    api_key_revoke(key=revoked)

    assert post_reads(client, [item()], api_key=plain).status_code == 401
    assert client.post("/api/v1/reads", "[]", content_type="application/json").status_code == 401
    assert smart_reads() == []


def test_customers_cannot_deliver_reads_in_bulk(client, supply):
    client.force_login(supply.account.customer.user)

    response = client.post("/api/v1/reads", json.dumps([item()]), content_type="application/json")

    assert response.status_code == 401


def test_the_endpoint_is_documented(client):
    schema = client.get("/api/v1/openapi.json").json()

    operation = schema["paths"]["/api/v1/reads"]["post"]
    assert operation["security"] == [{"ApiKeyAuth": []}]
    assert set(operation["responses"]) >= {"200", "401", "403", "413", "422"}
