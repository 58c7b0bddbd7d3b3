"""A customer sets up electricity and water; an agent confirms both; after
the start date the dashboard shows both active."""

import datetime as dt
import re
import time
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from core import clock
from core.models import OutboxMessage
from meters.models import Read
from supply.models import ServiceAgreement, VatRate
from supply.services.agreements import agreements_activate_due
from tests.accounts.factories import AccountFactory, UserFactory
from tests.supply.factories import market_location_id, tariff_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "s3cret-Passw0rd!"  # UserFactory's password
MALO = market_location_id(4711)
SIGN_IN = re.compile(r"^(Sign In|Anmelden|Anmeldung)$")


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """The welcome mail's contract summary is stored as a file; keep it out of var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def offer():
    # Transactional tests flush every table, the migration's VAT rates included.
    VatRate.objects.get_or_create(utility="ELECTRICITY", valid_from=dt.date(2007, 1, 1), defaults={"rate": "0.19"})
    VatRate.objects.get_or_create(utility="WATER", valid_from=dt.date(2007, 1, 1), defaults={"rate": "0.07"})
    long_ago = dt.date(2000, 1, 1)
    return {
        "electricity": tariff_make(
            code="STROM-BASIS", name_de="Strom Basis", name_en="Electricity Basic", valid_from=long_ago
        ),
        "water": tariff_make(
            code="WASSER",
            utility="WATER",
            name_de="Trinkwasser",
            name_en="Drinking water",
            valid_from=long_ago,
            standing_charge_per_year="60.00",
            unit_prices={"*": "2.100000"},
        ),
    }


def totp_code(secret: str) -> str:
    """The authenticator app's current code (allauth allows no clock drift by default)."""
    if time.time() % 30 > 27:  # too close to the next time step: wait for it
        time.sleep(30 - time.time() % 30 + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def htmx_settled(page) -> None:
    """Wait until HTMX has swapped and wired up the new content (a person
    does not type within those milliseconds; the test would)."""
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)


def set_up_supply(page, start: dt.date) -> None:
    page.goto("/")
    page.get_by_role("link", name="Set up supply").first.click()
    expect(page).to_have_url(re.compile(r"/supply/new/$"))
    form = page.locator("#supply-setup")
    expect(form.locator("[name=street]")).to_have_value("Lindenstraße")

    # Choosing a utility brings its questions (the form is redrawn by HTMX).
    form.locator("input[name=utilities][value=ELECTRICITY]").check()
    expect(form.locator("[name='electricity-supply_point_id']")).to_be_visible()
    htmx_settled(page)
    form.locator("input[name=utilities][value=WATER]").check()
    expect(form.locator("[name='water-supply_point_id']")).to_be_visible()
    expect(form.locator("[name='electricity-supply_point_id']")).to_be_visible()
    htmx_settled(page)

    form.locator("[name='electricity-supply_point_id']").fill(MALO)
    form.locator("[name='electricity-meter_serial']").fill("1ESY1160123456")
    form.locator("[name='electricity-read_1_0_1_8_0']").fill("12345")
    form.locator("[name='electricity-start_reason'][value=MOVE_IN]").check()
    form.locator("[name='electricity-start_date']").fill(start.isoformat())
    # The tariff cards show the yearly cost for the consumption as it is typed:
    # 120.00 + 2500 kWh x 0.30 = 870.00 net, + 19 % VAT = 1,035.30.
    tariffs = form.locator("#tariffs-electricity")
    expect(tariffs).to_contain_text("Enter your expected consumption")
    form.locator("[name='electricity-expected_annual_consumption']").fill("2500")
    expect(tariffs.get_by_test_id("yearly-estimate")).to_contain_text("1,035.30")
    htmx_settled(page)
    tariffs.get_by_label("Electricity Basic").check()

    form.locator("[name='water-supply_point_id']").fill("WA-2024-0815")
    form.locator("[name='water-meter_serial']").fill("WZ-778899")
    form.locator("[name='water-read_8_0_1_0_0']").fill("321")
    form.locator("[name='water-start_reason'][value=MOVE_IN]").check()
    form.locator("[name='water-start_date']").fill(start.isoformat())
    form.locator("[name='water-expected_annual_consumption']").fill("90")
    # 60.00 + 90 m³ x 2.10 = 249.00 net, + 7 % VAT = 266.43
    water_tariffs = form.locator("#tariffs-water")
    expect(water_tariffs.get_by_test_id("yearly-estimate")).to_contain_text("266.43")
    htmx_settled(page)
    water_tariffs.get_by_label("Drinking water").check()

    # A typo in the market location id is caught next to the field; nothing typed is lost.
    form.locator("[name='electricity-supply_point_id']").fill(MALO[:10] + str((int(MALO[10]) + 1) % 10))
    form.get_by_role("button", name="Continue").click()
    expect(page.locator("#id_electricity-supply_point_id_error")).to_contain_text("check digit")
    expect(page.locator("[name='water-meter_serial']")).to_have_value("WZ-778899")
    htmx_settled(page)
    page.locator("[name='electricity-supply_point_id']").fill(MALO)
    page.locator("#supply-setup").get_by_role("button", name="Continue").click()

    # The summary, then sending.
    expect(page).to_have_url(re.compile(r"/supply/new/check/$"))
    expect(page.get_by_role("heading", name="Please check")).to_be_visible()
    expect(page.get_by_test_id("check-electricity")).to_contain_text(MALO)
    expect(page.get_by_test_id("check-electricity")).to_contain_text("Electricity Basic")
    expect(page.get_by_test_id("check-water")).to_contain_text("WZ-778899")
    page.get_by_role("button", name="Send request").click()
    expect(page).to_have_url(re.compile(r"/supply/requested/$"))
    expect(page.get_by_test_id("requested-supply")).to_have_count(2)


def agent_signs_in(page) -> None:
    agent = UserFactory(email="agent@stadtwerke.example", is_staff=True)
    agent.groups.add(Group.objects.get(name="Agents"))
    secret = generate_totp_secret()
    TOTP.activate(agent, secret)
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(agent.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main").get_by_role("button", name=SIGN_IN).click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("input[name=code]").fill(totp_code(secret))
    page.locator("main").get_by_role("button", name=SIGN_IN).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/"))


def test_customer_sets_up_supply_agent_confirms_and_it_becomes_active(
    page, browser, live_server, english, sign_in, offer
):
    account = AccountFactory(
        customer__first_name="Erika",
        customer__last_name="Mustermann",
        customer__language="en",
        customer__email="erika@example.com",
    )
    sign_in(account.customer.user)
    start = clock.today() + dt.timedelta(days=3)

    set_up_supply(page, start)

    agreements = list(ServiceAgreement.objects.order_by("id"))
    assert [(a.supply_point.utility, a.status) for a in agreements] == [
        ("ELECTRICITY", "REQUESTED"),
        ("WATER", "REQUESTED"),
    ]
    assert OutboxMessage.objects.filter(template="supply_requested", to_address="erika@example.com").count() == 1
    page.goto("/")
    cards = page.get_by_test_id("supply-card")
    expect(cards).to_have_count(2)
    expect(cards.get_by_test_id("supply-status")).to_have_text(["requested", "requested"])

    # The agent confirms both from the queue.
    agent_context = browser.new_context(base_url=live_server.url, locale="en-US")
    agent_context.add_cookies([{"name": "portal_language", "value": "en", "url": live_server.url}])
    agent_page = agent_context.new_page()
    try:
        agent_signs_in(agent_page)
        agent_page.goto("/staff/setups/")
        expect(agent_page.get_by_test_id("setups-count")).to_have_text("2")
        for agreement in agreements:
            row = agent_page.get_by_test_id(f"setup-{agreement.pk}")
            expect(row).to_contain_text("Erika Mustermann")
            row.get_by_role("button", name=re.compile(r"^Confirm")).click()
            expect(agent_page.locator("#messages")).to_contain_text("Confirmed")
        expect(agent_page.get_by_test_id("setups-count")).to_have_text("0")
        expect(agent_page.get_by_test_id("confirmed").locator("tbody tr")).to_have_count(2)
    finally:
        agent_context.close()

    # On the start date the nightly task activates them (standing in for beat).
    assert sorted(agreements_activate_due(as_of=start)) == [a.pk for a in agreements]

    page.goto("/")
    expect(cards).to_have_count(2)
    expect(cards.get_by_test_id("supply-status")).to_have_text(["active", "active"])
    expect(page.locator("main")).to_contain_text("1ESY1160123456")
    expect(page.locator("main")).to_contain_text("Drinking water")
    reads = Read.objects.filter(register__meter__serial="1ESY1160123456")
    assert [r.value for r in reads] == [Decimal("12345")]
    assert OutboxMessage.objects.filter(template="supply_welcome").count() == 2
