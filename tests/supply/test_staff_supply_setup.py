"""An agent sets up supply for a customer from the customer's page."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from core.models import OutboxMessage
from supply.models import ServiceAgreement
from tests.accounts.factories import AccountFactory, UserFactory, staff_user
from tests.supply.factories import market_location_id, tariff_make
from tests.supply.test_supply_setup_views import nothing_saved, payload, wrong_check_digit

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
MALO = market_location_id(4711)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, 0, tzinfo=BERLIN), tick=False):
        yield


@pytest.fixture
def tariffs():
    return {
        "strom": tariff_make(code="STROM-BASIS", name_de="Strom Basis", name_en="Electricity Basic"),
        "wasser": tariff_make(
            code="WASSER",
            utility="WATER",
            name_de="Trinkwasser",
            name_en="Drinking water",
            standing_charge_per_year="60.00",
            unit_prices={"*": "2.100000"},
        ),
    }


@pytest.fixture
def account():
    return AccountFactory(customer__language="en", customer__email="erika@example.com")


@pytest.fixture
def agent_client(client):
    client.force_login(staff_user())
    client.cookies["portal_language"] = "en"
    return client


def urls(customer_id):
    kwargs = {"customer_id": customer_id}
    return (
        reverse("staff:supply_setup", kwargs=kwargs),
        reverse("staff:supply_check", kwargs=kwargs),
        reverse("staff:supply_estimate", kwargs=kwargs),
    )


def supplies_tab(customer):
    return reverse("staff:customer", kwargs={"customer_id": customer.pk}) + "?tab=supplies"


def test_an_agent_sets_up_supply_for_a_customer(agent_client, account, tariffs):
    customer = account.customer
    setup, check, _estimate = urls(customer.pk)

    form = agent_client.get(setup)
    body = form.content.decode()
    assert form.status_code == 200
    assert "On behalf of" in body and "erika@example.com" in body
    assert f'action="{setup}"' in body
    assert f'value="{account.street}"' in body

    response = agent_client.post(setup, payload(account, tariffs))
    assert response.status_code == 302
    assert response["Location"] == check
    assert ServiceAgreement.objects.count() == 0

    summary = agent_client.get(check).content.decode()
    assert "Please check" in summary and MALO in summary and "1,035.30" in summary
    assert f'action="{check}"' in summary

    sent = agent_client.post(check)

    assert sent.status_code == 302
    assert sent["Location"] == supplies_tab(customer)
    agreements = list(ServiceAgreement.objects.select_related("account", "supply_point").order_by("id"))
    assert [(a.account, a.supply_point.utility, a.status) for a in agreements] == [
        (account, "ELECTRICITY", "REQUESTED"),
        (account, "WATER", "REQUESTED"),
    ]
    mail = OutboxMessage.objects.get(template="supply_requested")
    assert mail.to_address == "erika@example.com"
    assert [str(m) for m in get_messages(sent.wsgi_request)] == [
        "Supply requested for Electricity, Water. The customer was sent the confirmation."
    ]
    assert f"staff_supply_setup_{customer.pk}" not in agent_client.session


def test_the_customer_page_offers_set_up_supply(agent_client, account):
    body = agent_client.get(supplies_tab(account.customer)).content.decode()

    assert urls(account.customer.pk)[0] in body


def test_the_agents_form_asks_the_agents_estimate(agent_client, account, tariffs):
    setup, _check, estimate = urls(account.customer.pk)
    body = agent_client.post(
        setup, {"account": account.pk, "utilities": ["ELECTRICITY"], "action": "refresh"}
    ).content.decode()

    assert f'hx-get="{estimate}"' in body
    estimated = agent_client.get(
        estimate, {"utility": "ELECTRICITY", "electricity-expected_annual_consumption": "2500"}
    ).content.decode()
    assert "1,035.30" in estimated
    assert agent_client.get(estimate, {"utility": "HEAT"}).status_code == 404


def test_the_draft_is_kept_per_customer(agent_client, account, tariffs):
    other = AccountFactory()
    agent_client.post(urls(account.customer.pk)[0], payload(account, tariffs))

    assert agent_client.get(urls(other.customer.pk)[1])["Location"] == urls(other.customer.pk)[0]
    assert agent_client.get(urls(account.customer.pk)[1]).status_code == 200


def test_a_bad_market_location_id_is_refused_with_a_message(agent_client, account, tariffs):
    setup, check, _estimate = urls(account.customer.pk)

    response = agent_client.post(
        setup, payload(account, tariffs, **{"electricity-supply_point_id": wrong_check_digit(MALO)})
    )

    assert response.status_code == 200
    assert response.context["setup"].forms["ELECTRICITY"].errors["supply_point_id"]
    assert "Please correct the marked fields." in response.content.decode()
    assert agent_client.post(check)["Location"] == setup
    nothing_saved()


def test_another_customers_account_is_not_found(agent_client, account, tariffs):
    stranger = AccountFactory()
    setup, _check, _estimate = urls(account.customer.pk)

    assert agent_client.get(setup, {"account": stranger.pk}).status_code == 404
    assert agent_client.post(setup, payload(account, tariffs, account=str(stranger.pk))).status_code == 404
    nothing_saved()


def test_an_unknown_customer_is_not_found(agent_client):
    for url in urls(999999):
        assert agent_client.get(url, {"utility": "ELECTRICITY"}).status_code == 404


def test_a_customer_with_no_open_account_is_sent_back(agent_client):
    account = AccountFactory(status="CLOSED")

    response = agent_client.get(urls(account.customer.pk)[0])

    assert response["Location"] == supplies_tab(account.customer)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "This customer has no open account to set up supply for."
    ]


def test_a_customer_user_is_forbidden(client, account):
    client.force_login(account.customer.user)

    for url in urls(account.customer.pk):
        assert client.get(url).status_code == 403
    assert client.post(urls(account.customer.pk)[1]).status_code == 403


def test_staff_without_the_permission_is_forbidden(client, account):
    client.force_login(staff_user(email="viewer@example.com", group=None))

    assert client.get(urls(account.customer.pk)[0]).status_code == 403


def test_visitors_must_sign_in(client, account):
    for url in urls(account.customer.pk):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_a_plain_user_is_forbidden(client, account):
    client.force_login(UserFactory())

    assert client.get(urls(account.customer.pk)[0]).status_code == 403
