"""Forms of the bills pages: billing preferences (customer and agent), the
statement's year filter, cancelling a bill and the accounting export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import BillingPreferences, Language
from billing.models import BillingSettings
from billing.models.settings import LEGAL_MIN_PAYMENT_TERMS_DAYS
from billing.services.preferences import CUSTOMER_FIELDS, MAX_PAYMENT_TERMS_DAYS, STAFF_FIELDS
from supply.forms import _style

# Longest range of one accounting export: a business year and a little.
MAX_EXPORT_DAYS = 400


class PreferencesForm(forms.Form):
    """The preferences a customer may change; agents also see the payment terms.
    `changes()` gives the service what the form holds."""

    frequency = forms.ChoiceField(label=_("Billing frequency"), choices=BillingPreferences.Frequency.choices)
    budget_billing = forms.BooleanField(label=_("Budget billing: pay monthly instalments"), required=False)
    delivery_channel = forms.ChoiceField(
        label=_("How you get your bills"),
        choices=BillingPreferences.DeliveryChannel.choices,
        widget=forms.RadioSelect,
    )
    invoice_language = forms.ChoiceField(
        label=_("Language of the bills"),
        choices=[("", _("as my portal language")), *Language.choices],
        required=False,
    )
    paperless = forms.BooleanField(label=_("Paperless: no paper copies"), required=False)
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"),
        required=False,
        min_value=LEGAL_MIN_PAYMENT_TERMS_DAYS,
        max_value=MAX_PAYMENT_TERMS_DAYS,
        help_text=_("Empty: the company default."),
    )

    def __init__(
        self, *args: Any, preferences: BillingPreferences, settings: BillingSettings, by_staff: bool, **kwargs: Any
    ) -> None:
        initial = {field: getattr(preferences, field) for field in STAFF_FIELDS}
        super().__init__(*args, initial=initial, **kwargs)
        self.by_staff = by_staff
        if not by_staff:
            del self.fields["payment_terms_days"]
            if not settings.customer_may_choose_frequency:
                self.fields["frequency"].disabled = True
                self.fields["frequency"].help_text = _("Set by us; please contact our customer service to change it.")
        else:
            self.fields["budget_billing"].label = _("Budget billing (monthly instalments)")
            self.fields["delivery_channel"].label = _("Delivery of bills")
            self.fields["paperless"].label = _("Paperless")
        _style(self)

    def changes(self) -> dict[str, Any]:
        fields = STAFF_FIELDS if self.by_staff else CUSTOMER_FIELDS
        return {
            field: self.cleaned_data[field]
            for field in fields
            if field in self.fields and not self.fields[field].disabled
        }


class CancelForm(forms.Form):
    """Cancelling an issued bill: the reason (printed on the credit note) and
    whether to bill the period again at once."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("The customer reads this on the credit note, e.g. “meter reading corrected”."),
    )
    rebill = forms.BooleanField(label=_("Bill the period again now (with the corrected reads)"), required=False)
    confirm = forms.BooleanField(
        label=_("Yes, cancel this bill with a credit note"),
        error_messages={"required": _("Please confirm the cancellation.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise ValidationError(_("Please give the reason."))
        return reason


class ExportForm(forms.Form):
    """The period of an accounting export, both days included."""

    date_from = forms.DateField(
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )
    date_to = forms.DateField(
        label=_("To (inclusive)"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = data.get("date_from"), data.get("date_to")
        if first and last:
            message = export_range_problem(first, last)
            if message:
                self.add_error("date_to", message)
        return data


def export_range_problem(first: dt.date, last: dt.date) -> str:
    """Why a range cannot be exported, or ""."""
    if last < first:
        return str(_("The end date lies before the start date."))
    if (last - first).days + 1 > MAX_EXPORT_DAYS:
        return str(_("Export at most %(days)d days at a time.") % {"days": MAX_EXPORT_DAYS})
    return ""
