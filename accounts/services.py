"""Writes for customers and accounts. Every channel onboards through here, and
an account's billing preferences change only here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Account, BillingPreferences, Customer, PaymentMethod, SepaMandate
from core import communications
from core.checkdigits import luhn_check_digit
from core.sequences import sequence_take


class EmailAlreadyUsed(Exception):
    """Another customer already uses this e-mail address."""

    def __init__(self) -> None:
        super().__init__(
            _("A customer with this e-mail address already exists. Please sign in or use another address.")
        )


class ExternalRefAlreadyUsed(Exception):
    """A customer with this external reference exists already."""


class MandateReferenceAlreadyUsed(Exception):
    """Another mandate has this reference."""

    def __init__(self) -> None:
        super().__init__(_("Another mandate already has this reference."))


@dataclass(frozen=True)
class OnboardingData:
    customer_type: str
    first_name: str
    last_name: str
    company_name: str
    vat_id: str
    language: str
    street: str
    house_number: str
    address_extra: str
    postcode: str
    city: str
    country: str
    email: str
    phone: str
    payment_method: str
    account_holder: str
    iban: str
    bic: str
    bank_name: str
    mandate_reference: str
    mandate_signed_date: dt.date
    external_ref: str | None = None


def account_number_next() -> str:
    """The next account number: a running number plus its Luhn check digit."""
    base = str(sequence_take(name="account", start=settings.ACCOUNT_NUMBER_START))
    return f"{base}{luhn_check_digit(base)}"


def customer_onboard(*, data: OnboardingData, user: AbstractBaseUser | None = None, notify: bool = True) -> Account:
    """Save customer, account and (for direct debit) the SEPA mandate in one
    transaction, then send the confirmation in the customer's language
    (unless `notify` is false, e.g. when migrating existing customers)."""
    try:
        with transaction.atomic():
            # E-mail addresses are stored lower-case, so the unique index answers this.
            if Customer.objects.filter(email=data.email.lower()).exists():
                raise EmailAlreadyUsed()
            if data.external_ref and Customer.objects.filter(external_ref=data.external_ref).exists():
                raise ExternalRefAlreadyUsed(data.external_ref)
            customer = Customer(
                user=user,
                customer_type=data.customer_type,
                first_name=data.first_name,
                last_name=data.last_name,
                company_name=data.company_name,
                vat_id=data.vat_id,
                email=data.email.lower(),
                phone=data.phone,
                language=data.language,
                external_ref=data.external_ref or None,
            )
            customer.full_clean(validate_unique=False)
            customer.save()
            account = Account(
                number=account_number_next(),
                customer=customer,
                street=data.street,
                house_number=data.house_number,
                address_extra=data.address_extra,
                postcode=data.postcode,
                city=data.city,
                country=data.country,
                payment_method=data.payment_method,
            )
            account.full_clean(validate_unique=False)
            account.save()
            mandate = None
            if data.payment_method == PaymentMethod.SEPA:
                mandate = SepaMandate(
                    account=account,
                    reference=data.mandate_reference,
                    creditor_id=settings.SEPA_CREDITOR_ID,
                    account_holder=data.account_holder,
                    iban=data.iban,
                    bic=data.bic,
                    bank_name=data.bank_name,
                    signed_date=data.mandate_signed_date,
                )
                mandate.full_clean(validate_unique=False, validate_constraints=False)
                mandate.save()
            if notify:
                communications.message_send(
                    recipient=customer.as_recipient(),
                    template="onboarding_confirmation",
                    context={
                        "customer": customer,
                        "account": account,
                        "mandate": mandate,
                        "creditor_id": settings.SEPA_CREDITOR_ID,
                    },
                )
    except IntegrityError as error:
        # A concurrent request won the race for a unique value.
        text = str(error).lower()
        if "email" in text:
            raise EmailAlreadyUsed() from error
        if "external_ref" in text:
            raise ExternalRefAlreadyUsed(data.external_ref) from error
        if "reference" in text:
            raise MandateReferenceAlreadyUsed() from error
        raise
    return account


def customer_link_user(*, user: AbstractBaseUser, email: str) -> Customer | None:
    """Give a customer who was onboarded by phone (no login yet) the login
    that has just verified the same e-mail address."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(email=email.lower(), user__isnull=True).first()
        if customer is None or Customer.objects.filter(user=user).exists():
            return None
        customer.user = user
        customer.save(update_fields=["user"])
    return customer


def billing_preferences_locked(*, account: Account) -> BillingPreferences:
    """The account's billing preferences, created with the defaults when it has
    none yet, locked until the surrounding transaction ends."""
    with transaction.atomic():
        preferences, _created = BillingPreferences.objects.get_or_create(account=account)
        return BillingPreferences.objects.select_for_update().get(pk=preferences.pk)


def billing_preferences_change(
    *, account: Account, changes: dict[str, Any], user: AbstractBaseUser | None = None, reason: str = ""
) -> BillingPreferences:
    """Apply `changes` (field -> new value) to the account's billing preferences
    in one transaction, checked by the model and kept in their history (who,
    why). Values equal to the current ones change nothing; an account without
    preferences gets them saved with the defaults. The business rules on what
    a customer or an agent may choose are billing's (billing.services.preferences)."""
    with transaction.atomic():
        preferences = BillingPreferences.objects.select_for_update().filter(account=account).first()
        preferences = preferences or BillingPreferences(account=account)
        changed = {field: value for field, value in changes.items() if getattr(preferences, field) != value}
        if not changed and preferences.pk is not None:
            return preferences
        for field, value in changed.items():
            setattr(preferences, field, value)
        preferences.full_clean()
        if user is not None:
            preferences._history_user = user
        if reason:
            preferences._change_reason = reason
        preferences.save()
    return preferences
