import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.forms import STEP_FIELDS
from accounts.models import Account, Customer, SepaMandate
from tests.accounts.factories import CustomerFactory, UserFactory, onboarding_payload

pytestmark = pytest.mark.django_db


def step_url(step):
    return reverse("onboarding_step", kwargs={"step": step})


def step_data(step, **overrides):
    payload = onboarding_payload(**overrides)
    return {k: v for k, v in payload.items() if k in STEP_FIELDS[step]}


@pytest.fixture
def user():
    return UserFactory(email="erika@example.com")


@pytest.fixture
def browser(client, user):
    client.force_login(user)
    client.cookies["portal_language"] = "en"
    return client


def complete_steps(browser, upto="payment", **overrides):
    for step in ["person", "address", "contact", "payment"]:
        response = browser.post(step_url(step), step_data(step, **overrides))
        assert response.status_code == 302, response.content.decode()[:2000]
        if step == upto:
            break


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("onboarding"))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_wizard_starts_at_the_first_step(browser):
    response = browser.get(reverse("onboarding"))

    assert response["Location"] == step_url("person")


def test_a_valid_step_leads_to_the_next(browser):
    response = browser.post(step_url("person"), step_data("person"))

    assert response.status_code == 302
    assert response["Location"] == step_url("address")


def test_later_steps_cannot_be_skipped_to(browser):
    browser.post(step_url("person"), step_data("person"))

    response = browser.get(step_url("review"))

    assert response["Location"] == step_url("address")


def test_a_bad_postcode_is_shown_next_to_the_field_and_the_input_is_kept(browser):
    browser.post(step_url("person"), step_data("person"))

    response = browser.post(step_url("address"), step_data("address", postcode="1234"))

    assert response.status_code == 200
    assert "A German postcode has exactly 5 digits." in response.content.decode()
    again = browser.get(step_url("address"))
    assert 'value="Heidestraße"' in again.content.decode()
    assert Customer.objects.count() == 0


def test_going_back_shows_what_was_entered(browser):
    complete_steps(browser, upto="contact")

    response = browser.get(step_url("person"))

    body = response.content.decode()
    assert 'value="Erika"' in body
    assert 'value="Mustermann"' in body


@pytest.mark.parametrize(
    ("step", "overrides", "field", "message"),
    [
        ("person", {"customer_type": "BUSINESS", "company_name": "", "vat_id": ""}, "company_name", "company name"),
        ("person", {"customer_type": "BUSINESS", "company_name": "ACME GmbH", "vat_id": "123"}, "vat_id", "VAT id"),
        ("contact", {"phone": "not a number"}, "phone", "phone number"),
        ("contact", {"email": "no-at-sign"}, "email", "valid email"),
        ("payment", {"iban": "DE89370400440532013001"}, "iban", "check digits"),
        ("payment", {"iban": "DE00123456780000000000"}, "iban", "check digits"),
        ("payment", {"iban": "DE12345678901234567890"}, "iban", "IBAN"),
        ("payment", {"sepa_consent": ""}, "sepa_consent", "confirm the direct debit mandate"),
        ("payment", {"account_holder": ""}, "account_holder", "account holder"),
    ],
)
def test_bad_input_gets_a_field_message(browser, step, overrides, field, message):
    response = browser.post(step_url(step), step_data(step, **overrides))

    assert response.status_code == 200
    assert message.lower() in response.content.decode().lower()
    assert response.context["form"].errors[field]


def test_an_email_already_used_is_refused(browser):
    CustomerFactory(email="taken@example.com")
    complete_steps(browser, upto="address")

    response = browser.post(step_url("contact"), step_data("contact", email="Taken@Example.com"))

    assert "already exists" in response.content.decode()


def test_the_review_shows_every_step_and_the_bank(browser):
    complete_steps(browser)

    response = browser.get(step_url("review"))

    body = response.content.decode()
    for text in ["Erika Mustermann", "Heidestraße 17", "51147 Köln", "erika@example.com", "+492211234567"]:
        assert text in body
    assert "COBADEFFXXX" in body
    assert "DE89 3704 0044 0532 0130 00" in body


def test_submitting_saves_everything_links_the_login_and_sends_the_mail(
    browser, user, django_capture_on_commit_callbacks
):
    complete_steps(browser)

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(step_url("review"))

    assert response["Location"] == reverse("onboarding_done")
    customer = Customer.objects.get()
    assert customer.user == user
    account = Account.objects.get(customer=customer)
    mandate = SepaMandate.objects.get(account=account)
    assert mail.outbox[0].to == ["erika@example.com"]
    assert mandate.reference in mail.outbox[0].body
    done = browser.get(response["Location"])
    assert account.number in done.content.decode()
    assert mandate.reference in done.content.decode()
    assert browser.session.get("onboarding") is None


def test_the_mandate_reference_shown_before_consent_is_the_one_saved(browser):
    complete_steps(browser, upto="contact")
    shown = browser.get(step_url("payment")).context["mandate_reference"]
    browser.post(step_url("payment"), step_data("payment"))

    browser.post(step_url("review"))

    assert SepaMandate.objects.get().reference == shown


def test_bank_transfer_needs_no_bank_details(browser):
    complete_steps(browser, upto="contact")
    browser.post(
        step_url("payment"),
        step_data("payment", payment_method="TRANSFER", iban="", account_holder="", sepa_consent=""),
    )

    browser.post(step_url("review"))

    assert Account.objects.get().payment_method == "TRANSFER"
    assert not SepaMandate.objects.exists()


def test_htmx_steps_swap_only_the_wizard_and_push_the_url(browser):
    response = browser.post(step_url("person"), step_data("person"), HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="wizard"' in body
    assert response["HX-Push-Url"] == step_url("address")


def test_htmx_submit_redirects_the_browser(browser):
    complete_steps(browser)

    response = browser.post(step_url("review"), HTTP_HX_REQUEST="true")

    assert response["HX-Redirect"] == reverse("onboarding_done")


def test_a_customer_who_is_onboarded_goes_to_the_dashboard(browser, user):
    CustomerFactory(user=user, email=user.email)

    response = browser.get(step_url("person"))

    assert response["Location"] == reverse("home")


def test_the_iban_check_names_the_bank(browser):
    response = browser.post(reverse("iban_check"), {"iban": "DE89 3704 0044 0532 0130 00"})

    assert "Commerzbank" in response.content.decode()
    assert "COBADEFFXXX" in response.content.decode()


def test_the_iban_check_explains_a_typo(browser):
    response = browser.post(reverse("iban_check"), {"iban": "DE89 3704 0044 0532 0130 01"})

    assert "check digits" in response.content.decode()


def test_forms_need_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(step_url("person"), step_data("person"))

    assert response.status_code == 403


def test_messages_are_german_by_default(client, user):
    client.force_login(user)
    client.post(step_url("person"), step_data("person"))

    response = client.post(step_url("address"), step_data("address", postcode="1234"))

    assert "Eine deutsche Postleitzahl hat genau 5 Ziffern." in response.content.decode()
