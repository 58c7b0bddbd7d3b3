"""The customer's forms: propose a payment plan, sign a proposal, pay the
arrears. The plan's rules are the service's (arrears.services.plans):
these forms only read the input."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from arrears.services.plans import PlanLimits
from payments.forms.payments import AmountField

ZERO = Decimal("0.00")


class PlanForm(forms.Form):
    """Instalments, an optional down payment and the first due date, within `limits`."""

    account = forms.CharField(widget=forms.HiddenInput)
    instalments = forms.IntegerField(
        label=_("Number of monthly instalments"),
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    down_payment = AmountField(label=_("Down payment in euros"), required=False, min_value=ZERO)
    first_due = forms.DateField(
        label=_("First instalment due on"),
        widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
    )

    def __init__(self, *args, limits: PlanLimits, account_number: str, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "account": account_number,
                "instalments": limits.months_min,
                "first_due": min(limits.first_due_earliest + dt.timedelta(days=14), limits.first_due_latest),
            },
        )
        super().__init__(*args, **kwargs)
        self.limits = limits
        instalments = self.fields["instalments"]
        instalments.widget.attrs.update(min=limits.months_min, max=limits.months_max)
        instalments.help_text = _("Between %(min)s and %(max)s.") % {
            "min": limits.months_min,
            "max": limits.months_max,
        }
        self.fields["down_payment"].help_text = _("Optional. Paid within a week; it lowers the instalments.")
        first_due = self.fields["first_due"]
        first_due.widget.attrs.update(
            min=limits.first_due_earliest.isoformat(), max=limits.first_due_latest.isoformat()
        )
        first_due.help_text = _("At the latest on %(date)s; the next ones follow on the same day each month.") % {
            "date": formats.date_format(limits.first_due_latest, "DATE_FORMAT")
        }

    def clean_down_payment(self) -> Decimal:
        return self.cleaned_data.get("down_payment") or ZERO


class AcceptForm(forms.Form):
    """The customer's signature: their full name typed, and the box ticked.
    Both are checked by plan_accept, so its messages are the ones shown."""

    name = forms.CharField(
        label=_("Your full name"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "name"}),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree to this payment plan and will pay the instalments on their due dates. "
            "Typing my name counts as my signature."
        ),
        required=False,
    )


class ArrearsPayForm(forms.Form):
    """ "Pay now": the account and the amount the page showed (paid only if it is still the amount due)."""

    account = forms.CharField()
    amount = forms.DecimalField(max_digits=12, decimal_places=2)
    token = forms.CharField()

    @staticmethod
    def new_token() -> str:
        return uuid.uuid4().hex
