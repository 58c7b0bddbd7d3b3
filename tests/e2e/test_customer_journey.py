"""A newcomer signs up, verifies the e-mail, completes the wizard and sees the dashboard."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Account, Customer

from .wizard import (
    BACK,
    choose_sepa,
    expect_step,
    field,
    fill_address,
    fill_contact,
    fill_person,
    next_step,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "erika.mustermann@example.com"
PASSWORD = "Sonnen-Blume-2026!"
IBAN = "DE89 3704 0044 0532 0130 00"


def sign_up_and_verify(page) -> None:
    page.goto("/")
    page.get_by_role("link", name=re.compile(r"^(Register|Registrieren)$")).first.click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"^(Sign Up|Registrieren)$")).click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))

    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    verification = mail.outbox[0]
    assert verification.to == [EMAIL]
    link = re.search(r"https?://\S+/accounts/confirm-email/[^/\s]+/", verification.body)
    assert link, verification.body
    page.goto(link.group(0))
    page.get_by_role("button", name=re.compile(r"^(Confirm|Bestätigen)$")).click()


def test_sign_up_verify_onboard_and_see_dashboard(page, english):
    sign_up_and_verify(page)

    # Verified and signed in: the portal sends the newcomer to the wizard.
    expect_step(page, 1, "person")
    expect(page.get_by_role("button", name=EMAIL)).to_be_visible()

    fill_person(page)
    fill_address(page)
    fill_contact(page, phone="030 1234567")

    # Payment: SEPA, the IBAN check names the bank, the mandate text is complete.
    choose_sepa(page, IBAN)
    expect(field(page, r"^(Account holder|Kontoinhaber)")).to_have_value("Erika Mustermann")
    page.get_by_role("button", name=re.compile(r"^(Check IBAN|IBAN prüfen)$")).click()
    iban_result = page.locator("#iban-result")
    expect(iban_result).to_contain_text("Commerzbank")
    expect(iban_result).to_contain_text("COBADEFFXXX")
    mandate_text = page.locator(".mandate-text")
    expect(mandate_text).to_contain_text("DE98ZZZ09999999999")
    reference = re.search(r"UPM-[A-Z0-9]{12}", mandate_text.inner_text())
    assert reference, mandate_text.inner_text()
    reference = reference.group(0)
    page.get_by_label(re.compile(r"SEPA direct debit mandate|SEPA-Lastschriftmandat")).check()
    next_step(page)

    # Review shows what was entered.
    expect_step(page, 5, "review")
    review = page.locator("#wizard")
    for text in [
        "Erika Mustermann",
        "Heidestraße 17",
        "51147 Köln",
        EMAIL,
        "+49301234567",
        IBAN,
        "COBADEFFXXX",
        "Commerzbank",
        reference,
    ]:
        expect(review).to_contain_text(text)

    # Going back keeps every answer.
    review.get_by_role("link", name=BACK).click()
    expect_step(page, 4, "payment")
    expect(field(page, r"^IBAN")).to_have_value(IBAN)
    expect(field(page, r"^(Account holder|Kontoinhaber)")).to_have_value("Erika Mustermann")
    expect(page.get_by_label(re.compile(r"^(SEPA direct debit|SEPA-Lastschrift)$"))).to_be_checked()
    expect(page.get_by_label(re.compile(r"SEPA direct debit mandate|SEPA-Lastschriftmandat"))).to_be_checked()
    expect(page.locator(".mandate-text")).to_contain_text(reference)

    page.locator("#wizard nav").get_by_role("link", name=re.compile(r"^2 (Address|Adresse)")).click()
    expect_step(page, 2, "address")
    expect(field(page, r"^(Street|Straße)")).to_have_value("Heidestraße")
    expect(field(page, r"^(House number|Hausnummer)")).to_have_value("17")
    expect(field(page, r"^(Postcode|Postleitzahl|PLZ)")).to_have_value("51147")
    expect(field(page, r"^(City|Ort|Stadt)")).to_have_value("Köln")
    page.locator("#wizard nav").get_by_role("link", name=re.compile(r"^1 (Person)")).click()
    expect_step(page, 1, "person")
    expect(field(page, r"^(First name|Vorname)")).to_have_value("Erika")
    expect(field(page, r"^(Last name|Nachname)")).to_have_value("Mustermann")

    # Forward again without retyping anything.
    next_step(page)
    expect_step(page, 2, "address")
    next_step(page)
    expect_step(page, 3, "contact")
    expect(field(page, r"^(Phone|Telefon)")).to_have_value("030 1234567")
    next_step(page)
    expect_step(page, 4, "payment")
    next_step(page)
    expect_step(page, 5, "review")
    expect(page.locator("#wizard")).to_contain_text(reference)
    assert Customer.objects.count() == 0

    # Save: the confirmation page shows the new account number.
    page.locator("#wizard").get_by_role("button", name=re.compile(r"^(Save my details|Meine Daten speichern)$")).click()
    expect(page).to_have_url(re.compile(r"/onboarding/done/$"))
    number_on_done_page = page.get_by_test_id("account-number")
    expect(number_on_done_page).to_have_text(re.compile(r"^\s*\d{9}\s*$"))
    number = number_on_done_page.inner_text().strip()

    account = Account.objects.select_related("customer__user").get()
    assert account.number == number
    assert account.customer.user.email == EMAIL
    assert str(account.customer.phone) == "+49301234567"
    assert account.mandates.get().reference == reference

    # The dashboard shows the account number.
    page.get_by_role("link", name=re.compile(r"^(To my overview|Zu meiner Übersicht)$")).click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("account-number")).to_have_text(number)

    # The confirmation e-mail carries the account number and mandate reference.
    confirmations = [m for m in mail.outbox if number in m.subject]
    assert len(confirmations) == 1, [m.subject for m in mail.outbox]
    assert confirmations[0].to == [EMAIL]
    assert reference in confirmations[0].body
    assert "DE98ZZZ09999999999" in confirmations[0].body
