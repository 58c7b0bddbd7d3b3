"""The JSON API at /api/v1/ (django-ninja); OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Two kinds of caller:

- customers (the mobile app) send the allauth headless session token from
  POST /_allauth/app/v1/auth/login in the ``X-Session-Token`` header and see
  only their own customer record and accounts;
- integrations send an API key (``manage.py create_api_key``) as
  ``X-API-Key: <key>``, ``Authorization: Bearer <key>`` or
  ``Authorization: Api-Key <key>``; every endpoint names the scope it needs.

No or unknown credentials give 401, a key without the endpoint's scope 403.
Another customer's account is 404, exactly like one that does not exist.
Messages follow the request's Accept-Language (German by default).
"""

import dataclasses
import datetime as dt
from typing import Any, Literal

from allauth.headless.contrib.ninja.security import XSessionTokenAuth
from csp.decorators import csp_exempt
from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError as ModelValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Schema, Status, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security.base import AuthBase
from pydantic import BaseModel, ConfigDict

from accounts.forms import CustomerDetailsForm
from accounts.models import Account, Customer, CustomerType, Language, PaymentMethod, SepaMandate
from accounts.services import EmailAlreadyUsed, ExternalRefAlreadyUsed, customer_onboard
from portal.core import clock
from portal.core.apikeys import KNOWN_SCOPES, api_key_authenticate
from portal.core.models import ApiKey

# --- Plumbing ----------------------------------------------------------------


class SwaggerOutsideCsp(Swagger):
    """ninja's Swagger UI loads its script from a CDN and starts it with an
    inline script; the site's Content-Security-Policy allows neither, so this
    one page, and no other, is exempt from it."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        return csp_exempt()(super().render_page)(request, api, **kwargs)


class BodyParser(Parser):
    """A body that is not JSON at all is passed on as text, so it fails
    validation like any other body that is not a JSON object: 422 in the
    usual shape instead of a bare 400."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return super().parse_body(request)
        except ValueError:
            return request.body.decode("utf-8", errors="replace")


api = NinjaAPI(
    title="Utility portal API",
    version="1",
    urls_namespace="api",
    docs=SwaggerOutsideCsp(),
    docs_url="/docs",
    parser=BodyParser(),
)

# --- Authentication ------------------------------------------------------------


class CustomerSessionAuth(XSessionTokenAuth):
    """allauth's headless session token; the request's auth is the user."""

    openapi_in = "header"
    openapi_name = "X-Session-Token"
    openapi_description = "Customer session token from POST /_allauth/app/v1/auth/login (app client)."


class ApiKeyAuth(AuthBase):
    """An integration's API key that carries `scope`; the request's auth is the ApiKey.

    A valid key without the scope is refused with 403 here, so the endpoint
    never runs for it.
    """

    openapi_type = "apiKey"
    openapi_in = "header"
    openapi_name = "X-API-Key"
    openapi_description = (
        "Integration API key from `manage.py create_api_key`. Also accepted as "
        "`Authorization: Bearer <key>` or `Authorization: Api-Key <key>`."
    )
    AUTHORIZATION_SCHEMES = ("bearer", "api-key")

    def __init__(self, *, scope: str) -> None:
        if scope not in KNOWN_SCOPES:
            raise ValueError(f"unknown scope {scope!r}; known: {', '.join(KNOWN_SCOPES)}")
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest) -> ApiKey | None:
        plain = self.key_from(request)
        if not plain:
            return None
        key = api_key_authenticate(plain)
        if key is None:
            return None
        if not key.has_scope(self.scope):
            raise HttpError(
                403,
                _("This API key lacks the scope “%(scope)s” that this request needs.") % {"scope": self.scope},
            )
        return key

    def key_from(self, request: HttpRequest) -> str:
        key = request.headers.get("X-API-Key", "").strip()
        if key:
            return key
        scheme, _space, credential = request.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() in self.AUTHORIZATION_SCHEMES:
            return credential.strip()
        return ""


customer_auth = CustomerSessionAuth()
ACCOUNTS_READ = [customer_auth, ApiKeyAuth(scope="accounts:read")]
CUSTOMERS_WRITE = ApiKeyAuth(scope="customers:write")


# --- Errors ----------------------------------------------------------------------


class Message(Schema):
    detail: str


class ErrorDetail(Schema):
    loc: list[str]
    msg: str


class InvalidInput(Schema):
    """One message a field in `errors`; every message, located, in `detail`."""

    errors: dict[str, str]
    detail: list[ErrorDetail]


def invalid_input(messages: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "errors": {field: texts[0] for field, texts in messages.items()},
        "detail": [{"loc": ["body", field], "msg": text} for field, texts in messages.items() for text in texts],
    }


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = _("Authentication required: send a customer session token (X-Session-Token) or an API key (X-API-Key).")
    response = api.create_response(request, {"detail": message}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(ValidationError)
def request_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Requests the schemas reject, in the same shape as the form's messages."""
    errors: dict[str, str] = {}
    detail: list[dict[str, Any]] = []
    for error in exc.errors:
        source, *path = [str(part) for part in error["loc"]]
        if source == "body" and len(path) <= 1:
            message = _("The request body must be a JSON object.")
            loc = ["body"]
        else:
            message = _("Enter a valid value.")
            loc = [source, path[-1]]
        errors.setdefault(loc[-1], message)
        detail.append({"loc": loc, "msg": message})
    return api.create_response(request, {"errors": errors, "detail": detail}, status=422)


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


# --- Reads ----------------------------------------------------------------------------


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


def accounts_visible_to(principal: AbstractBaseUser | ApiKey) -> QuerySet[Account]:
    """A key (authenticated with accounts:read) sees every account, a customer only their own."""
    accounts = accounts_with_details()
    if isinstance(principal, ApiKey):
        return accounts
    return accounts.filter(customer__user=principal)


# --- Endpoints --------------------------------------------------------------------------


@api.get("/me", response={200: MeOut, 401: Message, 404: Message}, auth=customer_auth, tags=["customers"])
def me(request: HttpRequest) -> dict[str, Any]:
    """The signed-in customer and their accounts (customer session token only)."""
    customer = Customer.objects.filter(user=request.auth).first()
    if customer is None:
        raise HttpError(404, _("There is no customer record for this login yet."))
    return {"customer": customer, "accounts": list(accounts_with_details().filter(customer=customer))}


@api.get(
    "/accounts",
    response={200: list[AccountOut], 401: Message, 403: Message, 422: InvalidInput},
    auth=ACCOUNTS_READ,
    tags=["accounts"],
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
    accounts = accounts_visible_to(request.auth)
    if external_ref:
        accounts = accounts.filter(customer__external_ref=external_ref)
    return list(accounts[offset : offset + limit])


@api.get(
    "/accounts/{number}",
    response={200: AccountOut, 401: Message, 403: Message, 404: Message},
    auth=ACCOUNTS_READ,
    tags=["accounts"],
)
def account_detail(request: HttpRequest, number: str) -> Account:
    """One account. A key needs accounts:read; a customer gets 404 for any account not theirs."""
    account = accounts_visible_to(request.auth).filter(number=number).first()
    if account is None:
        raise HttpError(404, _("There is no account with this number."))
    return account


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


@api.post(
    "/customers",
    response={201: CustomerCreated, 401: Message, 403: Message, 409: InvalidInput, 422: InvalidInput},
    auth=CUSTOMERS_WRITE,
    tags=["customers"],
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
