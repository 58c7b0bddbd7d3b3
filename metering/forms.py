"""Forms for meter reads: the customer's reading form and the agents'
review decisions.

People type readings the way they write numbers: "1.234,5", "1234,5" and
"1234.5" all mean 1234.5. When only one kind of separator appears once and
it is followed by exactly three digits ("1.234" on a German page, "1,234" on
an English one), it groups thousands in the page's language; otherwise a
single separator is the decimal one.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core import clock
from meters.models import Read, Register
from supply.forms import representative_field
from supply.models import ServiceAgreement

GROUP_SEPARATORS = {"de": ".", "en": ","}
SPACES = re.compile(r"[\s\u00a0\u202f']")
NUMBER = re.compile(r"\d[\d.,]*")
MAX_LENGTH = 24
PHOTO_TYPES = "image/jpeg,image/png,image/heic,image/heif"


def _grouped(separator: str) -> re.Pattern[str]:
    return re.compile(r"\d{1,3}(?:" + re.escape(separator) + r"\d{3})+")


def parse_reading(raw: str | None, *, language: str | None = None) -> Decimal:
    """The number a person typed; ValueError when it is not one."""
    text = SPACES.sub("", raw or "")
    if not NUMBER.fullmatch(text) or text[-1] in ".,":
        raise ValueError(raw)
    group_separator = GROUP_SEPARATORS.get((language or get_language() or "de")[:2], ".")
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
        group = "," if decimal == "." else "."
        whole, fraction = text.rsplit(decimal, 1)
        if decimal in whole or not _grouped(group).fullmatch(whole):
            raise ValueError(raw)
        number = f"{whole.replace(group, '')}.{fraction}"
    elif dots or commas:
        separator = "." if dots else ","
        if text.count(separator) > 1 or (separator == group_separator and _grouped(separator).fullmatch(text)):
            if not _grouped(separator).fullmatch(text):
                raise ValueError(raw)
            number = text.replace(separator, "")
        else:
            number = text.replace(separator, ".")
    else:
        number = text
    try:
        return Decimal(number)
    except InvalidOperation as error:  # pragma: no cover - the patterns above admit only digits and one point
        raise ValueError(raw) from error


class ReadingField(forms.Field):
    """A meter reading as typed (decimal comma or point), cleaned to a Decimal."""

    default_error_messages = {
        "required": _("Please enter the meter reading."),
        "invalid": _("Please enter the meter reading as a number, e.g. 12345,6."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "form-control"}),
        )
        super().__init__(**kwargs)
        self.widget.attrs["maxlength"] = str(MAX_LENGTH)

    def to_python(self, value: Any) -> Decimal | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        try:
            if len(text) > MAX_LENGTH:
                raise ValueError(text)
            return parse_reading(text)
        except ValueError as error:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error


class ReadSubmitForm(forms.Form):
    """A customer's reading of one register. The date is optional (today);
    a date in the future is left to the intake, which refuses it with its reason."""

    value = ReadingField(
        label=_("Meter reading"), help_text=_("All digits before the decimal point; a comma or point is fine.")
    )
    taken_on = forms.DateField(
        label=_("Read on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    photo = forms.FileField(
        label=_("Photo of the meter"),
        required=False,
        help_text=_("JPEG, PNG or HEIC, at most 10 MB."),
        widget=forms.FileInput(attrs={"accept": PHOTO_TYPES, "class": "form-control"}),
    )
    confirm_suspect = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["taken_on"].widget.attrs["max"] = today.isoformat()
        self.fields["taken_on"].help_text = _("Leave empty for today.")
        if self.prefix:
            # The verdict appears beside the form; the reading field points to it.
            value = self["value"]
            self.fields["value"].widget.attrs["aria-describedby"] = f"{value.auto_id}_helptext {self.prefix}-verdict"

    def taken_at(self, *, now: dt.datetime) -> dt.datetime:
        """Read today: now. Read on an earlier (or later) day: 00:00 of that day, as every dated read counts."""
        day = self.cleaned_data.get("taken_on")
        if day is None or day == self.today:
            return now
        return clock.start_of_day(day)


def form_prefix(register: Register) -> str:
    """The prefix of a register's reading form: on a page with several, its
    fields and its verdict area are that register's."""
    return f"r{register.pk}"


def read_form(*, register: Register, today: dt.date) -> ReadSubmitForm:
    """The empty reading form of a register, as the reads page and the
    assistant's answer show it; it is sent to the reads page's view."""
    return ReadSubmitForm(prefix=form_prefix(register), today=today)


class ReviewRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the customer"),
        max_length=Read._meta.get_field("reason").max_length,
        error_messages={"required": _("Please give the customer a reason.")},
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )


class ReviewCorrectForm(forms.Form):
    value = ReadingField(
        label=_("Corrected reading"),
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "class": "form-control form-control-sm"}
        ),
    )


class EndSupplyForm(forms.Form):
    """Which supplies end, why and when, with optional final readings per
    register (for the end date). `agreements` are the customer's running
    supplies with their registers; an agent also says how the customer asked."""

    agreement_ids = forms.MultipleChoiceField(
        label=_("Supplies to end"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Please choose the supply to end.")},
    )
    reason = forms.ChoiceField(
        label=_("Why does the supply end?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose why the supply ends.")},
    )
    end_date = forms.DateField(
        label=_("Last day of supply"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        error_messages={"required": _("Please enter the last day of supply."), "invalid": _("Please enter a date.")},
    )
    confirm_suspect = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, agreements: list, registers: dict, channels=None, representatives=None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.agreements = {str(agreement.pk): agreement for agreement in agreements}
        self.fields["agreement_ids"].choices = [
            (str(agreement.pk), f"{agreement.supply_point.get_utility_display()} · {agreement.supply_point.premise}")
            for agreement in agreements
        ]
        self.fields["reason"].choices = ServiceAgreement.EndReason.choices
        self.read_fields: list[tuple[Any, str, str]] = []
        for agreement in agreements:
            for register in registers.get(agreement.pk, []):
                name = f"read-{agreement.pk}-{register.obis}"
                self.fields[name] = ReadingField(
                    label=_("Final reading %(obis)s, meter %(serial)s")
                    % {"obis": register.obis, "serial": register.meter.serial},
                    required=False,
                )
                self.read_fields.append((agreement, register.obis, name))
        if channels is not None:
            self.fields["channel"] = forms.ChoiceField(
                label=_("The customer asked by"), choices=channels, widget=forms.RadioSelect
            )
        if representatives is not None:
            self.fields["representative"] = representative_field(representatives)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        chosen = set(cleaned.get("agreement_ids") or [])
        for agreement, _obis, name in self.read_fields:
            if cleaned.get(name) is not None and str(agreement.pk) not in chosen:
                self.add_error(name, _("This supply is not chosen to end."))
        return cleaned

    def chosen(self) -> list:
        return [self.agreements[pk] for pk in self.cleaned_data["agreement_ids"]]

    def values(self) -> dict[int, dict[str, Decimal]]:
        values: dict[int, dict[str, Decimal]] = {}
        for agreement, obis, name in self.read_fields:
            if self.cleaned_data.get(name) is not None:
                values.setdefault(agreement.pk, {})[obis] = self.cleaned_data[name]
        return values

    def field_for(self, agreement_id: int, obis: str) -> str:
        return f"read-{agreement_id}-{obis}"


class FinalReadForm(forms.Form):
    """The final readings of an ending supply, one field per register; at
    least one is needed. They stand for the end of the move-out date."""

    confirm_suspect = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, registers: list[Register], end_date: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.registers = registers
        day = formats.date_format(end_date, "SHORT_DATE_FORMAT")
        for register in registers:
            self.fields[self.field_for(register.obis)] = ReadingField(
                label=_("Meter reading on your move-out date %(date)s (meter %(serial)s, %(obis)s)")
                % {"date": day, "serial": register.meter.serial, "obis": register.obis},
                required=False,
            )

    @staticmethod
    def field_for(obis: str) -> str:
        return f"read-{obis}"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors and not self.values():
            raise ValidationError(_("Please enter at least one meter reading."), code="required")
        return cleaned

    def values(self) -> dict[str, Decimal]:
        return {
            register.obis: self.cleaned_data[self.field_for(register.obis)]
            for register in self.registers
            if self.cleaned_data.get(self.field_for(register.obis)) is not None
        }
