import datetime as dt

import pytest
from django.core import mail

from accounts.forms import CustomerDetailsForm
from accounts.models import Account, Customer, SepaMandate
from accounts.services import EmailAlreadyUsed, customer_onboard
from core.checkdigits import luhn_is_valid
from core.models import OutboxMessage
from tests.accounts.factories import CustomerFactory, onboarding_payload

pytestmark = pytest.mark.django_db


def onboard(**overrides):
    form = CustomerDetailsForm(onboarding_payload(**overrides))
    assert form.is_valid(), form.errors
    return customer_onboard(data=form.to_onboarding_data(signed_date=dt.date(2026, 11, 27)))


def test_onboarding_saves_customer_account_and_mandate(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        account = onboard()

    customer = account.customer
    assert customer.email == "erika@example.com"
    assert str(customer.phone) == "+492211234567"
    assert luhn_is_valid(account.number)
    mandate = SepaMandate.objects.get(account=account)
    assert mandate.iban == "DE89370400440532013000"
    assert mandate.bic == "COBADEFFXXX"
    assert mandate.creditor_id == "DE98ZZZ09999999999"
    assert mandate.reference.startswith("UPM-")
    assert mandate.signed_date == dt.date(2026, 11, 27)


def test_confirmation_mail_is_in_the_customers_language_and_names_the_mandate(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        account = onboard(language="en")

    mandate = account.mandates.get()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["erika@example.com"]
    assert "is set up" in sent.subject
    assert mandate.reference in sent.body
    assert "Mandate reference" in sent.body
    message = OutboxMessage.objects.get()
    assert message.status == OutboxMessage.Status.SENT
    assert message.recipient == account.customer


def test_german_customer_gets_a_german_mail(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        onboard(language="de")

    assert "Mandatsreferenz" in mail.outbox[0].body


def test_account_numbers_are_consecutive_with_a_check_digit():
    first = onboard(email="a@example.com")
    second = onboard(email="b@example.com")

    assert int(second.number[:-1]) == int(first.number[:-1]) + 1
    assert luhn_is_valid(first.number) and luhn_is_valid(second.number)


def test_bank_transfer_customers_get_no_mandate():
    account = onboard(payment_method="TRANSFER", iban="", account_holder="", sepa_consent="")

    assert not account.mandates.exists()


def test_an_email_used_by_another_customer_is_refused_and_nothing_is_saved():
    form = CustomerDetailsForm(onboarding_payload())
    assert form.is_valid()
    data = form.to_onboarding_data(signed_date=dt.date(2026, 11, 27))
    CustomerFactory(email="erika@example.com")

    with pytest.raises(EmailAlreadyUsed):
        customer_onboard(data=data)

    assert Customer.objects.count() == 1
    assert Account.objects.count() == 0


def test_email_addresses_are_stored_lower_case_and_clash_whatever_the_case():
    first = onboard(email="Erika.M@Example.COM")

    assert first.customer.email == "erika.m@example.com"
    form = CustomerDetailsForm(onboarding_payload(email="ERIKA.M@example.com"))
    assert not form.is_valid()
    assert "already exists" in form.errors["email"][0]


def test_a_mandate_reference_in_use_is_refused_by_the_form():
    existing = onboard(email="a@example.com").mandates.get().reference

    form = CustomerDetailsForm(onboarding_payload(email="b@example.com", mandate_reference=existing))

    assert not form.is_valid()
    assert form.errors["mandate_reference"]


def test_a_mandate_signed_in_the_future_is_refused():
    form = CustomerDetailsForm(onboarding_payload(mandate_signed_date="2999-01-01"))

    assert not form.is_valid()
    assert form.errors["mandate_signed_date"]
