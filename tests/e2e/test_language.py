"""The DE/EN switch in the navbar changes the page language and remembers it."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# allauth's German catalogue says "Anmeldung"; the project's own may say "Anmelden".
GERMAN_SIGN_IN = re.compile(r"^\s*(Anmeldung|Anmelden)\s*$")


def switch_to(page, code: str) -> None:
    page.get_by_role("navigation").get_by_role("button", name=code, exact=True).click()


def test_language_switcher(page, context):
    # German by default, even for an English-speaking browser.
    page.set_extra_http_headers({"Accept-Language": "en-US,en;q=0.9"})
    page.goto("/accounts/login/")
    heading = page.get_by_role("heading", level=1)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(heading).to_have_text(GERMAN_SIGN_IN)
    expect(page.get_by_role("button", name="DE", exact=True)).to_have_attribute("aria-current", "true")

    switch_to(page, "EN")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(heading).to_have_text("Sign In")
    expect(page.get_by_role("button", name="EN", exact=True)).to_have_attribute("aria-current", "true")

    # The choice sticks when moving on.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert any(c["name"] == "portal_language" and c["value"] == "en" for c in context.cookies())

    page.goto("/accounts/login/")
    switch_to(page, "DE")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(heading).to_have_text(GERMAN_SIGN_IN)
    expect(page.get_by_role("button", name="DE", exact=True)).to_have_attribute("aria-current", "true")
