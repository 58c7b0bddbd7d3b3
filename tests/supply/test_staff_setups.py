"""Agents work the supply set-up queue: confirm, correct, reject; and see
supplies on the customer page."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import OutboxMessage
from meters.models import Read
from meters.services import read_record
from supply.models import ServiceAgreement
from tests.accounts.factories import AccountFactory, staff_user
from tests.supply.factories import agreement_confirmed, agreement_requested, tariff_make

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
QUEUE = reverse("staff:setups")
Status = ServiceAgreement.Status


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, 0, tzinfo=BERLIN), tick=False):
        yield


@pytest.fixture
def agent():
    return staff_user()


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    client.cookies["portal_language"] = "en"
    return client


@pytest.fixture
def tariff():
    return tariff_make(code="STROM-BASIS", name_de="Strom Basis", name_en="Electricity Basic")


def requested(n, *, tariff, customer_language="en", **options):
    account = AccountFactory(customer__language=customer_language, customer__email=f"kunde{n}@example.com")
    return agreement_requested(account=account, tariff=tariff, n=n, **options)


# --- Permissions --------------------------------------------------------------------


def test_visitors_are_sent_to_sign_in(client, tariff):
    agreement = requested(1, tariff=tariff)
    for url in (QUEUE, reverse("staff:setup_correct", args=[agreement.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]
    assert client.post(reverse("staff:setup_confirm", args=[agreement.pk])).status_code == 302
    assert ServiceAgreement.objects.get().status == Status.REQUESTED


def test_customers_may_not_work_the_queue(client, tariff):
    agreement = requested(1, tariff=tariff)
    client.force_login(agreement.account.customer.user)

    assert client.get(QUEUE).status_code == 403
    assert client.post(reverse("staff:setup_confirm", args=[agreement.pk])).status_code == 403
    assert client.post(reverse("staff:setup_reject", args=[agreement.pk]), {"reason": "no"}).status_code == 403
    assert client.post(reverse("staff:setup_correct", args=[agreement.pk]), {}).status_code == 403
    assert ServiceAgreement.objects.get().status == Status.REQUESTED


def test_staff_without_the_permission_are_refused(client, tariff):
    agreement = requested(1, tariff=tariff)
    client.force_login(staff_user(email="it@example.com", group=None))

    assert client.get(QUEUE).status_code == 403
    assert client.post(reverse("staff:setup_confirm", args=[agreement.pk])).status_code == 403


def test_the_agents_group_has_the_queue_permissions(agent):
    assert agent.has_perm("supply.view_serviceagreement")
    assert agent.has_perm("supply.change_serviceagreement")
    assert agent.has_perm("supply.view_tariff")


# --- The queue ------------------------------------------------------------------------


def test_the_queue_lists_requests_oldest_first_with_everything_needed(agent_client, tariff):
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=BERLIN), tick=False):
        older = requested(1, tariff=tariff, start_reads={"1-0:1.8.0": Decimal("4711.5")})
    newer = requested(2, tariff=tariff)
    confirmed = agreement_confirmed(tariff=tariff, n=3)

    response = agent_client.get(QUEUE)

    assert response.status_code == 200
    assert response.context["pending"] == [older, newer]
    assert response.context["confirmed"] == [confirmed]
    body = response.content.decode()
    assert older.account.customer.display_name in body
    assert older.account.number in body
    assert older.supply_point.identifier in body
    assert "1ESY00000001" in body  # the meter
    assert "4711.5" in body  # the start read
    assert "Electricity Basic" in body
    assert 'data-testid="setups-count">2<' in body  # the count in the navigation


def test_the_queue_has_no_n_plus_1(agent_client, tariff, django_assert_max_num_queries):
    for n in range(1, 10):
        requested(n, tariff=tariff)
    for n in range(10, 13):
        agreement_confirmed(tariff=tariff, n=n)

    # 12 for the page, 3 for the navigation's held-bill, bank-line and arrears-decision counts.
    with django_assert_max_num_queries(16):
        response = agent_client.get(QUEUE)

    assert len(response.context["pending"]) == 9
    assert len(response.context["confirmed"]) == 3


def test_agents_confirm_a_request(agent_client, tariff):
    agreement = requested(1, tariff=tariff)

    response = agent_client.post(reverse("staff:setup_confirm", args=[agreement.pk]))

    assert response["Location"] == QUEUE
    agreement.refresh_from_db()
    assert agreement.status == Status.CONFIRMED
    assert agreement.confirmed_at is not None
    assert agreement.history.first().history_user.email == "agent@example.com"
    follow = agent_client.get(QUEUE)
    assert follow.context["pending"] == []
    assert follow.context["confirmed"] == [agreement]


def test_confirming_needs_a_post(agent_client, tariff):
    agreement = requested(1, tariff=tariff)

    assert agent_client.get(reverse("staff:setup_confirm", args=[agreement.pk])).status_code == 405
    assert ServiceAgreement.objects.get().status == Status.REQUESTED


def test_confirming_a_rejected_request_says_why_not(agent_client, tariff):
    agreement = requested(1, tariff=tariff)
    agent_client.post(reverse("staff:setup_reject", args=[agreement.pk]), {"reason": "Wrong address."})

    response = agent_client.post(reverse("staff:setup_confirm", args=[agreement.pk]), follow=True)

    assert "A rejected agreement cannot become confirmed." in response.content.decode()
    assert ServiceAgreement.objects.get().status == Status.REJECTED


def test_an_unknown_agreement_is_404(agent_client):
    assert agent_client.post(reverse("staff:setup_confirm", args=[999])).status_code == 404


# --- Correct -------------------------------------------------------------------------------


def test_agents_correct_a_request_and_confirm_it(agent_client, tariff):
    other = tariff_make(code="STROM-OEKO", name_de="Strom Öko", name_en="Green power")
    agreement = requested(1, tariff=tariff)
    url = reverse("staff:setup_correct", args=[agreement.pk])

    page = agent_client.get(url)
    assert page.status_code == 200
    assert page.context["form"]["read_1_0_1_8_0"].value() == "1234.5"

    response = agent_client.post(
        url,
        {
            "tariff": other.pk,
            "start_date": "2026-12-15",
            "read_1_0_1_8_0": "1300",
            "expected_annual_consumption": "3100",
        },
    )

    assert response["Location"] == QUEUE
    agreement.refresh_from_db()
    assert agreement.status == Status.CONFIRMED
    assert agreement.tariff == other
    assert agreement.start_date == dt.date(2026, 12, 15)
    assert agreement.start_reads == {"1-0:1.8.0": "1300"}
    assert agreement.expected_annual_consumption == Decimal("3100")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("start_date", "2026-09-01", "at most 42 days in the past"),
        ("read_1_0_1_8_0", "-1", "greater than or equal to 0"),
        ("tariff", "999999", "Select a valid choice"),
    ],
)
def test_a_bad_correction_changes_nothing(agent_client, tariff, field, value, message):
    agreement = requested(1, tariff=tariff)
    data = {"tariff": tariff.pk, "start_date": "2026-12-01", "read_1_0_1_8_0": "1234.5", field: value}

    response = agent_client.post(reverse("staff:setup_correct", args=[agreement.pk]), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == Status.REQUESTED
    assert agreement.start_date == dt.date(2026, 12, 1)


def test_a_tariff_of_another_utility_cannot_be_chosen(agent_client, tariff):
    water = tariff_make(code="WASSER", utility="WATER", name_de="Wasser", name_en="Water")
    agreement = requested(1, tariff=tariff)

    response = agent_client.post(
        reverse("staff:setup_correct", args=[agreement.pk]),
        {"tariff": water.pk, "start_date": "2026-12-01", "read_1_0_1_8_0": "1"},
    )

    assert response.status_code == 200
    assert ServiceAgreement.objects.get().tariff == tariff


def test_a_correction_that_overlaps_another_agreement_is_refused(agent_client, tariff):
    first = requested(1, tariff=tariff, start_date=dt.date(2026, 12, 1))
    ServiceAgreement.objects.filter(pk=first.pk).update(end_date=dt.date(2026, 12, 31))
    second = requested(2, tariff=tariff, start_date=dt.date(2027, 1, 1))
    # The second request is for the same supply point from January.
    ServiceAgreement.objects.filter(pk=second.pk).update(supply_point=first.supply_point)

    response = agent_client.post(
        reverse("staff:setup_correct", args=[second.pk]),
        {"tariff": tariff.pk, "start_date": "2026-12-20", "read_1_0_1_8_0": "1"},
    )

    assert response.status_code == 200
    assert "already supplied for (part of) this time" in response.content.decode()
    second.refresh_from_db()
    assert (second.start_date, second.status) == (dt.date(2027, 1, 1), Status.REQUESTED)


def test_an_active_agreement_cannot_be_corrected(agent_client, tariff):
    agreement = requested(1, tariff=tariff)
    ServiceAgreement.objects.filter(pk=agreement.pk).update(status=Status.ACTIVE)

    response = agent_client.get(reverse("staff:setup_correct", args=[agreement.pk]), follow=True)

    assert "Only requested or confirmed agreements can be corrected." in response.content.decode()


# --- Reject --------------------------------------------------------------------------------


def test_rejecting_asks_for_a_reason_first(agent_client, tariff):
    agreement = requested(1, tariff=tariff)
    url = reverse("staff:setup_reject", args=[agreement.pk])

    page = agent_client.get(url)
    assert page.status_code == 200
    assert "The customer receives this reason by e-mail." in page.content.decode()

    response = agent_client.post(url, {"reason": "   "})

    assert response.status_code == 200
    assert "Please give the customer a reason." in response.content.decode()
    assert ServiceAgreement.objects.get().status == Status.REQUESTED
    assert not OutboxMessage.objects.filter(template="supply_rejected").exists()


def test_a_rejection_tells_the_customer_the_reason(agent_client, tariff):
    agreement = requested(1, tariff=tariff, customer_language="de")

    response = agent_client.post(
        reverse("staff:setup_reject", args=[agreement.pk]),
        {"reason": "Die Marktlokation gehört zu einer anderen Adresse."},
    )

    assert response["Location"] == QUEUE
    agreement.refresh_from_db()
    assert agreement.status == Status.REJECTED
    assert agreement.rejection_reason == "Die Marktlokation gehört zu einer anderen Adresse."
    message = OutboxMessage.objects.get(template="supply_rejected")
    assert message.to_address == "kunde1@example.com"
    assert message.language == "de"
    assert "Die Marktlokation gehört zu einer anderen Adresse." in message.body
    assert agreement.supply_point.identifier in message.body


def test_a_rejected_request_cannot_be_rejected_again(agent_client, tariff):
    agreement = requested(1, tariff=tariff)
    url = reverse("staff:setup_reject", args=[agreement.pk])
    agent_client.post(url, {"reason": "No."})

    response = agent_client.post(url, {"reason": "Again."}, follow=True)

    assert "A rejected agreement cannot become rejected." in response.content.decode()
    assert OutboxMessage.objects.filter(template="supply_rejected").count() == 1


# --- The customer page -------------------------------------------------------------------


def test_the_customer_page_shows_supplies_with_meter_reads_and_history(agent_client, tariff):
    agreement = requested(1, tariff=tariff)
    register = agreement.supply_point.meters.get().registers.get()
    read_record(
        register=register,
        taken_at=dt.datetime(2026, 11, 1, tzinfo=BERLIN),
        value=Decimal("1200"),
        source=Read.Source.CUSTOMER,
    )
    agent_client.post(
        reverse("staff:setup_correct", args=[agreement.pk]),
        {"tariff": tariff.pk, "start_date": "2026-12-02", "read_1_0_1_8_0": "1234.5"},
    )
    url = reverse("staff:customer", args=[agreement.account.customer_id])

    response = agent_client.get(url, {"tab": "supplies"})

    body = response.content.decode()
    assert response.status_code == 200
    assert agreement.supply_point.identifier in body
    assert "Electricity Basic" in body
    assert "1ESY00000001" in body and "1-0:1.8.0" in body
    assert "1,200" in body or "1200" in body  # the last read
    assert "Confirmed" in body or "confirmed" in body
    (shown,) = response.context["supplies"]
    kinds = [(entry["kind"], entry["who"]) for entry in shown.change_log]
    assert kinds[0][1].email == "agent@example.com"  # the latest change: the agent's correction
    assert any("start date" in str(c["field"]) for entry in shown.change_log for c in entry["changes"])
    # The other tabs still work, and the history tab includes the agreement.
    for tab in ("overview", "messages", "history"):
        assert agent_client.get(url, {"tab": tab}).status_code == 200
    history = agent_client.get(url, {"tab": "history"}).content.decode()
    assert "service agreement" in history


def test_the_customer_page_has_no_n_plus_1_for_supplies(agent_client, tariff):
    account = AccountFactory()
    agreement_requested(account=account, tariff=tariff, n=1)
    url = reverse("staff:customer", args=[account.customer_id])
    with CaptureQueriesContext(connection) as one:
        agent_client.get(url, {"tab": "supplies"})
    for n in range(2, 7):
        agreement_requested(account=account, tariff=tariff, n=n)

    with CaptureQueriesContext(connection) as six:
        response = agent_client.get(url, {"tab": "supplies"})

    assert len(response.context["supplies"]) == 6
    assert len(six.captured_queries) == len(one.captured_queries) <= 40
