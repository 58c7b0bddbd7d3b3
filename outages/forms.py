"""Forms of the interruption pages: the status page's postcode search, the
customer's "no supply" report, and the back-office log and update forms.
Times are entered as local date and time (the portal's time zone)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from meters.models import SupplyPoint, Utility
from outages.models import Cause, Interruption
from supply.models import ServiceAgreement

POSTCODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z -]{1,9}$")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
# Statuses an agent sets by hand (RESTORED comes with the actual end, a plan is logged as such).
UPDATE_STATUSES = (
    Interruption.Status.INVESTIGATING,
    Interruption.Status.CREW_ON_SITE,
    Interruption.Status.CANCELLED,
)


def styled(form: forms.Form) -> None:
    """Bootstrap's classes on the widgets (the back-office forms render field by field)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = css


def _postcode_check(value: str) -> str:
    value = value.strip()
    if value and not POSTCODE.match(value):
        raise forms.ValidationError(_("Enter a postcode, for example 10969."))
    return value


class DateTimeLocalField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)
    input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class StatusSearchForm(forms.Form):
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    utility = forms.ChoiceField(
        label=_("Utility"), choices=[("", _("All utilities")), *Utility.choices], required=False
    )

    def clean_postcode(self) -> str:
        return _postcode_check(self.cleaned_data["postcode"])


class NoSupplyForm(forms.Form):
    agreement = forms.ModelChoiceField(
        label=_("Which supply is interrupted?"),
        queryset=ServiceAgreement.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the supply that is interrupted."),
            "invalid_choice": _("Choose one of your supplies."),
        },
    )
    note = forms.CharField(
        label=_("What do you notice? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, agreements: list[ServiceAgreement], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agreement"]
        field.queryset = ServiceAgreement.objects.filter(pk__in=[a.pk for a in agreements])
        labels = {a.pk: f"{a.supply_point.get_utility_display()} · {a.supply_point.premise}" for a in agreements}
        field.label_from_instance = lambda agreement: labels[agreement.pk]
        if len(agreements) == 1:
            field.initial = agreements[0].pk


class InterruptionLogForm(forms.Form):
    utility = forms.ChoiceField(label=_("Utility"), choices=Utility.choices)
    planned = forms.BooleanField(label=_("Planned work"), required=False)
    cause = forms.ModelChoiceField(label=_("Cause"), queryset=Cause.objects.none())
    postcodes = forms.CharField(
        label=_("Postcodes"),
        required=False,
        max_length=2000,
        help_text=_("Separated by commas or spaces."),
    )
    supply_points = forms.CharField(
        label=_("Supply point ids"),
        required=False,
        max_length=4000,
        help_text=_("Market location or line ids, separated by commas or spaces."),
    )
    started_at = DateTimeLocalField(label=_("Start"))
    expected_end_at = DateTimeLocalField(label=_("Expected end"), required=False)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cause"].queryset = Cause.objects.filter(is_active=True).order_by("position", "id")
        styled(self)

    def clean_postcodes(self) -> list[str]:
        values = [value for value in re.split(r"[,;\s]+", self.cleaned_data["postcodes"]) if value]
        bad = [value for value in values if not POSTCODE.match(value)]
        if bad:
            raise forms.ValidationError(_("Not a postcode: %(values)s.") % {"values": ", ".join(bad[:5])})
        return list(dict.fromkeys(values))

    def clean(self) -> dict:
        data = super().clean()
        utility = data.get("utility")
        identifiers = [value for value in re.split(r"[,;\s]+", data.get("supply_points", "") or "") if value]
        points: list[SupplyPoint] = []
        if identifiers and utility:
            found = {p.identifier: p for p in SupplyPoint.objects.filter(utility=utility, identifier__in=identifiers)}
            missing = [value for value in identifiers if value not in found]
            if missing:
                self.add_error(
                    "supply_points",
                    _("No %(utility)s supply point with the id(s): %(ids)s.")
                    % {"utility": Utility(utility).label, "ids": ", ".join(missing[:5])},
                )
            points = list(dict.fromkeys(found[value] for value in identifiers if value in found))
        data["supply_points"] = points
        if not data.get("postcodes") and not points and not self.has_error("supply_points"):
            self.add_error("postcodes", _("Name the postcodes or supply points affected."))
        start, end = data.get("started_at"), data.get("expected_end_at")
        if start and end and end < start:
            self.add_error("expected_end_at", _("The expected end lies before the start."))
        return data


class InterruptionUpdateForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("unchanged"))] + [(s.value, s.label) for s in UPDATE_STATUSES],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    expected_end_at = DateTimeLocalField(label=_("Expected end"), required=False)
    ended_at = DateTimeLocalField(
        label=_("Actual end"), required=False, help_text=_("Supply restored: the customers affected are told.")
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        styled(self)

    def clean(self) -> dict:
        data = super().clean()
        if not (
            data.get("status")
            or (data.get("note") or "").strip()
            or data.get("expected_end_at")
            or data.get("ended_at")
        ):
            raise forms.ValidationError(_("Enter a status, a note or a time."))
        return data


class ReliabilityForm(forms.Form):
    utility = forms.ChoiceField(label=_("Utility"), choices=Utility.choices, initial=Utility.ELECTRICITY)
    year = forms.IntegerField(
        label=_("Year"),
        min_value=2000,
        error_messages={"min_value": _("Choose a year from 2000 on."), "invalid": _("Enter a year, e.g. 2026.")},
    )
    postcode = forms.CharField(label=_("Area (postcode or its beginning)"), required=False, max_length=10)
    include_planned = forms.BooleanField(label=_("Count planned work too"), required=False)

    def __init__(self, *args, this_year: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.this_year = this_year
        self.fields["year"].initial = this_year
        styled(self)

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if year > self.this_year:
            raise forms.ValidationError(_("Choose a year up to %(year)s.") % {"year": self.this_year})
        return year

    def clean_postcode(self) -> str:
        value = self.cleaned_data["postcode"].strip()
        if value and not re.match(r"^[0-9A-Za-z]{1,10}$", value):
            raise forms.ValidationError(_("Enter a postcode or its first digits, e.g. 109."))
        return value
