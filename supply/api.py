"""Service agreements and the tariff offer in the JSON API:
/accounts/{number}/agreements (list, request) and the public /tariffs."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from accounts.api import account_visible
from accounts.models import Account, CustomerType
from core import clock
from core.api import InvalidInput, Message, customer_or_key, invalid_input
from meters.models import Meter, Premise, Register, Utility
from supply import forms as supply_forms
from supply.models import ServiceAgreement, Tariff
from supply.queries import PriceLine, tariff_offers
from supply.services.agreements import SupplySetupError, supply_setup_submit

# The operation ids are a published contract: every endpoint here keeps the
# id it had when the API lived in portal/api.py (`operation_id=`).
router = Router(tags=["supply"])
ACCOUNTS_READ = customer_or_key(scope="accounts:read")
SUPPLY_WRITE = customer_or_key(scope="supply:write")
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


@router.get(
    "/accounts/{number}/agreements",
    response={200: list[AgreementOut], 401: Message, 403: Message, 404: Message},
    auth=ACCOUNTS_READ,
    operation_id="portal_api_agreement_list",
)
def agreement_list(request: HttpRequest, number: str) -> list[ServiceAgreement]:
    """The account's service agreements in every state, by start date. A key
    needs accounts:read; a customer gets 404 for any account not theirs."""
    account = account_visible(request.auth, number=number)
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


@router.post(
    "/accounts/{number}/agreements",
    response={201: AgreementOut, 401: Message, 403: Message, 404: Message, 422: InvalidInput},
    auth=SUPPLY_WRITE,
    operation_id="portal_api_agreement_request",
)
def agreement_request(request: HttpRequest, number: str, payload: AgreementIn) -> Status[Any]:
    """Request supply for one utility at a premise: the agreement is created
    in REQUESTED for the agents to confirm, and the customer gets a
    confirmation e-mail. A customer may do this for their own account (404
    for others), a key needs supply:write. Bad input: 422 with every field's
    message and nothing saved."""
    account = account_visible(request.auth, number=number)
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


def _price(line: PriceLine | None) -> dict[str, Decimal] | None:
    return None if line is None else {"net": line.net, "gross": line.gross}


@router.get(
    "/tariffs",
    response={200: list[TariffOfferOut], 422: InvalidInput},
    auth=None,
    operation_id="portal_api_tariff_list",
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
    offers = tariff_offers(
        utility=utility_value, customer_type=customer_type_value, consumption=None, day=clock.today()
    )
    return [
        {
            "code": offer.tariff.code,
            "name": offer.tariff.name,
            "utility": offer.tariff.utility,
            "customer_type": offer.tariff.customer_type,
            "minimum_term_months": offer.tariff.minimum_term_months,
            "notice_period_weeks": offer.tariff.notice_period_weeks,
            "prices_valid_from": offer.prices_valid_from,
            "vat_rate": offer.vat_rate,
            "unit_prices": [{"obis": line.obis, **_price(line)} for line in offer.unit_prices],
            "standing_charge_per_year": _price(offer.standing_charge),
            "monthly_fee": _price(offer.monthly_fee),
        }
        for offer in offers
    ]
