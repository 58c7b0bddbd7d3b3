"""The "Moving house" pages: end at the old address on E and start at the new
one on E+1 in one request, for a customer and for an agent with a caller."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from core.models import OutboxMessage
from supply.models import ServiceAgreement
from tests.accounts.factories import staff_user
from tests.supply.factories import market_location_id, supplied

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
Status = ServiceAgreement.Status
MOVE = reverse("supply:move")
CHECK = reverse("supply:move_check")


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(dt.datetime(2026, 6, 10, 10, 0, tzinfo=BERLIN), tick=False):
        yield


@pytest.fixture
def old_supply():
    return supplied(start_date=dt.date(2026, 1, 1), start_read="1000", annual="3650", language="en")


@pytest.fixture
def customer_client(client, old_supply):
    client.force_login(old_supply.account.customer.user)
    client.cookies["portal_language"] = "en"
    return client


def payload(agreement, **overrides) -> dict:
    data = {
        "agreement_ids": [str(agreement.pk)],
        "move_out_date": "2026-06-30",
        "account": str(agreement.account.pk),
        "street": "Bergmannstraße",
        "house_number": "5",
        "address_extra": "",
        "postcode": "10961",
        "city": "Berlin",
        "utilities": ["ELECTRICITY"],
        "electricity-supply_point_id": market_location_id(4711),
        "electricity-meter_serial": "1ESY1160999999",
        "electricity-meter_kind": "CONVENTIONAL",
        "electricity-rate": "SINGLE",
        "electricity-read_1_0_1_8_0": "500",
        "electricity-expected_annual_consumption": "2500",
        "electricity-tariff": str(agreement.tariff.pk),
        "action": "check",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def nothing_saved(old_supply):
    old_supply.refresh_from_db()
    assert old_supply.status == Status.ACTIVE
    assert ServiceAgreement.objects.count() == 1
    assert not OutboxMessage.objects.filter(template__in=["supply_ending", "supply_requested"]).exists()


def test_a_customer_moves_house_in_one_request_after_checking(customer_client, old_supply):
    response = customer_client.post(MOVE, payload(old_supply))
    assert (response.status_code, response.url) == (302, CHECK)
    nothing_saved(old_supply)

    check = customer_client.get(CHECK).content.decode()
    assert "Supply at the old address ends on 06/30/2026" in check
    assert "Supply at the new address starts on 07/01/2026" in check
    sent = customer_client.post(CHECK, follow=True)

    old_supply.refresh_from_db()
    new = ServiceAgreement.objects.exclude(pk=old_supply.pk).get()
    assert (old_supply.status, old_supply.end_date, old_supply.end_channel) == (
        Status.ENDING,
        dt.date(2026, 6, 30),
        "PORTAL",
    )
    assert (new.status, new.start_date, new.start_reason) == (Status.REQUESTED, dt.date(2026, 7, 1), "MOVE_IN")
    assert new.supply_point.premise.street == "Bergmannstraße"
    assert "starts at the new one on 07/01/2026" in sent.content.decode()
    assert set(OutboxMessage.objects.values_list("template", flat=True)) >= {"supply_ending", "supply_requested"}


def test_the_page_asks_for_the_new_address_without_asking_for_a_start(customer_client, old_supply):
    page = customer_client.get(MOVE).content.decode()
    questions = customer_client.post(MOVE, payload(old_supply, action="refresh")).content.decode()

    assert 'name="move_out_date"' in page
    assert 'value="Bergmannstraße"' not in page
    assert 'name="electricity-meter_serial"' in questions
    assert 'name="electricity-start_date"' not in questions


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"move_out_date": ""}, "Please enter the move-out date."),
        ({"move_out_date": "2026-03-01"}, "at most 42 days in the past"),
        ({"agreement_ids": None}, "Please choose the supply to end at your old address."),
        ({"electricity-supply_point_id": "12345"}, "MaLo"),
        ({"electricity-read_1_0_1_8_0": ""}, "Please enter the meter reading."),
        ({"utilities": None}, "Please choose at least one utility."),
    ],
)
def test_bad_input_saves_nothing_and_says_why(customer_client, old_supply, overrides, message):
    response = customer_client.post(MOVE, payload(old_supply, **overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    nothing_saved(old_supply)


def test_the_new_supply_point_must_not_be_the_old_one(customer_client, old_supply):
    response = customer_client.post(
        MOVE, payload(old_supply, **{"electricity-supply_point_id": old_supply.supply_point.identifier})
    )

    assert "Please correct the marked fields." in response.content.decode()
    nothing_saved(old_supply)


def test_another_customers_supply_cannot_be_ended(customer_client, old_supply):
    other = supplied(n=2, start_date=dt.date(2026, 1, 1))

    response = customer_client.post(MOVE, payload(old_supply, agreement_ids=[str(other.pk)]))

    assert response.status_code == 200
    assert ServiceAgreement.objects.get(pk=other.pk).status == Status.ACTIVE
    assert ServiceAgreement.objects.count() == 2


def test_the_dashboard_and_the_end_supply_page_link_to_the_move(customer_client):
    assert f'href="{MOVE}"' in customer_client.get(reverse("home")).content.decode()
    assert f'href="{MOVE}"' in customer_client.get(reverse("end_supply")).content.decode()


def test_an_agent_moves_a_caller_and_records_the_channel(client, old_supply):
    agent = staff_user()
    client.force_login(agent)
    client.cookies["portal_language"] = "en"
    kwargs = {"customer_id": old_supply.account.customer.pk}
    form_url = reverse("staff:supply_move", kwargs=kwargs)

    missing = client.post(form_url, payload(old_supply))
    assert "This field is required." in missing.content.decode()
    nothing_saved(old_supply)
    response = client.post(form_url, payload(old_supply, channel="PHONE"))
    assert response.url == reverse("staff:supply_move_check", kwargs=kwargs)
    client.post(response.url)

    old_supply.refresh_from_db()
    assert (old_supply.status, old_supply.end_channel, old_supply.end_requested_by) == (Status.ENDING, "PHONE", agent)
    assert ServiceAgreement.objects.get(start_date=dt.date(2026, 7, 1)).status == Status.REQUESTED


def test_an_agent_without_the_permission_is_refused(client, old_supply):
    client.force_login(staff_user(email="viewer@example.com", group=None))

    response = client.get(reverse("staff:supply_move", kwargs={"customer_id": old_supply.account.customer.pk}))

    assert response.status_code == 403
