"""Forms of the arrears back-office: an agent's hold, a supervisor's
decision, a recall, a payment plan set up on the phone and the customer's
verbal consent to it."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from arrears.models import DunningHold
from payments.forms.payments import AmountField

TEXT = {"class": "form-control"}


class HoldForm(forms.Form):
    """A hold on the whole account: an agent's, with an end date, or a
    vulnerable customer's, until released."""

    reason = forms.ChoiceField(
        label=_("Why dunning stops"),
        choices=[
            (DunningHold.Reason.AGENT.value, _("Agreed with the customer, until a date")),
            (DunningHold.Reason.VULNERABLE.value, _("Vulnerable customer, until released")),
        ],
        widget=forms.RadioSelect,
        initial=DunningHold.Reason.AGENT,
    )
    until = forms.DateField(
        label=_("Last day of the hold"),
        required=False,
        help_text=_(
            "Only for a hold agreed with the customer, and needed there; dunning resumes the day after."
            " A vulnerable customer's hold lasts until it is released."
        ),
        widget=forms.DateInput(attrs={"type": "date", **TEXT}),
    )
    note = forms.CharField(
        label=_("Note for colleagues"),
        max_length=300,
        help_text=_("Why dunning stops: what was agreed, and with whom."),
        error_messages={"required": _("Write down why dunning stops, e.g. what was agreed with the customer.")},
        widget=forms.TextInput(attrs=TEXT),
    )
    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["token"].initial = uuid.uuid4().hex[:16]

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if not token.isalnum() or len(token) > 32:
            raise forms.ValidationError(_("Reload the page and try again."))
        return token

    def clean(self):
        data = super().clean()
        reason, until = data.get("reason"), data.get("until")
        if reason == DunningHold.Reason.AGENT:
            if until is None and "until" not in self.errors:
                self.add_error("until", _("Enter the last day of the hold."))
            elif until is not None and until <= self.today:
                self.add_error("until", _("The last day of the hold must lie in the future."))
        elif reason == DunningHold.Reason.VULNERABLE and until is not None:
            self.add_error(
                "until", _("A vulnerable customer's hold has no end date; release it when it no longer applies.")
            )
        return data


class DecisionForm(forms.Form):
    """A supervisor's approval or stop, with a note (a stop needs one)."""

    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("Required when you stop or reject: say why."),
        widget=forms.TextInput(attrs=TEXT),
    )


class RecallForm(forms.Form):
    note = forms.CharField(
        label=_("Why the case comes back"),
        max_length=300,
        widget=forms.TextInput(attrs=TEXT),
        error_messages={"required": _("Say why the case is recalled.")},
    )


class PlanForm(forms.Form):
    """An instalment plan set up with a caller."""

    instalments = forms.IntegerField(
        label=_("Monthly instalments"),
        min_value=1,
        max_value=120,
        widget=forms.NumberInput(attrs={**TEXT, "inputmode": "numeric"}),
    )
    down_payment = AmountField(
        label=_("Down payment (EUR)"),
        min_value=Decimal("0.00"),
        required=False,
        help_text=_("Due within a week."),
    )
    first_due = forms.DateField(
        label=_("First instalment due on"), widget=forms.DateInput(attrs={"type": "date", **TEXT})
    )

    def clean_down_payment(self) -> Decimal:
        return self.cleaned_data.get("down_payment") or Decimal("0.00")


class VerbalConsentForm(forms.Form):
    """The customer agreed on the phone: the agent types the name they gave and ticks the box."""

    name = forms.CharField(
        label=_("Customer's full name, as they said it"),
        max_length=200,
        error_messages={"required": _("Type the name the customer gave.")},
        widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}),
    )
    consent = forms.BooleanField(
        label=_("The customer agreed to this plan on the phone"),
        error_messages={"required": _("Tick the box only once the customer has agreed on the phone.")},
    )


class FieldReportForm(forms.Form):
    """The day the field crew disconnected or reconnected the supply."""

    on = forms.DateField(
        label=_("Carried out on"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        error_messages={"required": _("Please enter the date."), "invalid": _("Please enter a date.")},
    )
