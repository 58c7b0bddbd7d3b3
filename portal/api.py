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
from decimal import Decimal
from typing import Any, Literal

from allauth.headless.contrib.ninja.security import XSessionTokenAuth
from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError as ModelValidationError
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security.base import AuthBase
from pydantic import BaseModel, ConfigDict

from accounts.forms import CustomerDetailsForm
from accounts.models import Account, Customer, CustomerType, Language, PaymentMethod, SepaMandate
from accounts.services import EmailAlreadyUsed, ExternalRefAlreadyUsed, customer_onboard
from core import clock
from core.apikeys import KNOWN_SCOPES, api_key_authenticate
from core.models import ApiKey
from core.money import CENT, round_money
from metering.services.imports import MAX_API_ITEMS, reads_import_items
from meters.models import Meter, Premise, Register, Utility
from payments.api import router_build as payments_router_build
from supply import forms as supply_forms
from supply.models import ServiceAgreement, Tariff, TariffPrice, TariffVersion
from supply.services.agreements import SupplySetupError, supply_setup_submit
from supply.services.tariffs import NoVatRateOnDate, tariffs_offered, vat_rate_on

# --- Plumbing ----------------------------------------------------------------


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
            if error.get("type") == "list_type":
                message = _("The request body must be a JSON list.")
            else:
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


# --- Supply: agreements and the tariff offer ----------------------------------------------

SUPPLY_WRITE = [customer_auth, ApiKeyAuth(scope="supply:write")]
# Gross unit prices to a hundredth of a cent, as on the portal's tariff cards.
UNIT_PRICE_PLACES = Decimal("0.0001")
AgreementStatus = Literal[tuple(ServiceAgreement.Status.values)]


class PremiseOut(Schema):
    street: str
    house_number: str
    postcode: str
    city: str
    country: str


class TariffRef(Schema):
    code: str
    name: str


class AgreementOut(Schema):
    """A service agreement; `meter_serial` and `registers` are the meter
    installed now (empty for internet), `expected_annual_consumption` is
    text (kWh, or m³ for water) or null."""

    id: int
    status: AgreementStatus
    utility: Utility
    supply_point_id: str
    premise: PremiseOut
    tariff: TariffRef
    start_date: dt.date
    end_date: dt.date | None
    meter_serial: str
    registers: list[str]
    expected_annual_consumption: str | None
    start_reason: ServiceAgreement.StartReason

    @staticmethod
    def resolve_utility(obj: ServiceAgreement) -> str:
        return obj.supply_point.utility

    @staticmethod
    def resolve_supply_point_id(obj: ServiceAgreement) -> str:
        return obj.supply_point.identifier

    @staticmethod
    def resolve_premise(obj: ServiceAgreement) -> Premise:
        return obj.supply_point.premise

    @staticmethod
    def resolve_tariff(obj: ServiceAgreement) -> dict[str, str]:
        return {"code": obj.tariff.code, "name": obj.tariff.name}

    @staticmethod
    def resolve_meter_serial(obj: ServiceAgreement) -> str:
        meters = obj.supply_point.current_meters
        return meters[0].serial if meters else ""

    @staticmethod
    def resolve_registers(obj: ServiceAgreement) -> list[str]:
        meters = obj.supply_point.current_meters
        return [register.obis for register in meters[0].registers.all()] if meters else []

    @staticmethod
    def resolve_expected_annual_consumption(obj: ServiceAgreement) -> str | None:
        value = obj.expected_annual_consumption
        return None if value is None else str(value)


def agreements_with_details() -> QuerySet[ServiceAgreement]:
    """Agreements with everything AgreementOut shows, in a fixed number of queries."""
    meters = (
        Meter.objects.filter(removed_on__isnull=True)
        .order_by("-installed_on", "-id")
        .prefetch_related(Prefetch("registers", queryset=Register.objects.order_by("obis", "id")))
    )
    return (
        ServiceAgreement.objects.select_related("supply_point__premise", "tariff")
        .prefetch_related(Prefetch("supply_point__meters", queryset=meters, to_attr="current_meters"))
        .order_by("start_date", "id")
    )


def account_visible_or_404(principal: AbstractBaseUser | ApiKey, number: str) -> Account:
    """The account with `number`: any for a key, only their own for a customer."""
    accounts = Account.objects.select_related("customer").filter(number=number)
    if not isinstance(principal, ApiKey):
        accounts = accounts.filter(customer__user=principal)
    account = accounts.first()
    if account is None:
        raise HttpError(404, _("There is no account with this number."))
    return account


@api.get(
    "/accounts/{number}/agreements",
    response={200: list[AgreementOut], 401: Message, 403: Message, 404: Message},
    auth=ACCOUNTS_READ,
    tags=["supply"],
)
def agreement_list(request: HttpRequest, number: str) -> list[ServiceAgreement]:
    """The account's service agreements in every state, by start date. A key
    needs accounts:read; a customer gets 404 for any account not theirs."""
    account = account_visible_or_404(request.auth, number)
    return list(agreements_with_details().filter(account=account))


class PremiseIn(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)

    street: str | None = None
    house_number: str | None = None
    address_extra: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None


class AgreementIn(BaseModel):
    """A supply request, checked like the portal's supply set-up page.

    `utility` electricity|gas|water|internet, `start_reason`
    move_in|supplier_switch, `meter_kind` conventional|smart (default
    conventional), all in any case. `tariff_code` must name a tariff offered
    for the utility and the customer's type. `start_reads` maps each register
    (OBIS code) to its reading: electricity {"1-0:1.8.0": …} or, for a dual
    rate meter, {"1-0:1.8.1": …, "1-0:1.8.2": …}; gas {"7-0:3.0.0": …};
    water {"8-0:1.0.0": …}; internet has no meter. `premise` defaults to the
    account's billing address; we supply premises in Germany.
    """

    model_config = ConfigDict(coerce_numbers_to_str=True)

    utility: str | None = None
    supply_point_id: str | None = None
    tariff_code: str | None = None
    start_date: str | None = None
    start_reason: str | None = None
    meter_serial: str | None = None
    meter_kind: str | None = None
    start_reads: dict[str, str] | None = None
    expected_annual_consumption: str | None = None
    premise: PremiseIn | None = None


# The set-up form's field -> the API's name.
SUPPLY_FORM_TO_API = {
    "utilities": "utility",
    "tariff": "tariff_code",
    "rate": "start_reads",
    "street": "premise.street",
    "house_number": "premise.house_number",
    "address_extra": "premise.address_extra",
    "postcode": "premise.postcode",
    "city": "premise.city",
    "account": "number",
    "__all__": "body",
}


def _supply_form_data(*, account: Account, payload: AgreementIn) -> tuple[MultiValueDict, dict[str, list[str]]]:
    """The payload as the supply set-up page would post it, and the messages
    for what cannot even be put there (unknown tariff code or registers)."""
    messages: dict[str, list[str]] = {}
    utility = (payload.utility or "").strip().upper()
    premise = payload.premise or PremiseIn(
        street=account.street,
        house_number=account.house_number,
        address_extra=account.address_extra,
        postcode=account.postcode,
        city=account.city,
        country=account.country,
    )
    if (premise.country or "DE").strip().upper() != "DE":
        messages["premise.country"] = [_("We supply premises in Germany only.")]
    data = MultiValueDict(
        {
            "account": [str(account.pk)],
            "street": [premise.street or ""],
            "house_number": [premise.house_number or ""],
            "address_extra": [premise.address_extra or ""],
            "postcode": [premise.postcode or ""],
            "city": [premise.city or ""],
            "utilities": [utility] if utility else [],
        }
    )
    if utility not in Utility.values:
        return data, messages
    prefix = utility.lower()
    tariff_code = (payload.tariff_code or "").strip()
    tariff = Tariff.objects.filter(code=tariff_code).first() if tariff_code else None
    if tariff_code and tariff is None:
        messages["tariff_code"] = [_("There is no tariff with this code.")]
    reads = {obis.strip(): value for obis, value in (payload.start_reads or {}).items()}
    known = set(supply_forms.register_codes(utility, supply_forms.SINGLE_RATE)) | set(
        supply_forms.register_codes(utility, supply_forms.DUAL_RATE)
    )
    unknown = sorted(set(reads) - known)
    if unknown:
        messages["start_reads"] = [
            _("Unknown register %(unknown)s; the registers of this utility are: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(sorted(known)) or _("none")}
        ]
    if utility == Utility.INTERNET and (payload.meter_serial or "").strip():
        messages["meter_serial"] = [_("An internet line has no meter.")]
    dual = set(supply_forms.register_codes(utility, supply_forms.DUAL_RATE))
    rate = supply_forms.DUAL_RATE if utility == Utility.ELECTRICITY and dual <= set(reads) else supply_forms.SINGLE_RATE
    fields = {
        "supply_point_id": payload.supply_point_id or "",
        "start_reason": (payload.start_reason or "").strip().upper(),
        "start_date": payload.start_date or "",
        "tariff": str(tariff.pk) if tariff else "",
        "meter_serial": payload.meter_serial or "",
        "meter_kind": (payload.meter_kind or Meter.Kind.CONVENTIONAL).strip().upper(),
        "rate": rate,
        "expected_annual_consumption": payload.expected_annual_consumption or "",
        **{supply_forms.read_field_name(obis): value for obis, value in reads.items() if obis in known},
    }
    for name, value in fields.items():
        data[f"{prefix}-{name}"] = value
    return data, messages


def _supply_form_messages(setup: supply_forms.SupplySetup) -> dict[str, list[str]]:
    messages: dict[str, list[str]] = {}
    for name, texts in setup.main.errors.items():
        messages.setdefault(SUPPLY_FORM_TO_API.get(name, name), []).extend(str(text) for text in texts)
    for form in setup.forms.values():
        reads = {
            supply_forms.read_field_name(obis): obis
            for rate in (supply_forms.SINGLE_RATE, supply_forms.DUAL_RATE)
            for obis in supply_forms.register_codes(form.utility, rate)
        }
        for name, texts in form.errors.items():
            if name in reads:
                messages.setdefault("start_reads", []).extend(f"{reads[name]}: {text}" for text in texts)
            else:
                messages.setdefault(SUPPLY_FORM_TO_API.get(name, name), []).extend(str(text) for text in texts)
    return messages


@api.post(
    "/accounts/{number}/agreements",
    response={201: AgreementOut, 401: Message, 403: Message, 404: Message, 422: InvalidInput},
    auth=SUPPLY_WRITE,
    tags=["supply"],
)
def agreement_request(request: HttpRequest, number: str, payload: AgreementIn) -> Status[Any]:
    """Request supply for one utility at a premise: the agreement is created
    in REQUESTED for the agents to confirm, and the customer gets a
    confirmation e-mail. A customer may do this for their own account (404
    for others), a key needs supply:write. Bad input: 422 with every field's
    message and nothing saved."""
    account = account_visible_or_404(request.auth, number)
    today = clock.today()
    data, messages = _supply_form_data(account=account, payload=payload)
    setup = supply_forms.SupplySetup(customer=account.customer, day=today, data=data)
    if not setup.is_valid() or messages:
        return Status(422, invalid_input({**_supply_form_messages(setup), **messages}))
    try:
        (agreement,) = supply_setup_submit(
            account=setup.account, premise=setup.premise(), requests=setup.requests(), as_of=today
        )
    except SupplySetupError as error:
        field = SUPPLY_FORM_TO_API.get(error.field, error.field) or "body"
        return Status(422, invalid_input({field: [str(error)]}))
    return Status(201, agreements_with_details().get(pk=agreement.pk))


class PriceOut(Schema):
    net: Decimal
    gross: Decimal


class UnitPriceOut(PriceOut):
    obis: str


class TariffOfferOut(Schema):
    """A tariff offered today with its prices in EUR: net and gross (VAT
    included, unit prices to a hundredth of a cent). `unit_prices` lists a
    price per register (OBIS code) or one for every register ("*");
    metered tariffs have a `standing_charge_per_year`, internet a
    `monthly_fee`."""

    code: str
    name: str
    utility: Utility
    customer_type: CustomerType
    minimum_term_months: int
    notice_period_weeks: int
    prices_valid_from: dt.date
    vat_rate: Decimal
    unit_prices: list[UnitPriceOut]
    standing_charge_per_year: PriceOut | None
    monthly_fee: PriceOut | None


def _price(net: Decimal | None, rate: Decimal, *, places: Decimal = CENT) -> dict[str, Decimal] | None:
    if net is None:
        return None
    return {"net": net, "gross": round_money(net * (1 + rate), places=places)}


@api.get(
    "/tariffs",
    response={200: list[TariffOfferOut], 422: InvalidInput},
    auth=None,
    tags=["supply"],
)
def tariff_list(
    request: HttpRequest,
    utility: str,
    customer_type: str = "household",
) -> Any:
    """The tariffs offered today (public, no credentials): `utility`
    electricity|gas|water|internet, `customer_type` household (default) or
    business, in any case."""
    messages: dict[str, list[str]] = {}
    utility_value = utility.strip().upper()
    customer_type_value = customer_type.strip().upper()
    if utility_value not in Utility.values:
        messages["utility"] = [_("Choose one of: electricity, gas, water, internet.")]
    if customer_type_value not in CustomerType.values:
        messages["customer_type"] = [_("Choose one of: household, business.")]
    if messages:
        return Status(422, invalid_input(messages))
    today = clock.today()
    tariffs = tariffs_offered(utility=utility_value, customer_type=customer_type_value, day=today)
    current = (
        TariffVersion.objects.filter(valid_from__lte=today).order_by("-valid_from", "-id").prefetch_related("prices")
    )
    prefetch_related_objects(tariffs, Prefetch("versions", queryset=current, to_attr="versions_until_today"))
    try:
        rate = vat_rate_on(utility=utility_value, day=today)
    except NoVatRateOnDate:
        return []
    offers = []
    for tariff in tariffs:
        version = tariff.versions_until_today[0]
        prices = sorted(version.prices.all(), key=lambda price: (price.obis != TariffPrice.ALL_REGISTERS, price.obis))
        offers.append(
            {
                "code": tariff.code,
                "name": tariff.name,
                "utility": tariff.utility,
                "customer_type": tariff.customer_type,
                "minimum_term_months": tariff.minimum_term_months,
                "notice_period_weeks": tariff.notice_period_weeks,
                "prices_valid_from": version.valid_from,
                "vat_rate": rate,
                "unit_prices": [
                    {"obis": price.obis, **_price(price.unit_price, rate, places=UNIT_PRICE_PLACES)} for price in prices
                ],
                "standing_charge_per_year": _price(version.standing_charge_per_year, rate),
                "monthly_fee": _price(version.monthly_fee, rate),
            }
        )
    return offers


# --- Meter reads in bulk ------------------------------------------------------------------

READS_WRITE = ApiKeyAuth(scope="reads:write")


class ReadIn(BaseModel):
    """One read, with the CSV import's columns. Every field is taken as text
    (numbers too) and checked like a row of the file, so a missing or bad
    field rejects its item only. `read_at`: ISO 8601 date or date-time (a
    date means 00:00 Europe/Berlin, a date-time without offset is Berlin
    time); `source`: smart | operator | customer | agent."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    meter_serial: str | None = None
    obis: str | None = None
    read_at: str | None = None
    value: str | None = None
    source: str | None = None


class ReadResult(Schema):
    index: int
    status: Literal["accepted", "suspect", "rejected", "duplicate"]
    reason: str


@api.post(
    "/reads",
    response={200: list[ReadResult], 401: Message, 403: Message, 413: Message, 422: InvalidInput},
    auth=READS_WRITE,
    tags=["reads"],
)
def reads_deliver(request: HttpRequest, payload: list[ReadIn]) -> list[dict[str, Any]]:
    """Meter reads from a head-end or the metering operator (needs
    reads:write): a JSON list of at most 10,000 reads, each judged like a
    read the customer submits, in time order per register. Answers every
    item's result by its index: accepted, suspect (stored for the agents'
    review), rejected (with the reason, nothing stored) or duplicate (stored
    before; sending the same list twice stores nothing twice)."""
    if len(payload) > MAX_API_ITEMS:
        raise HttpError(413, _("Send at most %(max)d reads per request; split the list.") % {"max": MAX_API_ITEMS})
    return reads_import_items(items=[item.model_dump() for item in payload], now=clock.now())


api.add_router("", payments_router_build(customer_auth=customer_auth, key_auth=ApiKeyAuth))
api.add_router("", "billing.api.router", auth=[customer_auth, ApiKeyAuth(scope="billing:read")])
