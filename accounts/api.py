"""Customers and accounts in the JSON API: /me, POST /customers, /accounts.

`accounts_visible` and `account_visible` are the one rule for which accounts
a caller sees, used by every app's endpoint that takes or lists accounts: a
customer only their own (another customer's account is 404, exactly like
one that does not exist), an API key every account (its scope is checked by
the endpoint's `ApiKeyAuth` before the endpoint runs)."""

import dataclasses
import datetime as dt
from typing import Any, Literal

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError as ModelValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BaseModel, ConfigDict

from accounts.changes import (
    ChangeRefused,
    Requested,
    bank_account_change,
    customer_change,
    email_change_request,
    email_check,
)
from accounts.forms import CustomerDetailsForm, ProfileForm
from accounts.models import (
    Account,
    ChangeChannel,
    Customer,
    CustomerType,
    Language,
    PaymentMethod,
    Requester,
    SepaMandate,
)
from accounts.queries import account_changes
from accounts.services import EmailAlreadyUsed, ExternalRefAlreadyUsed, customer_onboard
from core import clock
from core.api import ApiKeyAuth, InvalidInput, Message, customer_auth, customer_or_key, invalid_input
from core.models import ApiKey

# The operation ids are a published contract: every endpoint here keeps the
# id it had when the API lived in portal/api.py (`operation_id=`).
router = Router()
ACCOUNTS_READ = customer_or_key(scope="accounts:read")
CUSTOMERS_WRITE = ApiKeyAuth(scope="customers:write")

# --- Who sees which account -----------------------------------------------------------


def accounts_visible(
    principal: AbstractBaseUser | ApiKey, *, accounts: QuerySet[Account] | None = None
) -> QuerySet[Account]:
    """Of `accounts` (default: all, with their customer), those `principal`
    may see: every one for an API key, only their own for a customer."""
    accounts = Account.objects.select_related("customer") if accounts is None else accounts
    if isinstance(principal, ApiKey):
        return accounts
    return accounts.filter(customer__user=principal)


def account_visible(
    principal: AbstractBaseUser | ApiKey, *, number: str, accounts: QuerySet[Account] | None = None
) -> Account:
    """The account with `number` if `principal` may see it, else 404 (the same
    answer for another customer's account as for one that does not exist)."""
    account = accounts_visible(principal, accounts=accounts).filter(number=number).first()
    if account is None:
        raise HttpError(404, _("There is no account with this number."))
    return account


# --- Output -------------------------------------------------------------------------


# Both models name their choices "Status"; inline enums keep the OpenAPI names apart.
AccountStatus = Literal[tuple(Account.Status.values)]
MandateStatus = Literal[tuple(SepaMandate.Status.values)]


class CustomerOut(Schema):
    email: str
    customer_type: CustomerType
    first_name: str
    last_name: str
    company_name: str
    vat_id: str
    phone: str
    language: Language
    external_ref: str | None

    @staticmethod
    def resolve_phone(obj: Customer) -> str:
        return str(obj.phone) if obj.phone else ""


class AddressOut(Schema):
    street: str
    house_number: str
    address_extra: str
    postcode: str
    city: str
    country: str


class MandateOut(Schema):
    reference: str
    creditor_id: str
    account_holder: str
    iban_masked: str
    bic: str
    bank_name: str
    signed_date: dt.date
    status: MandateStatus

    @staticmethod
    def resolve_iban_masked(obj: SepaMandate) -> str:
        return obj.masked_iban


class AccountOut(Schema):
    """`mandate` is the active SEPA mandate, else the latest revoked one, else null."""

    number: str
    status: AccountStatus
    customer: CustomerOut
    billing_address: AddressOut
    payment_method: PaymentMethod
    mandate: MandateOut | None
    created_at: dt.datetime

    @staticmethod
    def resolve_billing_address(obj: Account) -> Account:
        return obj

    @staticmethod
    def resolve_mandate(obj: Account) -> SepaMandate | None:
        mandates = obj.mandates_newest_first
        return next((m for m in mandates if m.is_active), mandates[0] if mandates else None)


class MeOut(Schema):
    customer: CustomerOut
    accounts: list[AccountOut]


class CustomerCreated(Schema):
    account_number: str
    customer: CustomerOut
    mandate_reference: str | None


def accounts_with_details() -> QuerySet[Account]:
    """Accounts with everything AccountOut shows, in a fixed number of queries."""
    return (
        Account.objects.select_related("customer")
        .prefetch_related(
            Prefetch(
                "mandates",
                queryset=SepaMandate.objects.order_by("-created_at", "-id"),
                to_attr="mandates_newest_first",
            )
        )
        .order_by("number", "id")
    )


# --- Endpoints --------------------------------------------------------------------------


@router.get(
    "/me",
    response={200: MeOut, 401: Message, 404: Message},
    auth=customer_auth,
    tags=["customers"],
    operation_id="portal_api_me",
)
def me(request: HttpRequest) -> dict[str, Any]:
    """The signed-in customer and their accounts (customer session token only)."""
    customer = Customer.objects.filter(user=request.auth).first()
    if customer is None:
        raise HttpError(404, _("There is no customer record for this login yet."))
    return {"customer": customer, "accounts": list(accounts_with_details().filter(customer=customer))}


@router.get(
    "/accounts",
    response={200: list[AccountOut], 401: Message, 403: Message, 422: InvalidInput},
    auth=ACCOUNTS_READ,
    tags=["accounts"],
    operation_id="portal_api_account_list",
)
def account_list(
    request: HttpRequest,
    external_ref: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[Account]:
    """Accounts ordered by number, at most `limit` from `offset`; `external_ref`
    keeps those of the customer with that reference. A key needs accounts:read
    and sees every account; a customer sees only their own."""
    accounts = accounts_visible(request.auth, accounts=accounts_with_details())
    if external_ref:
        accounts = accounts.filter(customer__external_ref=external_ref)
    return list(accounts[offset : offset + limit])


@router.get(
    "/accounts/{number}",
    response={200: AccountOut, 401: Message, 403: Message, 404: Message},
    auth=ACCOUNTS_READ,
    tags=["accounts"],
    operation_id="portal_api_account_detail",
)
def account_detail(request: HttpRequest, number: str) -> Account:
    """One account. A key needs accounts:read; a customer gets 404 for any account not theirs."""
    return account_visible(request.auth, number=number, accounts=accounts_with_details())


class CustomerIn(BaseModel):
    """The onboarding fields, as in the CSV import.

    Every field is optional text here (numbers are taken as text): the
    onboarding form checks them, so messages are the wizard's own.
    `customer_type` household|business and `payment_method` sepa|transfer
    (any case); `country` defaults to DE, `language` (de|en) to de;
    `mandate_reference` is generated when absent; `mandate_signed_date`
    (YYYY-MM-DD) defaults to today. A missing `sepa_consent` counts as true:
    an integration that sends a direct-debit customer asserts that the signed
    mandate exists. Only `false` refuses it.
    """

    model_config = ConfigDict(coerce_numbers_to_str=True)

    customer_type: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    vat_id: str | None = None
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    house_number: str | None = None
    address_extra: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None
    language: str | None = None
    payment_method: str | None = None
    iban: str | None = None
    account_holder: str | None = None
    mandate_reference: str | None = None
    mandate_signed_date: str | None = None
    external_ref: str | None = None
    sepa_consent: bool | None = None


# The API calls the form's `company_name` `company`, like the CSV import.
FORM_TO_API = {"company_name": "company"}
EXTERNAL_REF = forms.CharField(max_length=Customer._meta.get_field("external_ref").max_length, required=False)


def api_names(messages: dict[str, list[str]]) -> dict[str, list[str]]:
    return {FORM_TO_API.get(field, field): [str(text) for text in texts] for field, texts in messages.items()}


def form_data(payload: CustomerIn) -> dict[str, Any]:
    data = payload.model_dump(exclude_none=True, exclude={"company", "external_ref"})
    data["company_name"] = payload.company or ""
    data["country"] = (payload.country or "DE").upper()
    data["language"] = (payload.language or "de").lower()
    data.setdefault("sepa_consent", True)
    return data


@router.post(
    "/customers",
    response={201: CustomerCreated, 401: Message, 403: Message, 409: InvalidInput, 422: InvalidInput},
    auth=CUSTOMERS_WRITE,
    tags=["customers"],
    operation_id="portal_api_customer_create",
)
def customer_create(request: HttpRequest, payload: CustomerIn) -> Status[dict[str, Any]]:
    """Onboard a customer with one account (and, for direct debit, the SEPA
    mandate); needs customers:write. Bad input: 422 with every field's message
    and nothing saved; an external_ref that is taken: 409."""
    today = clock.today()
    form = CustomerDetailsForm(form_data(payload))
    messages = {} if form.is_valid() else api_names(form.errors)
    try:
        external_ref = EXTERNAL_REF.clean(payload.external_ref or "").strip() or None
    except ModelValidationError as error:
        messages["external_ref"] = error.messages
    if messages:
        return Status(422, invalid_input(messages))
    onboarding = dataclasses.replace(form.to_onboarding_data(signed_date=today), external_ref=external_ref)
    try:
        account = customer_onboard(data=onboarding)
    except ExternalRefAlreadyUsed:
        return Status(
            409, invalid_input({"external_ref": [_("A customer with this external reference already exists.")]})
        )
    except EmailAlreadyUsed as error:
        return Status(422, invalid_input({"email": [str(error)]}))
    except ModelValidationError as error:
        return Status(422, invalid_input(api_names(error.message_dict)))
    return Status(
        201,
        {
            "account_number": account.number,
            "customer": account.customer,
            "mandate_reference": onboarding.mandate_reference or None,
        },
    )


# --- Changes: contact details, bank account, the audit trail --------------------------

CHANGES_WRITE = [customer_auth, ApiKeyAuth(scope="customers:write")]
ADDRESS_PARTS = ("street", "house_number", "postcode", "city", "country")


class AddressIn(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)

    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None


class ContactIn(BaseModel):
    """Any of the fields; `billing_address` replaces the whole address (every
    part required). An `email` is confirmed from the new address before it
    takes effect (answer 202)."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    phone: str | None = None
    billing_address: AddressIn | None = None
    language: str | None = None
    email: str | None = None


class ContactOut(Schema):
    phone: str
    billing_address: dict[str, str]
    language: str
    email: str
    email_pending: str | None = None


class BankAccountIn(BaseModel):
    iban: str | None = None
    account_holder: str | None = None
    consent: bool | None = None


class BankAccountOut(Schema):
    mandate_reference: str
    account_holder: str
    iban_masked: str
    signed_date: dt.date


class ChangeOut(Schema):
    at: dt.datetime
    field: str
    old: str
    new: str
    by: str
    channel: str


def _requested(request: HttpRequest) -> Requested:
    """A customer's own change through the app; an integration's change on the customer's behalf."""
    if isinstance(request.auth, ApiKey):
        return Requested(by=None, requested_by=Requester.SYSTEM, channel=ChangeChannel.API)
    return Requested.customer(request.auth, channel=ChangeChannel.API)


def _contact(account: Account, email_pending: str | None = None) -> dict[str, Any]:
    customer = account.customer
    return {
        "phone": str(customer.phone) if customer.phone else "",
        "billing_address": {part: getattr(account, part) for part in ADDRESS_PARTS},
        "language": customer.language,
        "email": customer.email,
        "email_pending": email_pending,
    }


@router.patch(
    "/accounts/{number}/contact",
    response={200: ContactOut, 202: ContactOut, 401: Message, 403: Message, 404: Message, 422: InvalidInput},
    auth=CHANGES_WRITE,
    tags=["accounts"],
)
def contact_change(request: HttpRequest, number: str, payload: ContactIn) -> Status[dict[str, Any]]:
    """Change phone, billing address and language (200 with the new values).
    An e-mail change answers 202: it takes effect once confirmed from the new
    address. Bad input: 422 with each field's message, nothing saved. A
    customer changes only their own accounts (404 otherwise); a key needs customers:write."""
    account = account_visible(request.auth, number=number)
    customer = account.customer
    data: dict[str, Any] = {}
    if payload.phone is not None:
        data["phone"] = payload.phone
    if payload.language is not None:
        data["language"] = payload.language.lower()
    if payload.billing_address is not None:
        address = payload.billing_address.model_dump()
        data.update({part: (address[part] or "") for part in ADDRESS_PARTS})
        data["country"] = data["country"].upper()
    errors: dict[str, list[str]] = {}
    form = ProfileForm(data, customer=customer, fields=list(data))
    if data and not form.is_valid():
        errors.update(
            {
                (f"billing_address.{name}" if name in ADDRESS_PARTS else name): [str(t) for t in texts]
                for name, texts in form.errors.items()
            }
        )
    email = None
    if payload.email is not None:
        try:
            email = email_check(customer=customer, email=payload.email)
        except ModelValidationError as error:
            errors["email"] = error.messages
    if not data and payload.email is None:
        errors["__all__"] = [_("Send at least one of phone, billing_address, language or email.")]
    if errors:
        return Status(422, invalid_input(errors))
    requested = _requested(request)
    try:
        with transaction.atomic():
            if data:
                customer_change(customer=customer, account=account, changes=form.changes(), requested=requested)
            if email is not None:
                email_change_request(customer=customer, email=email, requested=requested, request=request)
    except ChangeRefused as error:
        return Status(422, invalid_input(error.messages))
    account = accounts_visible(request.auth).get(pk=account.pk)
    if email is not None and account.customer.email != email:
        return Status(202, _contact(account, email_pending=email))
    return Status(200, _contact(account))


@router.put(
    "/accounts/{number}/bank-account",
    response={200: BankAccountOut, 401: Message, 403: Message, 404: Message, 422: InvalidInput},
    auth=CHANGES_WRITE,
    tags=["accounts"],
)
def bank_account_put(request: HttpRequest, number: str, payload: BankAccountIn) -> Status[dict[str, Any]]:
    """Pay by direct debit from a new bank account: a new SEPA mandate (the
    previous one revoked from today). Needs `"consent": true`; 422 without it
    or with a bad IBAN, nothing saved."""
    account = account_visible(request.auth, number=number)
    try:
        change = bank_account_change(
            account=account,
            iban=payload.iban or "",
            account_holder=payload.account_holder or "",
            consent=payload.consent is True,
            requested=_requested(request),
        )
    except ChangeRefused as error:
        return Status(422, invalid_input(error.messages))
    mandate = change.mandate
    return Status(
        200,
        {
            "mandate_reference": mandate.reference,
            "account_holder": mandate.account_holder,
            "iban_masked": mandate.masked_iban,
            "signed_date": mandate.signed_date,
        },
    )


@router.get(
    "/accounts/{number}/changes",
    response={200: list[ChangeOut], 401: Message, 403: Message, 404: Message},
    auth=ACCOUNTS_READ,
    tags=["accounts"],
)
def change_list(
    request: HttpRequest, number: str, limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0)
) -> list[dict[str, Any]]:
    """The audit trail of the account and its customer, newest first: `by` is
    on whose request (customer, agent, representative, system), `channel`
    how (portal, phone, letter, email, api); an IBAN appears masked."""
    account = account_visible(request.auth, number=number)
    return [
        {
            "at": change.at,
            "field": change.field,
            "old": change.old,
            "new": change.new,
            "by": change.requested_by.lower(),
            "channel": change.channel.lower(),
        }
        for change in account_changes(account=account)[offset : offset + limit]
    ]
