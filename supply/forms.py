"""The supply set-up form and the agents' correction and rejection forms.

The customer's page is one form: the premise, the utilities, and for each
chosen utility a sub-form (prefixed with the utility's name) with the supply
point, meter and start reads, the start, the expected consumption and the
tariff. Everything the service would refuse is checked here first, so the
errors appear next to their fields before the summary step.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, Customer
from accounts.validation import normalise_postcode
from meters.models import DEFAULT_OBIS, METERED_UTILITIES, Meter, Utility
from meters.services import InvalidSupplyPointId, PremiseData, supply_point_id_check
from supply.models import ServiceAgreement, Tariff
from supply.queries import (
    PRICE_UNITS,
    UTILITY_ICONS,
    TariffOffer,
    meter_installed_elsewhere,
    register_label,
    supply_point_taken,
    tariff_offer,
    tariff_offers,
)
from supply.services.agreements import SupplyRequest, SupplySetupError, earliest_start
from supply.services.tariffs import tariffs_offered

UTILITIES = [Utility.ELECTRICITY, Utility.GAS, Utility.WATER, Utility.INTERNET]

SINGLE_RATE = "SINGLE"
DUAL_RATE = "DUAL"
RATE_CHOICES = [(SINGLE_RATE, gettext_lazy("Single rate")), (DUAL_RATE, gettext_lazy("Dual rate HT/NT"))]
ELECTRICITY_REGISTERS = {SINGLE_RATE: ["1-0:1.8.0"], DUAL_RATE: ["1-0:1.8.1", "1-0:1.8.2"]}

SUPPLY_POINT_LABELS = {
    Utility.ELECTRICITY: gettext_lazy("Market location id (MaLo-ID)"),
    Utility.GAS: gettext_lazy("Market location id (MaLo-ID)"),
    Utility.WATER: gettext_lazy("Connection id"),
    Utility.INTERNET: gettext_lazy("Line id"),
}
SUPPLY_POINT_HELP = {
    Utility.ELECTRICITY: gettext_lazy("11 digits; you find it on a bill of your previous supplier."),
    Utility.GAS: gettext_lazy("11 digits; you find it on a bill of your previous supplier."),
    Utility.WATER: gettext_lazy("As printed on your water bill or the house connection."),
    Utility.INTERNET: gettext_lazy("As given in your line provider's letter."),
}


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.Select) and not isinstance(widget, forms.RadioSelect):
            widget.attrs.setdefault("class", "form-select")
        elif isinstance(widget, (forms.TextInput, forms.NumberInput, forms.DateInput, forms.Textarea)):
            widget.attrs.setdefault("class", "form-control")


def read_field_name(obis: str) -> str:
    return "read_" + re.sub(r"\W", "_", obis)


def register_codes(utility: str, rate: str = SINGLE_RATE) -> list[str]:
    """The registers a new meter of the utility gets (none for internet)."""
    if utility == Utility.ELECTRICITY:
        return ELECTRICITY_REGISTERS.get(rate, ELECTRICITY_REGISTERS[SINGLE_RATE])
    if utility in METERED_UTILITIES:
        return [DEFAULT_OBIS[Utility(utility)]]
    return []


def _all_register_codes(utility: str) -> list[str]:
    if utility == Utility.ELECTRICITY:
        return [code for codes in ELECTRICITY_REGISTERS.values() for code in codes]
    return register_codes(utility)


def _start_date_check(value: dt.date, *, as_of: dt.date) -> None:
    earliest = earliest_start(as_of=as_of)
    if value < earliest:
        raise ValidationError(
            _("The start date may be at most %(days)d days in the past (the earliest is %(date)s).")
            % {"days": settings.SUPPLY_START_MAX_DAYS_BACK, "date": date_format(earliest, "SHORT_DATE_FORMAT")},
            code="too_early",
        )


def consumption_field() -> forms.DecimalField:
    return forms.DecimalField(
        label=gettext_lazy("Expected consumption per year"),
        max_digits=12,
        decimal_places=1,
        min_value=Decimal("0"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0"}),
    )


def parse_consumption(raw: Any) -> Decimal | None:
    """A typed consumption, or None while it is empty or not a number yet."""
    try:
        return consumption_field().clean(raw)
    except ValidationError:
        return None


class SupplySetupForm(forms.Form):
    """Where and what: the account, the premise address and the utilities."""

    account = forms.ModelChoiceField(queryset=Account.objects.none(), empty_label=None, label=gettext_lazy("Account"))
    street = forms.CharField(label=gettext_lazy("Street"), max_length=200)
    house_number = forms.CharField(label=gettext_lazy("House number"), max_length=20)
    address_extra = forms.CharField(label=gettext_lazy("Address line 2"), max_length=200, required=False)
    postcode = forms.CharField(label=gettext_lazy("Postcode"), max_length=10)
    city = forms.CharField(label=gettext_lazy("City"), max_length=100)
    utilities = forms.MultipleChoiceField(
        label=gettext_lazy("What should we supply?"),
        choices=[(u.value, u.label) for u in UTILITIES],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Please choose at least one utility.")},
    )

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        accounts = self.fields["account"]
        accounts.queryset = customer.accounts.filter(status=Account.Status.ACTIVE).order_by("number", "id")
        accounts.label_from_instance = lambda a: f"{a.number} · {a.street} {a.house_number}, {a.postcode} {a.city}"
        self.fields["street"].widget.attrs["autocomplete"] = "address-line1"
        self.fields["postcode"].widget.attrs.update({"autocomplete": "postal-code", "inputmode": "numeric"})
        self.fields["city"].widget.attrs["autocomplete"] = "address-level2"
        self.fields["utilities"].widget.attrs["class"] = "form-check-input"
        _style(self)

    def utility_options(self) -> list[tuple[Any, str]]:
        """The utility checkboxes, each with its icon."""
        return [(option, UTILITY_ICONS[Utility(option.data["value"])]) for option in self["utilities"]]

    def clean_postcode(self) -> str:
        return normalise_postcode(postcode=self.cleaned_data["postcode"], country="DE")

    def premise(self) -> PremiseData:
        d = self.cleaned_data
        return PremiseData(
            street=d["street"].strip(),
            house_number=d["house_number"].strip(),
            address_extra=d["address_extra"].strip(),
            postcode=d["postcode"],
            city=d["city"].strip(),
        )


class UtilitySetupForm(forms.Form):
    """One utility at the premise; its fields carry the utility's prefix."""

    supply_point_id = forms.CharField(max_length=40)
    start_reason = forms.ChoiceField(
        label=gettext_lazy("Why does supply start?"),
        choices=ServiceAgreement.StartReason.choices,
        widget=forms.RadioSelect,
    )
    start_date = forms.DateField(
        label=gettext_lazy("Start date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("The day you move in, or the day supply by us should begin."),
    )
    tariff = forms.ChoiceField(
        label=gettext_lazy("Tariff"),
        error_messages={
            "required": gettext_lazy("Please choose a tariff."),
            "invalid_choice": gettext_lazy("Please choose one of the tariffs offered for this utility."),
        },
    )

    def __init__(
        self,
        *args: Any,
        utility: str,
        customer_type: str,
        day: dt.date,
        estimate_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", utility.lower())
        super().__init__(*args, **kwargs)
        self.utility = Utility(utility)
        self.day = day
        self.fields["supply_point_id"].label = SUPPLY_POINT_LABELS[self.utility]
        self.fields["supply_point_id"].help_text = SUPPLY_POINT_HELP[self.utility]
        self.fields["supply_point_id"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        if self.utility in (Utility.ELECTRICITY, Utility.GAS):
            self.fields["supply_point_id"].widget.attrs["inputmode"] = "numeric"
        self.offered = {str(t.pk): t for t in tariffs_offered(utility=utility, customer_type=customer_type, day=day)}
        self.fields["tariff"].choices = [(pk, tariff.name) for pk, tariff in self.offered.items()]
        if self.is_metered:
            self.fields["meter_serial"] = forms.CharField(
                label=gettext_lazy("Meter number"),
                max_length=40,
                error_messages={"required": gettext_lazy("Please enter the meter number.")},
            )
            self.fields["meter_kind"] = forms.ChoiceField(
                label=gettext_lazy("Kind of meter"),
                choices=Meter.Kind.choices,
                initial=Meter.Kind.CONVENTIONAL,
                widget=forms.RadioSelect,
            )
            if self.utility == Utility.ELECTRICITY:
                self.fields["rate"] = forms.ChoiceField(
                    label=gettext_lazy("Registers"), choices=RATE_CHOICES, initial=SINGLE_RATE, widget=forms.RadioSelect
                )
            # Every register has a field; those of the registers chosen (one, or HT and NT) are required.
            chosen = register_codes(self.utility, self.chosen_rate())
            for obis in _all_register_codes(self.utility):
                self.fields[read_field_name(obis)] = forms.DecimalField(
                    label=register_label(obis),
                    help_text=obis,
                    required=obis in chosen,
                    min_value=Decimal("0"),
                    max_digits=15,
                    decimal_places=3,
                    widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0"}),
                    error_messages={"required": gettext_lazy("Please enter the meter reading.")},
                )
            consumption = self.fields["expected_annual_consumption"] = consumption_field()
            consumption.help_text = _("in %(unit)s; shown on your last bill") % {"unit": PRICE_UNITS[self.utility]}
            # The yearly cost on each tariff card follows the consumption as it
            # is typed; only the estimates are swapped, so a chosen tariff stays chosen.
            consumption.widget.attrs.update(
                {
                    "hx-get": estimate_url or reverse("supply:estimate"),
                    "hx-trigger": "input changed delay:400ms",
                    "hx-swap": "none",
                    "hx-vals": json.dumps({"utility": self.utility.value}),
                    "hx-sync": "this:replace",
                }
            )
        _style(self)

    @property
    def is_metered(self) -> bool:
        return self.utility in METERED_UTILITIES

    @property
    def label(self) -> str:
        return self.utility.label

    @property
    def icon(self) -> str:
        return UTILITY_ICONS[self.utility]

    @property
    def has_rate_choice(self) -> bool:
        return "rate" in self.fields

    def chosen_rate(self) -> str:
        value = self["rate"].value() if self.has_rate_choice else SINGLE_RATE
        return value if value in ELECTRICITY_REGISTERS else SINGLE_RATE

    def read_fields(self) -> list[forms.BoundField]:
        """The start-read fields of the registers chosen (one, or HT and NT)."""
        return [self[read_field_name(obis)] for obis in register_codes(self.utility, self.chosen_rate())]

    def consumption(self) -> Decimal | None:
        if "expected_annual_consumption" not in self.fields:
            return None
        return parse_consumption(self["expected_annual_consumption"].value())

    def clean_supply_point_id(self) -> str:
        try:
            return supply_point_id_check(utility=self.utility, identifier=self.cleaned_data["supply_point_id"])
        except InvalidSupplyPointId as error:
            raise ValidationError(str(error), code="supply_point_id") from error

    def clean_meter_serial(self) -> str:
        return self.cleaned_data["meter_serial"].strip()

    def clean_start_date(self) -> dt.date:
        value = self.cleaned_data["start_date"]
        _start_date_check(value, as_of=self.day)
        return value

    def clean_tariff(self) -> Tariff:
        return self.offered[self.cleaned_data["tariff"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        identifier = data.get("supply_point_id")
        if identifier and data.get("start_date"):
            if supply_point_taken(utility=self.utility, identifier=identifier, start_date=data["start_date"]):
                self.add_error("supply_point_id", _("This supply point is already supplied for (part of) this time."))
        serial = data.get("meter_serial")
        if (
            identifier
            and serial
            and meter_installed_elsewhere(serial=serial, utility=self.utility, identifier=identifier)
        ):
            self.add_error(
                "meter_serial", _("Meter %(serial)s is installed at another supply point.") % {"serial": serial}
            )
        return data

    def start_reads(self) -> dict[str, Decimal]:
        return {
            obis: self.cleaned_data[read_field_name(obis)] for obis in register_codes(self.utility, self.chosen_rate())
        }

    def to_request(self) -> SupplyRequest:
        d = self.cleaned_data
        return SupplyRequest(
            utility=self.utility,
            supply_point_id=d["supply_point_id"],
            tariff=d["tariff"],
            start_date=d["start_date"],
            start_reason=d["start_reason"],
            meter_serial=d.get("meter_serial", ""),
            meter_kind=d.get("meter_kind") or Meter.Kind.CONVENTIONAL,
            start_reads=self.start_reads(),
            expected_annual_consumption=d.get("expected_annual_consumption"),
        )


def _prefixed_initial(data: MultiValueDict, prefix: str) -> dict[str, Any]:
    start = f"{prefix}-"
    return {key[len(start) :]: data.get(key) for key in data if key.startswith(start)}


class SupplySetup:
    """The whole page: the main form and one sub-form per chosen utility.

    `bound=False` shows posted values without judging them (when the
    utilities or the registers change and the page is redrawn).
    `estimate_url` is where the live yearly cost is asked for (the
    customer's own page unless an agent's page says otherwise).
    """

    def __init__(
        self,
        *,
        customer: Customer,
        day: dt.date,
        data: MultiValueDict | None = None,
        bound: bool = True,
        account: Account | None = None,
        estimate_url: str | None = None,
    ) -> None:
        self.customer = customer
        self.day = day
        judged = data is not None and bound
        if judged:
            self.main = SupplySetupForm(data, customer=customer)
        else:
            self.main = SupplySetupForm(initial=self._main_initial(data, account), customer=customer)
        chosen = set(data.getlist("utilities")) if data is not None else set()
        self.forms: dict[str, UtilitySetupForm] = {}
        for utility in UTILITIES:
            if utility not in chosen:
                continue
            options = {
                "utility": utility,
                "customer_type": customer.customer_type,
                "day": day,
                "estimate_url": estimate_url,
            }
            if judged:
                self.forms[utility] = UtilitySetupForm(data, **options)
            else:
                self.forms[utility] = UtilitySetupForm(initial=_prefixed_initial(data, utility.lower()), **options)

    def _main_initial(self, data: MultiValueDict | None, account: Account | None) -> dict[str, Any]:
        if data is not None:
            initial = {name: data.get(name) for name in SupplySetupForm.base_fields if name in data}
            initial["utilities"] = data.getlist("utilities")
            return initial
        if account is None:
            return {}
        return {
            "account": account.pk,
            "street": account.street,
            "house_number": account.house_number,
            "address_extra": account.address_extra,
            "postcode": account.postcode,
            "city": account.city,
        }

    def is_valid(self) -> bool:
        valid = self.main.is_valid()
        valid = all([form.is_valid() for form in self.forms.values()]) and valid
        if valid:
            self._check_meters_differ()
        return not self.main.errors and not any(form.errors for form in self.forms.values())

    def _check_meters_differ(self) -> None:
        seen: dict[str, str] = {}
        for form in self.forms.values():
            serial = form.cleaned_data.get("meter_serial")
            if not serial:
                continue
            if serial in seen:
                form.add_error(
                    "meter_serial",
                    _("Each utility has its own meter; this number is already given for %(utility)s.")
                    % {"utility": seen[serial]},
                )
            else:
                seen[serial] = form.label

    def place_error(self, error: SupplySetupError) -> None:
        """Show a refusal of the service next to its field (the form's own
        checks passed, e.g. because another request was sent at the same time)."""
        if error.field in self.main.fields:
            self.main.add_error(error.field, str(error))
            return
        holders = [form for form in self.forms.values() if error.field in form.fields]
        if len(holders) == 1:
            holders[0].add_error(error.field, str(error))
        else:
            self.main.add_error(None, str(error))

    # --- after is_valid() ---------------------------------------------------
    @property
    def account(self) -> Account:
        return self.main.cleaned_data["account"]

    def premise(self) -> PremiseData:
        return self.main.premise()

    def requests(self) -> list[SupplyRequest]:
        return [form.to_request() for form in self.forms.values()]

    # --- for the templates --------------------------------------------------
    def sections(self) -> list[dict[str, Any]]:
        """Per chosen utility: its form and the tariff cards with the yearly
        cost for the consumption typed so far."""
        return [
            {
                "form": form,
                "offers": tariff_offers(
                    utility=utility,
                    customer_type=self.customer.customer_type,
                    consumption=form.consumption(),
                    day=self.day,
                ),
                "selected": str(form["tariff"].value() or ""),
                "unit": PRICE_UNITS.get(utility, ""),
            }
            for utility, form in self.forms.items()
        ]

    def summary(self) -> list[dict[str, Any]]:
        """What will be requested, per utility (the "Please check" step)."""
        rows = []
        for utility, form in self.forms.items():
            request = form.to_request()
            offer: TariffOffer = tariff_offer(
                tariff=request.tariff, consumption=request.expected_annual_consumption, day=self.day
            )
            rows.append(
                {
                    "form": form,
                    "request": request,
                    "start_reason": ServiceAgreement.StartReason(request.start_reason).label,
                    "meter_kind": Meter.Kind(request.meter_kind).label,
                    "reads": [(register_label(obis), obis, value) for obis, value in request.start_reads.items()],
                    "offer": offer,
                    "unit": PRICE_UNITS.get(utility, ""),
                }
            )
        return rows


# --- Back-office -------------------------------------------------------------------


class AgreementCorrectForm(forms.Form):
    """An agent corrects a request before confirming it."""

    tariff = forms.ModelChoiceField(queryset=Tariff.objects.none(), empty_label=None, label=gettext_lazy("Tariff"))
    start_date = forms.DateField(
        label=gettext_lazy("Start date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    expected_annual_consumption = forms.DecimalField(
        label=gettext_lazy("Expected consumption per year"),
        required=False,
        max_digits=12,
        decimal_places=1,
        min_value=Decimal("0"),
    )

    def __init__(self, *args: Any, agreement: ServiceAgreement, day: dt.date, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "tariff": agreement.tariff_id,
                "start_date": agreement.start_date,
                "expected_annual_consumption": agreement.expected_annual_consumption,
                **{read_field_name(obis): value for obis, value in agreement.start_reads.items()},
            },
        )
        super().__init__(*args, **kwargs)
        self.agreement = agreement
        self.day = day
        utility = agreement.supply_point.utility
        tariffs = Tariff.objects.filter(utility=utility, customer_type=agreement.account.customer.customer_type)
        self.fields["tariff"].queryset = tariffs.filter(is_offered=True) | tariffs.filter(pk=agreement.tariff_id)
        self.fields["tariff"].queryset = self.fields["tariff"].queryset.order_by("code", "id")
        self.fields["tariff"].label_from_instance = lambda t: f"{t.name} ({t.code})"
        self.read_names: dict[str, str] = {}
        for obis in agreement.start_reads or {}:
            name = read_field_name(obis)
            self.read_names[name] = obis
            self.fields[name] = forms.DecimalField(
                label=f"{register_label(obis)} ({obis})", min_value=Decimal("0"), max_digits=15, decimal_places=3
            )
        if utility == Utility.INTERNET:
            del self.fields["expected_annual_consumption"]
        _style(self)

    def clean_start_date(self) -> dt.date:
        value = self.cleaned_data["start_date"]
        if value != self.agreement.start_date:
            _start_date_check(value, as_of=self.day)
        return value

    def place_error(self, error: SupplySetupError) -> None:
        field = error.field if error.field in self.fields else None
        if error.field == "start_reads" and self.read_names:
            field = next(iter(self.read_names))
        self.add_error(field, str(error))

    def changes(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "tariff": d["tariff"],
            "start_date": d["start_date"],
            "start_reads": {obis: d[name] for name, obis in self.read_names.items()} or None,
            "expected_annual_consumption": d.get("expected_annual_consumption"),
        }


class AgreementRejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (sent to the customer)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": gettext_lazy("Please give the customer a reason.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


# --- Moving house --------------------------------------------------------------------


class MoveOutForm(forms.Form):
    """Moving house: which supplies end at the old address and the move-out
    date (the last day supplied there); supply at the new address starts the
    day after. An agent also says how the customer asked."""

    agreement_ids = forms.MultipleChoiceField(
        label=gettext_lazy("Supplies at your old address"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Please choose the supply to end at your old address.")},
    )
    move_out_date = forms.DateField(
        label=gettext_lazy("Move-out date (last day of supply at the old address)"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        error_messages={
            "required": gettext_lazy("Please enter the move-out date."),
            "invalid": gettext_lazy("Please enter a date."),
        },
    )

    def __init__(
        self, *args: Any, agreements: list[ServiceAgreement], channels=None, representatives=None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.agreements = {str(agreement.pk): agreement for agreement in agreements}
        self.fields["agreement_ids"].choices = [
            (str(agreement.pk), f"{agreement.supply_point.get_utility_display()} · {agreement.supply_point.premise}")
            for agreement in agreements
        ]
        self.fields["agreement_ids"].widget.attrs["class"] = "form-check-input"
        if channels is not None:
            self.fields["channel"] = forms.ChoiceField(
                label=gettext_lazy("The customer asked by"), choices=channels, widget=forms.RadioSelect
            )
        if representatives is not None:
            self.fields["representative"] = representative_field(representatives)

    def chosen(self) -> list[ServiceAgreement]:
        return [self.agreements[pk] for pk in self.cleaned_data["agreement_ids"]]


def with_move_in(data: MultiValueDict, *, move_out_date: dt.date | None) -> MultiValueDict:
    """The set-up data of a move: every utility starts, as a move-in, the day
    after the move-out date (the set-up page does not ask for it)."""
    moved = data.copy()
    for utility in UTILITIES:
        prefix = utility.lower()
        moved[f"{prefix}-start_reason"] = ServiceAgreement.StartReason.MOVE_IN
        moved[f"{prefix}-start_date"] = (move_out_date + dt.timedelta(days=1)).isoformat() if move_out_date else ""
    return moved


def representative_field(representatives) -> forms.ModelChoiceField:
    """Who asked an agent to end supply: the customer (empty) or one of the
    account's authorised representatives, whose scope the service checks."""
    return forms.ModelChoiceField(
        label=gettext_lazy("On whose request?"),
        queryset=representatives,
        required=False,
        empty_label=gettext_lazy("the customer"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )


# How a caller reached an agent who ends or moves their supply.
STAFF_CHANNELS = [
    (value, label)
    for value, label in ServiceAgreement.Channel.choices
    if value in (ServiceAgreement.Channel.PHONE, ServiceAgreement.Channel.LETTER, ServiceAgreement.Channel.EMAIL)
]
