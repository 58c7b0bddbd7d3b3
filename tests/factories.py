"""Factories for every model; data is built through the real services where it matters."""

import datetime as dt

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from accounts.models import Account, Customer, CustomerType, PaymentMethod, SepaMandate
from core.models import ApiKey, OutboxMessage

VALID_IBAN = "DE89370400440532013000"  # Commerzbank Köln test IBAN


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    username = factory.LazyAttribute(lambda o: o.email)
    password = factory.django.Password("s3cret-Passw0rd!")

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    customer_type = CustomerType.HOUSEHOLD
    first_name = factory.Faker("first_name", locale="de_DE")
    last_name = factory.Faker("last_name", locale="de_DE")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = "+4930123456"
    language = "de"
    user = factory.SubFactory(UserFactory, email=factory.SelfAttribute("..email"))


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    number = factory.Sequence(lambda n: f"9{n:08d}")
    customer = factory.SubFactory(CustomerFactory)
    street = "Lindenstraße"
    house_number = "12"
    postcode = "10969"
    city = "Berlin"
    country = "DE"
    payment_method = PaymentMethod.TRANSFER


class SepaMandateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SepaMandate

    account = factory.SubFactory(AccountFactory, payment_method=PaymentMethod.SEPA)
    reference = factory.Sequence(lambda n: f"TEST-MANDATE-{n}")
    creditor_id = "DE98ZZZ09999999999"
    account_holder = "Max Mustermann"
    iban = VALID_IBAN
    bic = "COBADEFFXXX"
    bank_name = "Commerzbank"
    signed_date = dt.date(2026, 1, 2)


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboxMessage

    channel = "EMAIL"
    template = "test"
    language = "de"
    to_address = "someone@example.com"
    subject = "Hallo"
    body = "Text"


class ApiKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiKey

    name = "test"
    prefix = factory.Sequence(lambda n: f"p{n:05d}")
    hashed_key = "0" * 64
    scopes = factory.LazyFunction(list)


def onboarding_payload(**overrides) -> dict:
    """A complete, valid set of customer details (wizard / API / CSV field names)."""
    data = {
        "customer_type": "HOUSEHOLD",
        "first_name": "Erika",
        "last_name": "Mustermann",
        "company_name": "",
        "vat_id": "",
        "language": "de",
        "street": "Heidestraße",
        "house_number": "17",
        "address_extra": "",
        "postcode": "51147",
        "city": "Köln",
        "country": "DE",
        "email": "erika@example.com",
        "phone": "0221 1234567",
        "payment_method": "SEPA",
        "account_holder": "Erika Mustermann",
        "iban": "DE89 3704 0044 0532 0130 00",
        "sepa_consent": "on",
    }
    data.update(overrides)
    return data
