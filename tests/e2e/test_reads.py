"""A customer sends a plausible reading, then an implausibly high one that
they confirm; an agent finds it in the review queue and accepts it."""

import datetime as dt
import re
import time
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from core import clock
from metering.services.intake import expected_range
from meters.models import Read, ReadReview
from supply.models import VatRate
from supply.services.agreements import supply_import
from tests.accounts.factories import AccountFactory, UserFactory
from tests.meters.factories import register_of
from tests.supply.factories import PREMISE, request_for, tariff_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "s3cret-Passw0rd!"  # UserFactory's password
SIGN_IN = re.compile(r"^(Sign In|Anmelden|Anmeldung)$")


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def supply():
    """Electricity supplied for 30 days from a start read of 1,000 kWh, 3,650 kWh a year expected."""
    # Transactional tests flush every table, the migration's VAT rates included.
    VatRate.objects.get_or_create(utility="ELECTRICITY", valid_from=dt.date(2007, 1, 1), defaults={"rate": "0.19"})
    tariff = tariff_make(valid_from=dt.date(2000, 1, 1))
    start = clock.today() - dt.timedelta(days=30)
    account = AccountFactory(
        customer__first_name="Erika",
        customer__last_name="Mustermann",
        customer__language="en",
        customer__email="erika@example.com",
    )
    request = request_for(
        tariff,
        n=11,
        start_date=start,
        meter_serial="1ESY1160999888",
        start_reads={"1-0:1.8.0": Decimal("1000")},
        expected_annual_consumption=Decimal("3650"),
    )
    return supply_import(account=account, premise=PREMISE, request=request, as_of=clock.today())


def totp_code(secret: str) -> str:
    """The authenticator app's current code (allauth allows no clock drift by default)."""
    if time.time() % 30 > 27:  # too close to the next time step: wait for it
        time.sleep(30 - time.time() % 30 + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


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


def htmx_settled(page) -> None:
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)


def test_customer_confirms_a_high_reading_and_an_agent_accepts_it(page, browser, live_server, english, sign_in, supply):
    register = register_of(supply)
    sign_in(supply.account.customer.user)

    # From the dashboard to the reads page.
    page.goto("/")
    page.get_by_test_id("submit-read").click()
    expect(page).to_have_url(re.compile(r"/reads/#supply-\d+$"))
    panel = page.get_by_test_id("register-panel")
    expect(panel.get_by_test_id("last-read")).to_contain_text("1,000 kWh")
    expect(panel.get_by_test_id("last-read")).to_contain_text("operator")
    low, high = expected_range(register=register, on=clock.now())
    expect(panel.get_by_test_id("expected-range")).to_contain_text("–")

    # A plausible reading, typed with a decimal comma, is accepted at once.
    plausible = ((low + high) / 2).quantize(Decimal("1"))
    panel.get_by_label("Meter reading (kWh)").fill(f"{plausible},5")
    panel.get_by_role("button", name=re.compile(r"^Send reading")).click()
    verdict = panel.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-verdict", "accepted")
    sent = plausible + Decimal("0.5")
    expect(verdict).to_contain_text(f"{sent - 1000:,} kWh since the previous reading")
    expect(panel.get_by_test_id("last-read")).to_contain_text(f"{sent:,} kWh")
    expect(panel.get_by_test_id("last-read")).to_contain_text("you")
    htmx_settled(page)

    # An implausibly high one: asked to check it, then confirmed.
    panel.get_by_label("Meter reading (kWh)").fill("25000")
    panel.get_by_role("button", name=re.compile(r"^Send reading")).click()
    expect(verdict).to_have_attribute("data-verdict", "suspect")
    expect(verdict).to_contain_text("This reading is much higher than expected")
    expect(verdict).to_contain_text("Please check it:")
    assert Read.objects.filter(source=Read.Source.CUSTOMER).count() == 1
    htmx_settled(page)
    verdict.get_by_role("button", name="Yes, it is right").click()
    expect(verdict).to_have_attribute("data-verdict", "saved_suspect")
    high_read = Read.objects.get(source=Read.Source.CUSTOMER, value=Decimal("25000"))
    assert high_read.quality == Read.Quality.SUSPECT

    # The agent accepts it from the review queue.
    agent_context = browser.new_context(base_url=live_server.url, locale="en-US")
    agent_context.add_cookies([{"name": "portal_language", "value": "en", "url": live_server.url}])
    agent_page = agent_context.new_page()
    try:
        agent_signs_in(agent_page)
        expect(agent_page.get_by_test_id("reads-to-review-count")).to_have_text("1")
        agent_page.get_by_role("link", name=re.compile(r"^Reads to review")).click()
        row = agent_page.get_by_test_id(f"review-{high_read.pk}")
        expect(row).to_contain_text("Erika Mustermann")
        expect(row).to_contain_text("1ESY1160999888")
        expect(row).to_contain_text("25,000")
        row.get_by_role("button", name=re.compile(r"^Accept")).click()
        expect(row).to_contain_text("Accepted: reading 25,000")
        agent_page.reload()
        expect(agent_page.get_by_test_id("reads-to-review-count")).to_have_text("0")
        expect(agent_page.get_by_test_id("review-empty")).to_be_visible()
    finally:
        agent_context.close()

    high_read.refresh_from_db()
    assert high_read.quality == Read.Quality.VALID
    assert ReadReview.objects.get(read=high_read).decision == ReadReview.Decision.ACCEPTED

    # The customer's history now shows it as valid.
    page.goto("/reads/")
    rows = page.get_by_test_id("read-row")
    expect(rows.first).to_contain_text("25,000")
    expect(rows.first).to_contain_text("valid")
