"""The public status page (current and planned interruptions by utility and
postcode, no personal data), the customer's dashboard banner, the "no
supply at my address" report (linked to an open interruption or filed as a
ticket; another customer's report is 404) and the assistant's outage answer
from the register."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from outages.models import Interruption, NoSupplyReport
from support.classifier import Intent
from support.queries.intents import data_answer
from tests.outages.pages_helpers import NOW, agreement_of, customer_supply, logged, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def erika():
    return customer_supply(1, postcode="10969", first_name="Erika", last_name="Mustermann").account


@pytest.fixture
def max_():
    return customer_supply(2, postcode="20095", first_name="Max", last_name="Meier").account


def text(response) -> str:
    return response.content.decode()


# --- The status page --------------------------------------------------------------------------------------------


def test_the_status_page_lists_current_and_planned_interruptions_without_sign_in(client, erika):
    current = logged(postcodes=["10969"])
    planned = logged(postcodes=["10969", "10967"], planned=True, start=dt.timedelta(days=2))

    response = client.get(reverse("status"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    page = text(response)
    current_part, planned_part = page.split('data-testid="status-current"')[1].split('id="planned-heading"')
    assert current.cause.name_de in current_part or current.cause.name_en in current_part
    assert "10967" in planned_part and "10967" not in current_part
    assert planned.started_at > NOW


def test_the_status_page_shows_no_personal_data(client, erika):
    point = agreement_of(erika).supply_point
    logged(postcodes=[], supply_points=[point.pk])
    Interruption.objects.create(  # a customer's own interruption (e.g. a disconnection) is private
        utility=point.utility,
        cause=Interruption.objects.first().cause,
        started_at=NOW - dt.timedelta(hours=1),
        status=Interruption.Status.CREW_ON_SITE,
        account=erika,
        supply_point=point,
        postcodes=["10999"],
        created_at=NOW,
    )

    page = text(client.get(reverse("status")))

    assert "10969" in page  # the named supply point's postcode, nothing more
    for private in ("Erika", "Mustermann", "Hauptstraße", erika.number, point.identifier, "10999"):
        assert private not in page


def test_the_postcode_search_shows_only_that_area(client, erika, max_):
    logged(postcodes=["10969"])
    logged(postcodes=["20095"], start=dt.timedelta(hours=-2))

    page = text(client.get(reverse("status"), {"postcode": "20095"}))

    assert page.count('data-testid="status-interruption"') == 1
    assert "20095" in page and "10969" not in page.split('id="current-heading"')[1]


def test_the_utility_filter_leaves_out_other_utilities(client, erika):
    logged(postcodes=["10969"])

    page = text(client.get(reverse("status"), {"utility": "GAS"}))

    assert 'data-testid="status-interruption"' not in page
    assert 'data-testid="status-none-current"' in page


def test_a_nonsense_postcode_gets_a_message(client):
    client.cookies["portal_language"] = "en"
    response = client.get(reverse("status"), {"postcode": "<script>"})

    assert response.status_code == 400
    assert "Enter a postcode" in text(response)
    assert "<script>" not in text(response)


# --- The customer's dashboard and report ---------------------------------------------------------------------


def test_the_dashboard_shows_a_banner_to_customers_affected_only(client, erika, max_):
    logged(postcodes=["10969"])
    logged(postcodes=["10969"], planned=True, start=dt.timedelta(days=2))

    client.force_login(erika.customer.user)
    mine = text(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en"))
    client.force_login(max_.customer.user)
    theirs = text(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en"))

    assert mine.count('data-testid="outage-banner"') == 2
    assert "Planned work" in mine
    assert 'data-testid="outage-banner"' not in theirs


def test_a_report_where_an_interruption_is_known_is_linked_to_it(erika):
    interruption = logged(postcodes=["10969"])
    client = signed_in(erika.customer.user)

    response = client.post(reverse("outages:report_new"), {"agreement": agreement_of(erika).pk, "note": "dark"})

    report = NoSupplyReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("outages:report", args=[report.pk])
    assert report.interruption == interruption
    assert 'data-testid="report-linked"' in text(client.get(response["Location"]))


def test_a_report_where_no_interruption_is_known_becomes_a_ticket(erika):
    client = signed_in(erika.customer.user)

    response = client.post(reverse("outages:report_new"), {"agreement": agreement_of(erika).pk})

    report = NoSupplyReport.objects.get()
    assert report.interruption is None
    assert report.ticket_reference
    page = text(client.get(response["Location"]))
    assert 'data-testid="report-ticket"' in page
    assert report.ticket_reference in page


def test_another_customers_report_is_not_found(erika, max_):
    signed_in(max_.customer.user).post(reverse("outages:report_new"), {"agreement": agreement_of(max_).pk})
    report = NoSupplyReport.objects.get()

    response = signed_in(erika.customer.user).get(reverse("outages:report", args=[report.pk]))

    assert response.status_code == 404


def test_another_customers_supply_cannot_be_reported(erika, max_):
    response = signed_in(erika.customer.user).post(reverse("outages:report_new"), {"agreement": agreement_of(max_).pk})

    assert response.status_code == 400
    assert "Choose one of your supplies." in text(response)
    assert not NoSupplyReport.objects.exists()


def test_the_report_page_needs_a_sign_in(client):
    response = client.get(reverse("outages:report_new"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- The assistant ---------------------------------------------------------------------------------------------


def answer_text(customer) -> tuple[str, list[str]]:
    answer = data_answer(intent=Intent.OUTAGE, customer=customer, language="en", as_of=NOW)
    facts = " ".join(f"{fact.label}: {fact.value}" for fact in answer.facts)
    return f"{answer.summary} {facts}", [link.url for link in answer.links]


def test_the_assistant_tells_of_the_interruption_in_the_register(erika, max_):
    logged(postcodes=["10969"])

    mine, links = answer_text(erika.customer)
    theirs, their_links = answer_text(max_.customer)

    assert "We know of an interruption at your address" in mine
    assert "Hauptstraße 1, 10969 Berlin" in mine
    assert reverse("status") in links
    assert "We know of no interruption" in theirs
    assert reverse("outages:report_new") in their_links


def test_the_assistant_announces_planned_work(erika):
    logged(postcodes=["10969"], planned=True, start=dt.timedelta(days=2))

    answer, _links = answer_text(erika.customer)

    assert "Planned work will interrupt your supply" in answer
