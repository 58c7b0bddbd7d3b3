"""POST /api/v1/accounts/{number}/agreements/{id}/termination and the agreements list."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.models import OutboxMessage
from meters.models import Read
from supply.models import ServiceAgreement
from tests.meters.factories import at
from tests.portal.test_api import ENGLISH, as_customer, with_key
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
Status = ServiceAgreement.Status


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(dt.datetime(2026, 6, 30, 18, 0, tzinfo=BERLIN), tick=False):
        yield


@pytest.fixture
def agreement():
    return supplied(start_date=dt.date(2026, 1, 1), start_read="1000", annual="3650", language="en")


def post(client, agreement, body, *, number=None, **headers):
    return client.post(
        f"/api/v1/accounts/{number or agreement.account.number}/agreements/{agreement.pk}/termination",
        body,
        content_type="application/json",
        **headers,
        **ENGLISH,
    )


def test_a_customer_moving_out_ends_their_supply_with_a_final_read(client, agreement):
    body = {"end_date": "2026-06-30", "reason": "move_out", "final_reads": [{"obis": "1-0:1.8.0", "value": "2810"}]}

    response = post(client, agreement, body, **as_customer(client, agreement.account.customer))

    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["id"], data["status"], data["end_date"]) == (agreement.pk, "ENDING", "2026-06-30")
    final = Read.objects.get(register__meter__supply_point=agreement.supply_point, taken_at=at(2026, 7, 1))
    assert (final.value, final.source, final.quality) == (Decimal("2810.000"), "CUSTOMER", "VALID")
    agreement.refresh_from_db()
    assert (agreement.end_channel, agreement.end_requested_by) == ("API", agreement.account.customer.user)
    assert OutboxMessage.objects.filter(template="supply_ending").count() == 1


def test_the_agreements_list_shows_the_end(client, agreement):
    headers = as_customer(client, agreement.account.customer)
    post(client, agreement, {"end_date": "2026-07-31", "reason": "move_out"}, **headers)

    response = client.get(f"/api/v1/accounts/{agreement.account.number}/agreements", **headers)

    (item,) = response.json()
    assert (item["status"], item["end_date"], item["start_date"]) == ("ENDING", "2026-07-31", "2026-01-01")
    assert item["supply_point_id"] == agreement.supply_point.identifier


def test_a_date_before_the_earliest_is_422_naming_the_earliest_date(client, agreement):
    response = post(
        client,
        agreement,
        {"end_date": "2026-09-30", "reason": "notice"},
        **as_customer(client, agreement.account.customer),
    )

    assert response.status_code == 422
    assert "12/31/2026" in response.json()["errors"]["end_date"]
    agreement.refresh_from_db()
    assert agreement.status == Status.ACTIVE


def test_bad_input_is_422_for_every_field_and_saves_nothing(client, agreement):
    body = {"end_date": "30.06.2026", "reason": "bored", "final_reads": [{"obis": "1-0:1.8.0", "value": "lots"}]}

    response = post(client, agreement, body, **as_customer(client, agreement.account.customer))

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"end_date", "reason", "final_reads"}
    agreement.refresh_from_db()
    assert agreement.status == Status.ACTIVE


def test_a_final_read_that_cannot_be_taken_refuses_the_whole_request(client, agreement):
    body = {"end_date": "2026-06-30", "reason": "move_out", "final_reads": [{"obis": "1-0:1.8.0", "value": "900"}]}

    response = post(client, agreement, body, **as_customer(client, agreement.account.customer))

    assert response.status_code == 422
    assert "lower than the previous reading" in response.json()["errors"]["final_reads"]
    agreement.refresh_from_db()
    assert (agreement.status, agreement.end_date) == (Status.ACTIVE, None)
    assert not Read.objects.filter(taken_at=at(2026, 7, 1)).exists()
    assert not OutboxMessage.objects.filter(template="supply_ending").exists()


def test_an_unknown_register_is_refused(client, agreement):
    body = {"end_date": "2026-06-30", "reason": "move_out", "final_reads": [{"obis": "1-0:1.8.1", "value": "2810"}]}

    response = post(client, agreement, body, **as_customer(client, agreement.account.customer))

    assert response.status_code == 422
    assert "1-0:1.8.0" in response.json()["errors"]["final_reads"]


def test_final_reads_for_a_later_end_date_wait_for_that_day(client, agreement):
    body = {"end_date": "2026-07-31", "reason": "move_out", "final_reads": [{"obis": "1-0:1.8.0", "value": "3000"}]}

    response = post(client, agreement, body, **as_customer(client, agreement.account.customer))

    assert response.status_code == 422
    assert "from the end date on" in response.json()["errors"]["final_reads"]


def test_another_customers_supply_is_404(client, agreement):
    other = supplied(2, start_date=dt.date(2026, 1, 1))
    headers = as_customer(client, other.account.customer)

    assert post(client, agreement, {"end_date": "2026-06-30", "reason": "move_out"}, **headers).status_code == 404
    # Their own account number with someone else's agreement id: 404 as well.
    response = post(
        client, agreement, {"end_date": "2026-06-30", "reason": "move_out"}, number=other.account.number, **headers
    )
    assert response.status_code == 404
    agreement.refresh_from_db()
    assert agreement.status == Status.ACTIVE


def test_a_key_needs_supply_write(client, agreement):
    body = {"end_date": "2026-06-30", "reason": "move_out"}

    assert post(client, agreement, body, **with_key("accounts:read")).status_code == 403
    response = post(client, agreement, body, **with_key("supply:write"))

    assert response.status_code == 201, response.content
    agreement.refresh_from_db()
    assert (agreement.end_channel, agreement.end_requested_by) == ("API", None)


def test_without_credentials_is_401(client, agreement):
    assert post(client, agreement, {"end_date": "2026-06-30", "reason": "move_out"}).status_code == 401
