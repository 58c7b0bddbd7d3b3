import json

import pytest
import time_machine

from core.apikeys import api_key_create
from outages.models import Interruption, StatusUpdate
from tests.outages.factories import at, interruption_make, supply_at

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
NOW = at(2026, 6, 10, 10)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def with_key(*scopes: str) -> dict:
    _key, plain = api_key_create(name="network operator", scopes=list(scopes))
    return {"HTTP_X_API_KEY": plain, **ENGLISH}


def body(**overrides) -> dict:
    return {
        "utility": "electricity",
        "planned": False,
        "cause": "grid_fault",
        "postcodes": ["10115"],
        "supply_point_ids": [],
        "started_at": "2026-06-10T08:00:00+02:00",
        "expected_end_at": "2026-06-10T12:00:00+02:00",
        "ended_at": None,
        "reference": "NB-4711",
        **overrides,
    }


def post(client, payload, headers):
    return client.post("/api/v1/interruptions", json.dumps(payload), content_type="application/json", **headers)


def test_the_network_operator_logs_an_interruption_once_per_reference(client):
    supply_at(1, postcode="10115")
    named = supply_at(2, postcode="80331")
    headers = with_key("interruptions:write")

    first = post(client, body(supply_point_ids=[named.supply_point.identifier]), headers)
    again = post(client, body(postcodes=["99999"]), headers)

    assert first.status_code == 201, first.content
    interruption = Interruption.objects.get()
    assert first.json() == {"id": interruption.pk, "customers_affected": 2}
    assert again.status_code == 200
    assert again.json() == first.json()
    assert interruption.postcodes == ["10115"]
    assert (interruption.source, interruption.status) == (Interruption.Source.API, Interruption.Status.INVESTIGATING)


def test_a_key_without_the_scope_is_refused_and_nothing_is_saved(client):
    refused = post(client, body(), with_key("orders:write"))
    anonymous = post(client, body(), ENGLISH)

    assert refused.status_code == 403
    assert "interruptions:write" in refused.json()["detail"]
    assert anonymous.status_code == 401
    assert not Interruption.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"utility": "steam"}, "utility"),
        ({"planned": "yes"}, "planned"),
        ({"cause": "aliens"}, "cause"),
        ({"postcodes": "10115"}, "postcodes"),
        ({"postcodes": ["<script>"]}, "postcodes"),
        ({"postcodes": [], "supply_point_ids": []}, "postcodes"),
        ({"supply_point_ids": ["12345678901"]}, "supply_point_ids"),
        ({"started_at": "2026-06-10T08:00:00"}, "started_at"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": None}, "started_at"),
        ({"expected_end_at": "2026-06-10T07:00:00+02:00"}, "expected_end_at"),
        ({"ended_at": "2026-06-11T08:00:00+02:00"}, "ended_at"),
    ],
)
def test_bad_input_is_422_by_field_and_saves_nothing(client, overrides, field):
    response = post(client, body(**overrides), with_key("interruptions:write"))

    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not Interruption.objects.exists()


def test_a_status_update_and_the_restoration_through_patch(client):
    supply_at(1, postcode="10115")
    headers = with_key("interruptions:write")
    interruption_id = post(client, body(), headers).json()["id"]
    url = f"/api/v1/interruptions/{interruption_id}"

    crew = client.patch(
        url, json.dumps({"status": "crew_on_site", "note": "Cable found"}), "application/json", **headers
    )
    done = client.patch(url, json.dumps({"ended_at": "2026-06-10T09:30:00+02:00"}), "application/json", **headers)
    bad = client.patch(url, json.dumps({"status": "fixed"}), "application/json", **headers)
    missing = client.patch("/api/v1/interruptions/999999", json.dumps({"note": "x"}), "application/json", **headers)
    refused = client.patch(url, json.dumps({"note": "x"}), "application/json", **with_key("orders:write"))

    assert crew.status_code == 200 and crew.json()["status"] == "crew_on_site"
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["ended_at"]) == ("restored", "2026-06-10T07:30:00Z")
    assert bad.status_code == 422 and "status" in bad.json()["errors"]
    assert missing.status_code == 404
    assert refused.status_code == 403
    assert list(StatusUpdate.objects.filter(interruption_id=interruption_id).values_list("status", flat=True)) == [
        "INVESTIGATING",
        "CREW_ON_SITE",
        "RESTORED",
    ]


def test_the_public_list_shows_current_and_planned_interruptions_without_personal_data(client):
    named = supply_at(1, postcode="80331")
    nearby = supply_at(2, postcode="10115")
    interruption_make(postcodes=[], supply_points=[named.supply_point], started_at=at(2026, 6, 10, 8), now=NOW)
    interruption_make(planned=True, cause="MAINTENANCE", postcodes=["10115"], started_at=at(2026, 6, 20, 8), now=NOW)
    interruption_make(postcodes=["10115"], started_at=at(2026, 6, 9, 8), ended_at=at(2026, 6, 9, 9), now=NOW)
    interruption_make(postcodes=["10115"], utility="GAS", started_at=at(2026, 6, 10, 9), now=NOW)

    everything = client.get("/api/v1/interruptions", **ENGLISH)
    in_80331 = client.get("/api/v1/interruptions?postcode=80331&utility=electricity&active=true", **ENGLISH)
    active = client.get("/api/v1/interruptions?utility=electricity&active=true", **ENGLISH)
    bad = client.get("/api/v1/interruptions?utility=steam", **ENGLISH)

    assert everything.status_code == 200
    rows = everything.json()
    assert [(row["utility"], row["planned"], row["status"]) for row in rows] == [
        ("electricity", False, "investigating"),
        ("gas", False, "investigating"),
        ("electricity", True, "planned"),
    ]
    assert set(rows[0]) == {
        "utility",
        "planned",
        "cause",
        "postcodes",
        "started_at",
        "expected_end_at",
        "status",
        "in_progress",
    }
    assert rows[0]["cause"] == "Grid fault" and rows[0]["postcodes"] == ["80331"]
    text = everything.content.decode()
    for agreement in (named, nearby):
        customer = agreement.account.customer
        for personal in (
            agreement.account.number,
            customer.last_name,
            customer.email,
            agreement.supply_point.identifier,
        ):
            assert personal not in text
    assert [(row["postcodes"], row["started_at"]) for row in in_80331.json()] == [(["80331"], "2026-06-10T06:00:00Z")]
    assert [row["planned"] for row in active.json()] == [False]
    assert bad.status_code == 422
