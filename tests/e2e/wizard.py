"""Page helpers for the onboarding wizard (labels in English or German)."""

import re

from playwright.sync_api import Page, expect

NEXT = re.compile(r"^(Next|Weiter)$")
BACK = re.compile(r"^(Back|Zurück)$")


def current_step(page: Page):
    return page.locator("#wizard [aria-current=step]")


def expect_step(page: Page, number: int, slug: str) -> None:
    """The step indicator and the address bar both show the step."""
    expect(current_step(page)).to_have_text(re.compile(rf"^\s*{number}\b"))
    expect(page).to_have_url(re.compile(rf"/onboarding/{slug}/$"))


def field(page: Page, pattern: str):
    """A wizard field by its label (English or German text)."""
    return page.locator("#wizard").get_by_label(re.compile(pattern))


def next_step(page: Page) -> None:
    page.locator("#wizard").get_by_role("button", name=NEXT).click()


def fill_person(page: Page, first: str = "Erika", last: str = "Mustermann") -> None:
    expect_step(page, 1, "person")
    page.locator("#wizard").get_by_label(re.compile(r"^(Private person|Privatperson)$")).check()
    field(page, r"^(First name|Vorname)").fill(first)
    field(page, r"^(Last name|Nachname)").fill(last)
    next_step(page)


def fill_address(page: Page, postcode: str = "51147") -> None:
    expect_step(page, 2, "address")
    field(page, r"^(Street|Straße)").fill("Heidestraße")
    field(page, r"^(House number|Hausnummer)").fill("17")
    field(page, r"^(Postcode|Postleitzahl|PLZ)").fill(postcode)
    field(page, r"^(City|Ort|Stadt)").fill("Köln")
    next_step(page)


def fill_contact(page: Page, phone: str = "030 1234567") -> None:
    expect_step(page, 3, "contact")
    field(page, r"^(Phone|Telefon)").fill(phone)
    next_step(page)


def choose_sepa(page: Page, iban: str) -> None:
    expect_step(page, 4, "payment")
    page.locator("#wizard").get_by_label(re.compile(r"^(SEPA direct debit|SEPA-Lastschrift)$")).check()
    field(page, r"^IBAN").fill(iban)
