"""The "End supply / moving out" pages: a customer's own, and an agent's for a caller."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from core.models import OutboxMessage
from meters.models import Read
from supply.models import ServiceAgreement
from tests.accounts.factories import staff_user
from tests.meters.factories import at
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


@pytest.fixture
def customer_client(client, agreement):
    client.force_login(agreement.account.customer.user)
    client.cookies["portal_language"] = "en"
    return client


def form_data(agreement, **overrides):
    data = {"agreement_ids": [str(agreement.pk)], "reason": "MOVE_OUT", "end_date": "2026-06-30"}
    data.update(overrides)
    return data


def test_the_form_shows_the_earliest_end_dates(customer_client, agreement):
    response = customer_client.get(reverse("end_supply"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "at the earliest on 12/31/2026" in page
    assert "any day from 05/19/2026" in page


def test_a_customer_moves_out_with_a_final_read_after_checking(customer_client, agreement):
    response = customer_client.post(
        reverse("end_supply"), form_data(agreement, **{f"read-{agreement.pk}-1-0:1.8.0": "2,810"})
    )
    assert response.status_code == 302
    assert response.url == reverse("end_supply_check")
    assert ServiceAgreement.objects.get(pk=agreement.pk).status == Status.ACTIVE  # nothing saved before the check

    check = customer_client.get(reverse("end_supply_check"))
    assert "06/30/2026" in check.content.decode()
    response = customer_client.post(reverse("end_supply_check"))

    assert response.status_code == 302
    agreement.refresh_from_db()
    assert (agreement.status, agreement.end_date, agreement.end_channel) == (
        Status.ENDING,
        dt.date(2026, 6, 30),
        "PORTAL",
    )
    final = Read.objects.get(taken_at=at(2026, 7, 1))
    assert (final.value, final.source) == (Decimal("2810.000"), "CUSTOMER")
    assert OutboxMessage.objects.filter(template="supply_ending").count() == 1
    home = customer_client.get(reverse("home")).content.decode()
    assert "Ending on 06/30/2026" in home


def test_a_reading_that_cannot_be_right_gets_its_verdict_at_once_and_nothing_is_saved(customer_client, agreement):
    response = customer_client.post(
        reverse("end_supply"), form_data(agreement, **{f"read-{agreement.pk}-1-0:1.8.0": "900"})
    )

    assert response.status_code == 200
    assert "lower than the previous reading" in response.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == Status.ACTIVE
    assert not Read.objects.filter(taken_at=at(2026, 7, 1)).exists()
    assert not OutboxMessage.objects.filter(template="supply_ending").exists()


def test_a_suspect_reading_is_asked_to_be_confirmed(customer_client, agreement):
    data = form_data(agreement, **{f"read-{agreement.pk}-1-0:1.8.0": "9000"})

    response = customer_client.post(reverse("end_supply"), data)

    assert 'data-testid="confirm-suspect"' in response.content.decode()
    assert 'name="confirm_suspect"' in response.content.decode()
    assert "much higher than expected" in response.content.decode()
    response = customer_client.post(reverse("end_supply"), {**data, "confirm_suspect": "on"})
    assert response.status_code == 302


def test_a_date_before_the_earliest_is_refused_naming_it(customer_client, agreement):
    response = customer_client.post(reverse("end_supply"), form_data(agreement, reason="NOTICE"))

    assert response.status_code == 200
    assert "the earliest possible end date is 12/31/2026" in response.content.decode()
    assert ServiceAgreement.objects.get(pk=agreement.pk).status == Status.ACTIVE


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"agreement_ids": []}, "Please choose the supply to end."),
        ({"reason": "BORED"}, "Select a valid choice."),
        ({"end_date": "soon"}, "Please enter a date."),
        ({"end_date": ""}, "Please enter the last day of supply."),
        ({"read-0-1-0:1.8.0": "x"}, None),
    ],
)
def test_bad_input_gets_a_message_and_saves_nothing(customer_client, agreement, overrides, message):
    if message is None:
        overrides, message = {f"read-{agreement.pk}-1-0:1.8.0": "a lot"}, "Please enter the meter reading as a number"

    response = customer_client.post(reverse("end_supply"), form_data(agreement, **overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert ServiceAgreement.objects.get(pk=agreement.pk).status == Status.ACTIVE


def test_another_customers_supply_cannot_be_ended(customer_client, agreement):
    other = supplied(2, start_date=dt.date(2026, 1, 1))

    page = customer_client.get(reverse("end_supply")).content.decode()
    response = customer_client.post(reverse("end_supply"), form_data(other))

    assert f"agreement-{other.pk}" not in page
    assert response.status_code == 200
    assert ServiceAgreement.objects.get(pk=other.pk).status == Status.ACTIVE


def test_an_agent_ends_supply_for_a_caller(client, agreement):
    agent = staff_user()
    client.force_login(agent)
    client.cookies["portal_language"] = "en"
    customer = agreement.account.customer
    form_url = reverse("staff:end_supply", kwargs={"customer_id": customer.pk})
    check_url = reverse("staff:end_supply_check", kwargs={"customer_id": customer.pk})

    assert client.post(form_url, form_data(agreement, channel="PHONE")).status_code == 302
    response = client.post(check_url)

    assert response.status_code == 302
    agreement.refresh_from_db()
    assert (agreement.status, agreement.end_channel, agreement.end_requested_by) == (Status.ENDING, "PHONE", agent)


def test_an_agent_must_say_how_the_customer_asked(client, agreement):
    client.force_login(staff_user())
    form_url = reverse("staff:end_supply", kwargs={"customer_id": agreement.account.customer.pk})

    assert client.post(form_url, form_data(agreement)).status_code == 200
    assert ServiceAgreement.objects.get(pk=agreement.pk).status == Status.ACTIVE


def test_a_customer_cannot_open_the_agents_page(customer_client, agreement):
    form_url = reverse("staff:end_supply", kwargs={"customer_id": agreement.account.customer.pk})

    assert customer_client.get(form_url).status_code in (302, 403, 404)


def representative(agreement, *, scopes, valid_until=None):
    from accounts.models import Representative

    return Representative.objects.create(
        account=agreement.account,
        name="Hanna Hausverwaltung",
        kind=Representative.Kind.PROPERTY_MANAGER,
        scopes=scopes,
        valid_until=valid_until,
    )


def test_the_end_of_supply_is_in_the_customers_change_log(customer_client, agreement):
    from accounts.models import CustomerChange

    customer_client.post(reverse("end_supply"), form_data(agreement))
    customer_client.post(reverse("end_supply_check"))

    change = CustomerChange.objects.get(customer=agreement.account.customer, field="supply_end")
    assert (change.requested_by, change.channel, change.account) == ("CUSTOMER", "PORTAL", agreement.account)
    assert "06/30/2026" in change.new and change.old == ""
    assert customer_client.get(reverse("profile")).content.decode().count("06/30/2026") >= 1


def test_an_agent_ends_supply_for_a_representative_with_the_scope(client, agreement):
    from accounts.models import CustomerChange

    manager = representative(agreement, scopes=["END_SUPPLY"])
    agent = staff_user()
    client.force_login(agent)
    client.cookies["portal_language"] = "en"
    customer = agreement.account.customer
    form_url = reverse("staff:end_supply", kwargs={"customer_id": customer.pk})
    check_url = reverse("staff:end_supply_check", kwargs={"customer_id": customer.pk})

    assert "Hanna Hausverwaltung" in client.get(form_url).content.decode()
    assert client.post(form_url, form_data(agreement, channel="LETTER", representative=manager.pk)).status_code == 302
    assert "Hanna Hausverwaltung" in client.get(check_url).content.decode()
    assert client.post(check_url).status_code == 302

    assert ServiceAgreement.objects.get(pk=agreement.pk).status == Status.ENDING
    change = CustomerChange.objects.get(customer=customer, field="supply_end")
    assert (change.requested_by, change.representative, change.by, change.channel) == (
        "REPRESENTATIVE",
        manager,
        agent,
        "LETTER",
    )


@pytest.mark.parametrize(
    ("scopes", "valid_until"),
    [(["SEE", "CHANGE_CONTACT"], None), (["END_SUPPLY"], dt.date(2026, 6, 1))],
    ids=["without-the-scope", "expired"],
)
def test_a_representative_without_the_scope_cannot_end_supply(client, agreement, scopes, valid_until):
    from accounts.models import CustomerChange

    manager = representative(agreement, scopes=scopes, valid_until=valid_until)
    client.force_login(staff_user())
    client.cookies["portal_language"] = "en"
    form_url = reverse("staff:end_supply", kwargs={"customer_id": agreement.account.customer.pk})

    response = client.post(form_url, form_data(agreement, channel="PHONE", representative=manager.pk))

    assert response.status_code == 200
    assert "Hanna Hausverwaltung may not end the supply for the customer." in response.content.decode()
    assert ServiceAgreement.objects.get(pk=agreement.pk).status == Status.ACTIVE
    assert not CustomerChange.objects.exists()
    assert not OutboxMessage.objects.filter(template="supply_ending").exists()
