"""Customers, accounts, mandates and logins (staff with two-factor) for tests."""

import datetime as dt

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.models import Account, Customer, CustomerType, PaymentMethod, SepaMandate
from portal.roles import ensure_roles

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


def with_two_factor(user):
    """Staff pages ask for two-factor set-up first; test staff have it."""
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


def staff_user(email="agent@example.com", group="Agents", **extra):
    """A staff login in the role `group` (none if empty), with two-factor set up."""
    ensure_roles()
    user = UserFactory(email=email, is_staff=True, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return with_two_factor(user)


def account_with_mandate(**kwargs) -> Account:
    account = AccountFactory(**kwargs)
    SepaMandateFactory(account=account)
    return account


def account_with(number: str, first_name: str, last_name: str, *, direct_debit: bool = False, **customer) -> Account:
    """An account of a named customer, paying by direct debit (with a mandate) or by transfer."""
    account = AccountFactory(
        number=number,
        customer=CustomerFactory(first_name=first_name, last_name=last_name, **customer),
        payment_method=PaymentMethod.SEPA if direct_debit else PaymentMethod.TRANSFER,
    )
    if direct_debit:
        SepaMandateFactory(
            account=account,
            reference=f"MANDATE-{number}",
            account_holder=f"{first_name} {last_name}",
        )
    return account


def customer_with_account(**extra):
    account = AccountFactory(customer=CustomerFactory(**extra))
    return account.customer, account


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
