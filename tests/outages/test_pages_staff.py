"""The back-office interruption pages: access by permission, the lists
(current, planned, to close, closed) in few queries, logging one (bad input
saves nothing), the detail with its timeline, updates, the actual end and
closing with the bookings shown, the customer page's tab, and the
reliability figures with the chart, the interruptions behind them and the
CSV export."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from outages.models import Charge, ChargeRule, Interruption
from outages.services import interruption_update
from tests.accounts.factories import staff_user
from tests.outages.factories import supply_at
from tests.outages.pages_helpers import NOW, agreement_of, customer_supply, logged, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agent():
    return signed_in(staff_user(email="agent@example.com", group="Agents"))


@pytest.fixture
def account():
    return customer_supply(1, postcode="10969", first_name="Erika", last_name="Mustermann").account


def text(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


# --- Access -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["staff_outages:list", "staff_outages:new", "staff_outages:reliability"])
def test_anonymous_visitors_are_sent_to_sign_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ["staff_outages:list", "staff_outages:new", "staff_outages:reliability"])
def test_staff_without_the_permission_are_refused(name):
    client = signed_in(staff_user(email="nobody@example.com", group=""))

    assert client.get(reverse(name)).status_code == 403


def test_agents_see_the_list_and_the_navigation_link(agent):
    page = text(agent.get(reverse("staff_outages:list")))

    assert f'href="{reverse("staff_outages:list")}" data-testid="nav-interruptions"' in page


# --- The lists --------------------------------------------------------------------------------------------------


def test_the_lists_sort_interruptions_by_state_in_few_queries(agent, account, django_assert_max_num_queries):
    current = [logged(postcodes=["10969"], start=dt.timedelta(hours=-h)) for h in range(1, 6)]
    planned = logged(postcodes=["10969"], planned=True, start=dt.timedelta(days=3))
    restored = logged(postcodes=["10969"], start=dt.timedelta(hours=-10))
    interruption_update(interruption=restored, ended_at=NOW - dt.timedelta(hours=8), now=NOW)

    with django_assert_max_num_queries(14):
        page = text(agent.get(reverse("staff_outages:list")))
    planned_page = text(agent.get(reverse("staff_outages:list"), {"tab": "planned"}))
    to_close = text(agent.get(reverse("staff_outages:list"), {"tab": "to_close"}))

    assert all(f'data-testid="interruption-{i.pk}"' in page for i in current)
    assert f'data-testid="interruption-{planned.pk}"' not in page
    assert f'data-testid="interruption-{planned.pk}"' in planned_page
    assert f'data-testid="interruption-{restored.pk}"' in to_close
    assert 'data-testid="tab-count-current">5<' in page


# --- Logging ----------------------------------------------------------------------------------------------------


def log_data(**changes):
    data = {
        "utility": "ELECTRICITY",
        "cause": Interruption._meta.get_field("cause").related_model.objects.get(code="GRID_FAULT").pk,
        "postcodes": "10969, 10967",
        "supply_points": "",
        "started_at": "2027-03-01T09:30",
        "expected_end_at": "2027-03-01T13:00",
        "description": "Cable fault",
    }
    return {**data, **changes}


def test_an_agent_logs_an_interruption_and_the_customers_affected_are_found(agent, account):
    response = agent.post(reverse("staff_outages:new"), log_data())

    interruption = Interruption.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff_outages:interruption", args=[interruption.pk])
    assert interruption.postcodes == ["10969", "10967"]
    assert interruption.customers_affected == 1
    assert interruption.started_at == dt.datetime(2027, 3, 1, 8, 30, tzinfo=dt.UTC)  # Berlin time entered
    assert interruption.created_by.email == "agent@example.com"


def test_a_named_supply_point_is_found_by_its_id(agent, account):
    point = agreement_of(account).supply_point

    agent.post(reverse("staff_outages:new"), log_data(postcodes="", supply_points=point.identifier))

    assert list(Interruption.objects.get().supply_points.all()) == [point]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"postcodes": "", "supply_points": ""}, "Name the postcodes or supply points affected."),
        ({"postcodes": "10969, <b>"}, "Not a postcode"),
        ({"postcodes": "", "supply_points": "51234567890"}, "No Electricity supply point with the id(s): 51234567890."),
        ({"expected_end_at": "2027-03-01T08:00"}, "The expected end lies before the start."),
        ({"started_at": "yesterday"}, "Enter a valid date/time."),
    ],
)
def test_bad_input_is_explained_and_nothing_is_logged(agent, account, changes, message):
    response = agent.post(reverse("staff_outages:new"), log_data(**changes))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Interruption.objects.exists()


def test_a_supervisor_without_add_permission_cannot_log(account):
    client = signed_in(staff_user(email="reader@example.com", group=""))

    assert client.post(reverse("staff_outages:new"), log_data()).status_code == 403
    assert not Interruption.objects.exists()


# --- The detail -------------------------------------------------------------------------------------------------


def test_the_detail_shows_the_timeline_customers_and_notices(agent, account):
    interruption = logged(postcodes=["10969"])

    response = agent.post(
        reverse("staff_outages:update", args=[interruption.pk]), {"status": "CREW_ON_SITE", "note": "Crew at work"}
    )
    page = text(agent.get(response["Location"]))

    assert "Crew at work" in page
    assert page.count('<li><div class="text-body-secondary">') == 2  # logged, then the update
    affected = page.split('data-testid="interruption-affected"')[1]
    assert "Erika Mustermann" in affected
    assert 'data-testid="interruption-notices"' in page


def test_setting_the_actual_end_restores_and_closing_books_the_compensation(agent, account):
    ChargeRule.objects.create(
        kind=ChargeRule.Kind.CREDIT, name_de="Entschädigung", name_en="Compensation", amount=Decimal("10.00")
    )
    interruption = logged(postcodes=["10969"], start=dt.timedelta(hours=-5))

    agent.post(reverse("staff_outages:update", args=[interruption.pk]), {"ended_at": "2027-03-01T09:30"})
    interruption.refresh_from_db()
    assert interruption.status == Interruption.Status.RESTORED

    response = agent.post(reverse("staff_outages:close", args=[interruption.pk]))
    page = text(agent.get(response["Location"]))

    charge = Charge.objects.get()
    assert charge.account == account
    assert charge.amount == Decimal("-10.00")
    assert 'data-testid="interruption-charges"' in page
    assert account.number in page.split('data-testid="interruption-charges"')[1]


def test_an_end_in_the_future_is_refused(agent, account):
    interruption = logged(postcodes=["10969"])

    response = agent.post(reverse("staff_outages:update", args=[interruption.pk]), {"ended_at": "2027-03-02T12:00"})

    assert response.status_code == 400
    assert "The end cannot lie in the future." in response.content.decode()
    interruption.refresh_from_db()
    assert interruption.ended_at is None


def test_an_empty_update_is_refused(agent, account):
    interruption = logged(postcodes=["10969"])

    response = agent.post(reverse("staff_outages:update", args=[interruption.pk]), {})

    assert response.status_code == 400
    assert interruption.updates.count() == 1


def test_an_open_interruption_cannot_be_closed(agent, account):
    interruption = logged(postcodes=["10969"])

    response = agent.post(reverse("staff_outages:close", args=[interruption.pk]), follow=True)

    assert "Only an interruption whose supply is restored can be closed." in response.content.decode()
    assert not Charge.objects.exists()


def test_the_customer_page_lists_the_customers_interruptions(agent, account):
    mine = logged(postcodes=["10969"])
    other = logged(postcodes=["20095"])

    page = text(agent.get(reverse("staff:customer", args=[account.customer_id]), {"tab": "interruptions"}))

    tab = page.split('data-testid="customer-interruptions"')[1]
    assert reverse("staff_outages:interruption", args=[mine.pk]) in tab
    assert reverse("staff_outages:interruption", args=[other.pk]) not in tab


# --- Reliability ------------------------------------------------------------------------------------------------


@pytest.fixture
def year_2026():
    """Two supplies served; one unplanned interruption of 60 minutes for one of them in 2026, one of 2 minutes."""
    account = supply_at(1, postcode="10969").account
    supply_at(2, postcode="20095")
    at = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)
    counted = logged(postcodes=["10969"], start=dt.timedelta(0), hours=1, now=at)
    interruption_update(interruption=counted, ended_at=at + dt.timedelta(minutes=60), now=at + dt.timedelta(hours=2))
    short = logged(postcodes=["10969"], start=dt.timedelta(0), hours=1, now=at + dt.timedelta(days=1))
    interruption_update(
        interruption=short, ended_at=short.started_at + dt.timedelta(minutes=2), now=at + dt.timedelta(days=1, hours=1)
    )
    return account, counted, short


def test_the_reliability_page_shows_the_figures_chart_and_the_interruptions_behind(agent, year_2026):
    _account, counted, short = year_2026

    page = text(agent.get(reverse("staff_outages:reliability"), {"utility": "ELECTRICITY", "year": "2026"}))

    # SAIDI = 1 x 60 / 2 = 30; SAIFI = 1 / 2 = 0.5; CAIDI = 60
    assert 'data-testid="saidi-2026">30.00<' in page
    assert 'data-testid="saifi-2026">0.50<' in page
    assert 'data-testid="caidi-2026">60.00<' in page
    assert 'data-testid="reliability-chart-saidi_minutes"' in page
    assert "<rect" in page
    behind = page.split('data-testid="reliability-interruptions"')[1]
    assert f"#{counted.pk}" in behind and f"#{short.pk}" in behind
    assert "not counted" in behind


def test_a_year_in_the_future_is_refused(agent):
    response = agent.get(reverse("staff_outages:reliability"), {"utility": "ELECTRICITY", "year": "2030"})

    assert response.status_code == 400
    assert "Choose a year up to 2027." in response.content.decode()


def test_the_figures_export_has_one_line_per_year(agent, year_2026):
    response = agent.get(reverse("staff_outages:reliability_csv"), {"utility": "ELECTRICITY", "year": "2026"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))
    assert rows[0] == [
        "utility",
        "year",
        "include_planned",
        "customers_served",
        "interruptions_counted",
        "customers_interrupted",
        "customer_minutes",
        "saidi_minutes",
        "saifi",
        "caidi_minutes",
    ]
    assert [row[1] for row in rows[1:]] == ["2022", "2023", "2024", "2025", "2026"]
    assert rows[-1] == ["electricity", "2026", "no", "2", "1", "1", "60.00", "30.00", "0.50", "60.00"]


def test_the_interruptions_export_lists_those_behind_the_year(agent, year_2026):
    _account, counted, short = year_2026

    response = agent.get(
        reverse("staff_outages:reliability_csv"), {"utility": "ELECTRICITY", "year": "2026", "kind": "interruptions"}
    )

    rows = list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))
    assert rows[0] == ["id", "utility", "planned", "cause", "started_at", "ended_at", "minutes", "customers", "counted"]
    assert [(row[0], row[6], row[8]) for row in rows[1:]] == [
        (str(counted.pk), "60.00", "yes"),
        (str(short.pk), "2.00", "no"),
    ]
