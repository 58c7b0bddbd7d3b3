"""The supply columns of `import_customers`: one row per supply, the
customer's columns repeated on each of their rows.

A utility moving its customers here brings their running supplies: each is
imported ACTIVE from its start date (which may lie far in the past, under a
price version of that time) with its start reads recorded, the gas supply
point's conversion factors, and the account's billing preferences. The
cells are checked before anything is saved; a supply whose supply point and
start date the account has already is skipped, so a re-run imports nothing
twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.imports import RowAlreadyImported, RowCustomer, RowRejected
from accounts.models import Account, BillingPreferences
from accounts.services import billing_preferences_change
from accounts.validation import normalise_postcode
from meters.models import DEFAULT_OBIS, GasConversionFactor, Meter, Utility
from meters.services import InvalidSupplyPointId, PremiseData, supply_point_id_check
from supply.models import ServiceAgreement, Tariff
from supply.queries import meter_installed_elsewhere, supply_point_taken
from supply.services import agreements
from supply.services.tariffs import OBIS_CODE, NoPriceOnDate, version_on

SUPPLY_COLUMNS = (
    "utility",
    "supply_point_id",
    "premise_street",
    "premise_house_number",
    "premise_postcode",
    "premise_city",
    "meter_serial",
    "meter_kind",
    "registers",
    "tariff_code",
    "start_date",
    "start_reason",
    "start_read",
    "expected_annual_consumption",
    "gas_state_number",
    "gas_calorific_value",
    "billing_frequency",
    "budget_billing",
)
PREMISE_COLUMNS = ("premise_street", "premise_house_number", "premise_postcode", "premise_city")
METER_COLUMNS = ("meter_serial", "meter_kind", "registers", "start_read", "expected_annual_consumption")
GAS_COLUMNS = ("gas_state_number", "gas_calorific_value")
SEPARATOR = "|"
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
FREQUENCIES = {
    "monthly": BillingPreferences.Frequency.MONTHLY,
    "quarterly": BillingPreferences.Frequency.QUARTERLY,
    "half_yearly": BillingPreferences.Frequency.HALF_YEARLY,
    "half-yearly": BillingPreferences.Frequency.HALF_YEARLY,
    "annual": BillingPreferences.Frequency.ANNUAL,
}
FREQUENCY_NAMES = "monthly, quarterly, half_yearly, annual"
YES_NO = {"yes": True, "ja": True, "true": True, "1": True, "no": False, "nein": False, "false": False, "0": False}
START_REASONS = {
    "move_in": ServiceAgreement.StartReason.MOVE_IN,
    "supplier_switch": ServiceAgreement.StartReason.SUPPLIER_SWITCH,
}
# Plausible gas conversion factors: a typo like 112 for 11.2 is caught.
STATE_NUMBER_MAX = Decimal("2")
CALORIFIC_VALUE_MAX = Decimal("20")
# Where the service's refusals belong among the columns.
COLUMN_FOR_FIELD = {"tariff": "tariff_code", "start_reads": "start_read", "utilities": "utility"}
NON_FIELD = "__all__"


@dataclass(frozen=True)
class SupplyRow:
    """A row's supply, checked: what `supply_row_import` saves."""

    external_ref: str
    premise: PremiseData
    request: agreements.SupplyRequest
    gas_factors: tuple[Decimal, Decimal] | None
    frequency: str | None
    budget_billing: bool | None

    @property
    def key(self) -> tuple[str, str, dt.date]:
        return (self.request.utility, self.request.supply_point_id, self.request.start_date)


def supply_columns_for(*, header: tuple[str, ...], as_of: dt.date) -> SupplyColumns | None:
    """The supply columns' importer when the file names any of them."""
    return SupplyColumns(as_of=as_of) if set(header) & set(SUPPLY_COLUMNS) else None


class SupplyColumns:
    """`accounts.imports.RowColumns` for supplies."""

    columns = SUPPLY_COLUMNS
    noun = gettext_lazy("supplies")

    def __init__(self, *, as_of: dt.date) -> None:
        self.as_of = as_of
        # What earlier rows of this file imported: supply -> (line, customer);
        # customer -> (line, frequency, budget billing).
        self.supplies: dict[tuple[str, str, dt.date], tuple[int, str]] = {}
        self.preferences: dict[str, tuple[int, str | None, bool | None]] = {}

    def check(self, *, values: dict[str, str], customer: RowCustomer) -> SupplyRow | None:
        cells = {column: values.get(column, "").strip() for column in SUPPLY_COLUMNS}
        if not any(cells.values()):
            return None
        row = _supply_row(cells=cells, customer=customer, as_of=self.as_of)
        self._check_against_earlier(row=row, customer=customer)
        return row

    def save(self, *, account: Account, checked: SupplyRow) -> None:
        try:
            supply_row_import(account=account, row=checked, as_of=self.as_of)
        except agreements.SupplySetupError as error:
            column = COLUMN_FOR_FIELD.get(error.field, error.field) or NON_FIELD
            raise RowRejected({column: [str(error)]}) from error
        except IntegrityError as error:
            raise RowRejected(
                {NON_FIELD: [_("The supply could not be saved: %(error)s") % {"error": error}]}
            ) from error

    def remember(self, *, line: int, checked: SupplyRow) -> None:
        self.supplies[checked.key] = (line, checked.external_ref)
        if checked.frequency is not None or checked.budget_billing is not None:
            self.preferences.setdefault(checked.external_ref, (line, checked.frequency, checked.budget_billing))

    def _check_against_earlier(self, *, row: SupplyRow, customer: RowCustomer) -> None:
        """Against earlier rows of the file and what is saved: the supply once,
        the supply point free, the meter not elsewhere, one set of billing
        preferences per account."""
        request = row.request
        earlier = self.supplies.get(row.key)
        if earlier is not None:
            line, external_ref = earlier
            if external_ref == customer.external_ref:
                raise RowAlreadyImported()
            raise RowRejected(
                {"supply_point_id": [_("Line %(line)d of this file already imports this supply.") % {"line": line}]}
            )
        if (
            customer.account is not None
            and ServiceAgreement.objects.filter(
                account=customer.account,
                supply_point__utility=request.utility,
                supply_point__identifier=request.supply_point_id,
                start_date=request.start_date,
            ).exists()
        ):
            raise RowAlreadyImported()
        errors: dict[str, list[str]] = {}
        # An imported agreement is open-ended: any other on its supply point overlaps it.
        if supply_point_taken(
            utility=request.utility, identifier=request.supply_point_id, start_date=request.start_date
        ) or any(key[:2] == row.key[:2] for key in self.supplies):
            errors["supply_point_id"] = [_("This supply point is already supplied for (part of) this time.")]
        if request.meter_serial and meter_installed_elsewhere(
            serial=request.meter_serial, utility=request.utility, identifier=request.supply_point_id
        ):
            errors["meter_serial"] = [
                _("Meter %(serial)s is installed at another supply point.") % {"serial": request.meter_serial}
            ]
        errors.update(self._preferences_conflict(row=row, customer=customer))
        if errors:
            raise RowRejected(errors)

    def _preferences_conflict(self, *, row: SupplyRow, customer: RowCustomer) -> dict[str, list[str]]:
        given = {"billing_frequency": row.frequency, "budget_billing": row.budget_billing}
        if all(value is None for value in given.values()):
            return {}
        saved = (
            BillingPreferences.objects.filter(account=customer.account).first()
            if customer.account is not None
            else None
        )
        earlier = self.preferences.get(customer.external_ref)
        known = {}
        if saved is not None:
            known = {"billing_frequency": saved.frequency, "budget_billing": saved.budget_billing}
        elif earlier is not None:
            known = {"billing_frequency": earlier[1], "budget_billing": earlier[2]}
        return {
            column: [
                _("The account is already billed differently (%(value)s); one account has one setting.")
                % {"value": _preference_text(column, known[column])}
            ]
            for column, value in given.items()
            if value is not None and known.get(column) is not None and known[column] != value
        }


def _preference_text(column: str, value: str | bool) -> str:
    if column == "billing_frequency":
        return str(BillingPreferences.Frequency(value).label)
    return _("yes") if value else _("no")


def supply_row_import(*, account: Account, row: SupplyRow, as_of: dt.date) -> ServiceAgreement:
    """Save one imported supply: the agreement ACTIVE from its start date with
    its start reads, the gas conversion factors from that date, the account's
    billing preferences. One transaction; SupplySetupError names the field."""
    with transaction.atomic():
        agreement = agreements.supply_import(account=account, premise=row.premise, request=row.request, as_of=as_of)
        if row.gas_factors is not None:
            state_number, calorific_value = row.gas_factors
            factor, created = GasConversionFactor.objects.get_or_create(
                supply_point=agreement.supply_point,
                valid_from=agreement.start_date,
                defaults={"state_number": state_number, "calorific_value": calorific_value},
            )
            if not created and (factor.state_number, factor.calorific_value) != (state_number, calorific_value):
                raise agreements.SupplySetupError(
                    _("The supply point has other conversion factors from %(date)s (%(state)s / %(calorific)s).")
                    % {
                        "date": date_format(factor.valid_from, "SHORT_DATE_FORMAT"),
                        "state": factor.state_number,
                        "calorific": factor.calorific_value,
                    },
                    field="gas_state_number",
                )
        chosen = {"frequency": row.frequency, "budget_billing": row.budget_billing}
        changes = {field: value for field, value in chosen.items() if value is not None}
        if changes:
            billing_preferences_change(account=account, changes=changes)
    return agreement


# --- Reading the cells ------------------------------------------------------------------


class _CellErrors(dict[str, list[str]]):
    def add(self, column: str, message: str) -> None:
        self.setdefault(column, []).append(message)


def _supply_row(*, cells: dict[str, str], customer: RowCustomer, as_of: dt.date) -> SupplyRow:
    """Every cell checked; RowRejected with every problem of the row."""
    errors = _CellErrors()
    utility = _utility(cells["utility"], errors)
    identifier = ""
    if not cells["supply_point_id"]:
        errors.add("supply_point_id", _("Please enter the supply point id."))
    elif utility:
        try:
            identifier = supply_point_id_check(utility=utility, identifier=cells["supply_point_id"])
        except InvalidSupplyPointId as error:
            errors.add("supply_point_id", str(error))
    start_date = _start_date(cells["start_date"], as_of=as_of, errors=errors)
    tariff = _tariff(cells["tariff_code"], utility=utility, customer=customer, start_date=start_date, errors=errors)
    premise = _premise(cells, customer=customer, errors=errors)
    meter_serial, meter_kind, reads, consumption = "", Meter.Kind.CONVENTIONAL, {}, None
    if utility == Utility.INTERNET:
        for column in METER_COLUMNS + GAS_COLUMNS:
            if cells[column]:
                errors.add(column, _("An internet line has no meter; leave this empty."))
    elif utility:
        meter_serial, meter_kind, reads, consumption = _meter(cells, utility=utility, errors=errors)
    gas_factors = _gas_factors(cells, utility=utility, errors=errors)
    start_reason = _choice(cells["start_reason"], START_REASONS, "move_in, supplier_switch", "start_reason", errors)
    frequency = _choice(cells["billing_frequency"], FREQUENCIES, FREQUENCY_NAMES, "billing_frequency", errors)
    budget_billing = _choice(cells["budget_billing"], YES_NO, "yes, no", "budget_billing", errors)
    if errors:
        raise RowRejected(dict(errors))
    return SupplyRow(
        external_ref=customer.external_ref,
        premise=premise,
        request=agreements.SupplyRequest(
            utility=utility,
            supply_point_id=identifier,
            tariff=tariff,
            start_date=start_date,
            start_reason=start_reason or ServiceAgreement.StartReason.MOVE_IN,
            meter_serial=meter_serial,
            meter_kind=meter_kind,
            start_reads=reads,
            expected_annual_consumption=consumption,
        ),
        gas_factors=gas_factors,
        frequency=frequency,
        budget_billing=budget_billing,
    )


def _utility(value: str, errors: _CellErrors) -> str:
    utility = value.upper()
    if utility in Utility.values:
        return utility
    errors.add("utility", _("Choose one of: electricity, gas, water, internet."))
    return ""


def _start_date(value: str, *, as_of: dt.date, errors: _CellErrors) -> dt.date | None:
    if not value:
        errors.add("start_date", _("Please enter the date the supply started."))
        return None
    day = _parse_date(value)
    if day is None:
        errors.add("start_date", _("Enter the date as YYYY-MM-DD or DD.MM.YYYY."))
    elif day > as_of:
        errors.add("start_date", _("An imported supply has started already: the start date cannot be in the future."))
        return None
    return day


def _tariff(
    code: str, *, utility: str, customer: RowCustomer, start_date: dt.date | None, errors: _CellErrors
) -> Tariff | None:
    if not code:
        errors.add("tariff_code", _("Please enter the tariff code."))
        return None
    tariff = Tariff.objects.filter(code=code).first()
    if tariff is None:
        errors.add("tariff_code", _("There is no tariff with this code."))
        return None
    if utility and tariff.utility != utility:
        errors.add(
            "tariff_code",
            _("Tariff %(code)s is for %(tariff_utility)s, not %(utility)s.")
            % {"code": code, "tariff_utility": tariff.get_utility_display(), "utility": Utility(utility).label},
        )
    if customer.customer_type and tariff.customer_type != customer.customer_type:
        errors.add(
            "tariff_code",
            _("Tariff %(code)s is for another kind of customer (%(kind)s).")
            % {"code": code, "kind": tariff.get_customer_type_display()},
        )
    if start_date is not None:
        try:
            version_on(tariff=tariff, day=start_date)
        except NoPriceOnDate:
            errors.add(
                "tariff_code",
                _("Tariff %(code)s has no prices on the start date %(date)s.")
                % {"code": code, "date": date_format(start_date, "SHORT_DATE_FORMAT")},
            )
    return tariff


def _premise(cells: dict[str, str], *, customer: RowCustomer, errors: _CellErrors) -> PremiseData:
    """The premise columns, all of them; when all are empty, the billing address."""
    if not any(cells[column] for column in PREMISE_COLUMNS):
        return PremiseData(
            street=customer.street,
            house_number=customer.house_number,
            address_extra=customer.address_extra,
            postcode=customer.postcode,
            city=customer.city,
            country=customer.country or "DE",
        )
    for column in PREMISE_COLUMNS:
        if not cells[column]:
            errors.add(column, _("Give the whole premise address, or none for the billing address."))
    postcode = cells["premise_postcode"]
    if postcode:
        try:
            postcode = normalise_postcode(postcode=postcode, country="DE")
        except ValidationError as error:
            errors.add("premise_postcode", error.messages[0])
    return PremiseData(
        street=cells["premise_street"],
        house_number=cells["premise_house_number"],
        postcode=postcode,
        city=cells["premise_city"],
    )


def _meter(
    cells: dict[str, str], *, utility: str, errors: _CellErrors
) -> tuple[str, str, dict[str, Decimal], Decimal | None]:
    serial = cells["meter_serial"]
    if not serial:
        errors.add("meter_serial", _("Please enter the meter number."))
    elif len(serial) > Meter._meta.get_field("serial").max_length:
        errors.add("meter_serial", _("A meter number has at most 40 characters."))
    kind = Meter.Kind.CONVENTIONAL
    if cells["meter_kind"]:
        kind = cells["meter_kind"].upper()
        if kind not in Meter.Kind.values:
            errors.add("meter_kind", _("Choose conventional or smart."))
    registers = [code.strip() for code in cells["registers"].split(SEPARATOR)] if cells["registers"] else []
    registers = registers or [DEFAULT_OBIS[Utility(utility)]]
    bad = [code for code in registers if not OBIS_CODE.match(code)]
    if bad:
        errors.add(
            "registers",
            _('"%(code)s" is not an OBIS code like 1-0:1.8.0; separate several with |.') % {"code": bad[0]},
        )
    elif len(set(registers)) != len(registers):
        errors.add("registers", _("Each register may be named once."))
    reads: dict[str, Decimal] = {}
    if not cells["start_read"]:
        errors.add("start_read", _("Please enter the meter reading on the start date (one per register)."))
    else:
        values = [value.strip() for value in cells["start_read"].split(SEPARATOR)]
        if len(values) != len(registers):
            errors.add(
                "start_read",
                _("Give one reading per register, separated by |: %(registers)d registers, %(reads)d readings.")
                % {"registers": len(registers), "reads": len(values)},
            )
        for obis, value in zip(registers, values, strict=False):
            number = _decimal(value, places=3, digits=15)
            if number is None:
                errors.add(
                    "start_read",
                    _("The reading %(value)s is not a number with at most 3 decimals.") % {"value": value or '""'},
                )
            else:
                reads[obis] = number
    consumption = None
    if cells["expected_annual_consumption"]:
        consumption = _decimal(cells["expected_annual_consumption"], places=1, digits=12)
        if consumption is None:
            errors.add(
                "expected_annual_consumption",
                _("Enter the consumption per year as a number with at most one decimal."),
            )
    return serial, kind, reads, consumption


def _gas_factors(cells: dict[str, str], *, utility: str, errors: _CellErrors) -> tuple[Decimal, Decimal] | None:
    state, calorific = cells["gas_state_number"], cells["gas_calorific_value"]
    if not state and not calorific:
        return None
    if utility != Utility.GAS:
        if utility and utility != Utility.INTERNET:  # internet: refused with the meter columns
            for column in GAS_COLUMNS:
                if cells[column]:
                    errors.add(column, _("Conversion factors are for gas only; leave this empty."))
        return None
    state_number = _decimal(state, places=4, digits=6) if state else None
    calorific_value = _decimal(calorific, places=3, digits=6) if calorific else None
    if state_number is None or not 0 < state_number <= STATE_NUMBER_MAX:
        errors.add(
            "gas_state_number",
            _("Enter the state number (Zustandszahl) between 0 and 2 with at most 4 decimals, e.g. 0.9636."),
        )
    if calorific_value is None or not 0 < calorific_value <= CALORIFIC_VALUE_MAX:
        errors.add(
            "gas_calorific_value",
            _("Enter the calorific value in kWh/m³ between 0 and 20 with at most 3 decimals, e.g. 11.235."),
        )
    if state_number is None or calorific_value is None:
        return None
    return state_number, calorific_value


def _choice(value: str, choices: dict[str, Any], names: str, column: str, errors: _CellErrors) -> Any:
    """The choice the cell names (any case), None when it is empty."""
    if not value:
        return None
    key = value.lower()
    if key not in choices:
        errors.add(column, _("Choose one of: %(choices)s.") % {"choices": names})
        return None
    return choices[key]


def _decimal(value: str, *, places: int, digits: int) -> Decimal | None:
    """A non-negative number with at most `places` decimals and `digits`
    digits in all; a decimal comma is taken too (1234,5 or 1.234,5)."""
    text = value.replace(" ", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0:
        return None
    exponent = int(number.as_tuple().exponent)
    if -exponent > places or number >= Decimal(10) ** (digits - places):
        return None
    return number


def _parse_date(value: str) -> dt.date | None:
    for date_format_ in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, date_format_).date()
        except ValueError:
            continue
    return None
