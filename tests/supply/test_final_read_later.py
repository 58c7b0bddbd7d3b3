"""The final reading given after the request to end supply, and the reminder
when it is missing."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from core.models import OutboxMessage
from meters.models import Read
from supply import tasks
from supply.models import ServiceAgreement
from supply.services.termination import agreement_terminate, final_read_reminders_send
from tests.meters.factories import at, register_of
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
END = dt.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def wait(settings):
    settings.FINAL_READ_WAIT_DAYS = 7


@pytest.fixture
def agreement():
    """Electricity from 2026-01-01, ending on 2026-06-30 (asked for on 2026-06-10)."""
    agreement = supplied(start_date=dt.date(2026, 1, 1), start_read="1000", annual="3650", language="en")
    Read.objects.create(register=register_of(agreement), taken_at=at(2026, 6, 1), value=Decimal("2510"), source="SMART")
    with time_machine.travel(dt.datetime(2026, 6, 10, 10, 0, tzinfo=BERLIN), tick=False):
        return agreement_terminate(
            agreement=agreement, end_date=END, reason="MOVE_OUT", channel="PORTAL", as_of=dt.date(2026, 6, 10)
        )


@pytest.fixture
def customer_client(client, agreement):
    client.force_login(agreement.account.customer.user)
    client.cookies["portal_language"] = "en"
    with time_machine.travel(dt.datetime(2026, 7, 2, 9, 0, tzinfo=BERLIN), tick=False):
        yield client


def page(agreement):
    return reverse("end_supply_final_read", kwargs={"agreement_id": agreement.pk})


def final_reads():
    return Read.objects.filter(taken_at=at(2026, 7, 1))


def test_the_page_asks_for_the_reading_on_the_move_out_date(customer_client, agreement):
    response = customer_client.get(page(agreement))

    assert response.status_code == 200
    assert "Meter reading on your move-out date 06/30/2026" in response.content.decode()


def test_a_final_reading_is_stored_for_the_end_of_the_end_date_with_its_verdict(customer_client, agreement):
    response = customer_client.post(page(agreement), {"read-1-0:1.8.0": "2.810,5"}, follow=True)

    (read,) = final_reads()
    assert (read.value, read.source) == (Decimal("2810.500"), Read.Source.CUSTOMER)
    assert "Thank you, your reading is saved" in response.content.decode()


def test_an_empty_or_mistyped_reading_saves_nothing(customer_client, agreement):
    empty = customer_client.post(page(agreement), {"read-1-0:1.8.0": ""})
    typo = customer_client.post(page(agreement), {"read-1-0:1.8.0": "28x0"})

    assert "Please enter at least one meter reading." in empty.content.decode()
    assert "Please enter the meter reading as a number" in typo.content.decode()
    assert not final_reads().exists()


def test_a_reading_before_the_end_date_is_refused(client, agreement):
    client.force_login(agreement.account.customer.user)
    client.cookies["portal_language"] = "en"
    with time_machine.travel(dt.datetime(2026, 6, 20, 9, 0, tzinfo=BERLIN), tick=False):
        response = client.post(page(agreement), {"read-1-0:1.8.0": "2810"})

    assert "You can give the final reading from the end date on, 06/30/2026." in response.content.decode()
    assert not final_reads().exists()


def test_an_unlikely_reading_is_stored_only_once_confirmed(customer_client, agreement):
    first = customer_client.post(page(agreement), {"read-1-0:1.8.0": "99000"})
    assert 'data-testid="confirm-suspect"' in first.content.decode()
    assert not final_reads().exists()

    customer_client.post(page(agreement), {"read-1-0:1.8.0": "99000", "confirm_suspect": "on"})

    assert final_reads().get().value == Decimal("99000")


def test_another_customers_or_a_running_supply_is_not_found(customer_client, agreement):
    other = supplied(n=2, start_date=dt.date(2026, 1, 1))
    ServiceAgreement.objects.filter(pk=other.pk).update(status="ENDING", end_date=END)

    assert customer_client.get(page(other)).status_code == 404
    assert customer_client.post(page(other), {"read-1-0:1.8.0": "2810"}).status_code == 404
    ServiceAgreement.objects.filter(pk=agreement.pk).update(status="ACTIVE", end_date=None)
    assert customer_client.get(page(agreement)).status_code == 404
    assert not final_reads().exists()


def test_the_confirmation_and_the_supply_card_link_to_the_page(customer_client, agreement):
    confirmation = OutboxMessage.objects.get(template="supply_ending")
    home = customer_client.get(reverse("home")).content.decode()

    assert page(agreement) in confirmation.body
    assert f'href="{page(agreement)}"' in home


# --- The reminder ---------------------------------------------------------------------------------


def reminders():
    return OutboxMessage.objects.filter(template="final_read_reminder")


def test_a_missing_final_reading_is_reminded_once_a_few_days_before_the_estimate(agreement):
    assert final_read_reminders_send(as_of=dt.date(2026, 7, 4)) == []
    with time_machine.travel(dt.datetime(2026, 7, 5, 0, 45, tzinfo=BERLIN), tick=False):
        tasks.estimate_final_reads()
    again = final_read_reminders_send(as_of=dt.date(2026, 7, 6))

    (reminder,) = reminders()
    assert again == []
    assert page(agreement) in reminder.body
    assert "07/08/2026" in reminder.body
    assert not Read.objects.filter(source=Read.Source.ESTIMATED).exists()


def test_no_reminder_when_the_final_reading_is_in_or_already_estimated(agreement):
    Read.objects.create(
        register=register_of(agreement), taken_at=at(2026, 7, 1), value=Decimal("2810"), source="CUSTOMER"
    )

    assert final_read_reminders_send(as_of=dt.date(2026, 7, 5)) == []
    Read.objects.all().filter(taken_at=at(2026, 7, 1)).delete()
    assert final_read_reminders_send(as_of=dt.date(2026, 7, 8)) == []
    assert not reminders().exists()
