"""Wrong input in the wizard: messages next to the field, the step stays, nothing saved."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Account, Customer, SepaMandate
from tests.accounts.factories import UserFactory

from .wizard import choose_sepa, expect_step, field, fill_address, fill_contact, fill_person, next_step

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_bad_postcode_and_iban_keep_the_step_and_save_nothing(page, english, sign_in):
    sign_in(UserFactory(email="newcomer@example.com"))
    page.goto("/onboarding/")
    fill_person(page)

    # A four-digit German postcode: message at the field, still on step 2.
    fill_address(page, postcode="5114")
    postcode = field(page, r"^(Postcode|Postleitzahl|PLZ)")
    expect(page.locator("#id_postcode_error")).to_have_text(re.compile(r"5 digits|5 Ziffern|fünf Ziffern"))
    expect(postcode).to_have_attribute("aria-invalid", "true")
    expect(postcode).to_have_value("5114")  # what was typed stays
    expect(page.locator("#wizard [role=alert]").first).to_be_visible()
    expect_step(page, 2, "address")

    postcode.fill("51147")
    next_step(page)
    fill_contact(page)

    # An IBAN with a typo: the check button and the step both say so.
    choose_sepa(page, "DE89 3704 0044 0532 0130 01")
    page.get_by_role("button", name=re.compile(r"^(Check IBAN|IBAN prüfen)$")).click()
    expect(page.locator("#iban-result [role=alert]")).to_have_text(re.compile(r"check digits|Prüfziffer"))
    page.get_by_label(re.compile(r"SEPA direct debit mandate|SEPA-Lastschriftmandat")).check()
    next_step(page)
    expect(page.locator("#id_iban_error")).to_have_text(re.compile(r"check digits|Prüfziffer"))
    expect(field(page, r"^IBAN")).to_have_attribute("aria-invalid", "true")
    expect_step(page, 4, "payment")

    # The review step cannot be reached while the payment step is wrong.
    page.goto("/onboarding/review/")
    expect_step(page, 4, "payment")

    assert Customer.objects.count() == 0
    assert Account.objects.count() == 0
    assert SepaMandate.objects.count() == 0
