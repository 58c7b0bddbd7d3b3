"""An agent sets up two-factor, then finds a customer and reads the 360 page."""

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from accounts.forms import CustomerDetailsForm
from accounts.services import customer_onboard
from core import clock
from tests.accounts.factories import UserFactory, onboarding_payload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "s3cret-Passw0rd!"  # UserFactory's password


def onboard_customer():
    form = CustomerDetailsForm(onboarding_payload())
    assert form.is_valid(), form.errors
    return customer_onboard(data=form.to_onboarding_data(signed_date=clock.today()))


def totp_code(secret: str) -> str:
    """The authenticator app's current code (allauth allows no clock drift by default)."""
    if time.time() % 30 > 27:  # too close to the next time step: wait for it
        time.sleep(30 - time.time() % 30 + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_agent_sets_up_two_factor_and_finds_the_customer(page, english):
    account = onboard_customer()
    agent = UserFactory(email="agent@stadtwerke.example", is_staff=True)
    agent.groups.add(Group.objects.get(name="Agents"))

    # Sign in with the login form.
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(agent.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main").get_by_role("button", name=re.compile(r"^(Sign In|Anmeldung|Anmelden)$")).click()

    # Staff without two-factor are sent to the set-up page. allauth asks for the
    # password once more before an authenticator may be added.
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/\?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"))
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main").get_by_role("button", name=re.compile(r"^(Confirm|Bestätigen)$")).click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    # /staff/ stays closed until two-factor is on.
    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/\?next=/staff/$"))
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]+=*", secret), secret
    page.locator("input[name=code]").fill(totp_code(secret))
    page.get_by_role("button", name=re.compile(r"^(Activate|Aktivieren)$")).click()
    expect(page).not_to_have_url(re.compile(r"/totp/activate/"))

    # Now the back-office opens.
    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/staff/$"))
    search = page.get_by_role("searchbox", name=re.compile(r"Name"))
    results = page.locator("#results")

    search.fill("Mustermann")
    expect(results.get_by_role("row")).to_have_count(2)  # header + one customer
    expect(results).to_contain_text(account.number)
    expect(results).to_contain_text("51147 Köln")

    search.fill("51147")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/staff/\?q=51147$"))
    expect(results.get_by_role("row")).to_have_count(2)
    expect(results).to_contain_text(account.number)

    search.fill("99999")
    expect(results).to_contain_text("99999")
    expect(results.get_by_role("row")).to_have_count(0)

    search.fill("Mustermann")
    results.get_by_role("link", name="Erika Mustermann").click()
    expect(page).to_have_url(re.compile(rf"/staff/customers/{account.customer_id}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Erika Mustermann")
    expect(page.locator("header")).to_contain_text(account.number)

    page.get_by_role("link", name=re.compile(r"^(Messages|Nachrichten)")).click()
    expect(page).to_have_url(re.compile(r"\?tab=messages$"))
    message = page.locator("main table tbody tr")
    expect(message).to_have_count(1)
    expect(message).to_contain_text(account.number)  # the subject names the account
    expect(message).to_contain_text("erika@example.com")
    message.locator("summary").click()
    expect(message.locator("pre")).to_contain_text(account.mandates.get().reference)
