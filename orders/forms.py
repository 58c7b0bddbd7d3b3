"""The order form of the portal and the back-office: which account and
supply, how many, which appointment, and (for a consumer ordering at a
distance) the express request to start within the withdrawal period. The
rules themselves are the services' (orders.services): the form reads the
input, the view hands the services' refusals back to the fields."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from orders.models import AppointmentSlot, Order, Product
from orders.services import OrderRefused
from payments.forms.payments import AmountField
from supply.models import ServiceAgreement

# The input a service names (OrderRefused.field) -> the form's field.
REFUSAL_FIELDS = {
    "quantity": "quantity",
    "supply_point_id": "supply",
    "appointment_slot": "slot",
    "unit_price": "unit_price",
}
WITHDRAWAL_DAYS = 14


def slot_label(slot: AppointmentSlot) -> str:
    starts, ends = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
    return _("%(weekday)s %(day)s, %(start)s–%(end)s") % {
        "weekday": formats.date_format(starts, "D"),
        "day": formats.date_format(starts, "DATE_FORMAT"),
        "start": formats.time_format(starts, "TIME_FORMAT"),
        "end": formats.time_format(ends, "TIME_FORMAT"),
    }


def supply_label(agreement: ServiceAgreement, *, with_account: bool) -> str:
    point = agreement.supply_point
    label = f"{point.get_utility_display()} · {point.premise} · {point.identifier}"
    return f"{label} ({agreement.account.number})" if with_account else label


class OrderForm(forms.Form):
    """One product for one of `accounts`: supply, quantity, appointment."""

    account = forms.ChoiceField(label=_("Account"), widget=forms.Select(attrs={"class": "form-select"}))
    supply = forms.ChoiceField(
        label=_("For which supply?"), required=False, widget=forms.Select(attrs={"class": "form-select"})
    )
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=99,
        initial=1,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric", "min": 1, "max": 99}),
        error_messages={
            "required": _("Enter how many you want (1 to 99)."),
            "invalid": _("Enter the quantity as a whole number."),
            "min_value": _("The quantity must be a whole number from 1 to 99."),
            "max_value": _("The quantity must be a whole number from 1 to 99."),
        },
    )
    slot = forms.ChoiceField(label=_("Appointment"), required=False, widget=forms.RadioSelect)
    key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(
        self,
        *args,
        product: Product,
        accounts: list[Account],
        agreements: list[ServiceAgreement],
        slots: list[AppointmentSlot],
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.product = product
        self.accounts = {account.number: account for account in accounts}
        self.agreements = [a for a in agreements if not product.utility or a.supply_point.utility == product.utility]
        self.slots = {str(slot.pk): slot for slot in slots}
        several = len(accounts) > 1
        self.fields["account"].choices = [(number, number) for number in self.accounts]
        self.fields["account"].initial = next(iter(self.accounts), "")
        if not several:
            self.fields["account"].widget = forms.HiddenInput()
        supplies = [(str(a.supply_point_id), supply_label(a, with_account=several)) for a in self.agreements]
        if product.utility:
            self.fields["supply"].required = True
            self.fields["supply"].choices = supplies
            self.fields["supply"].error_messages["required"] = _("Choose the supply this item is for.")
        else:
            self.fields["supply"].choices = [("", _("My account in general (no particular supply)")), *supplies]
        if len(self.fields["supply"].choices) == 1:
            self.fields["supply"].initial = self.fields["supply"].choices[0][0]
        self.fields["slot"].choices = [(pk, slot_label(slot)) for pk, slot in self.slots.items()]
        if product.needs_appointment:
            self.fields["slot"].required = True
            self.fields["slot"].error_messages["required"] = _("Choose an appointment.")
            self.fields["slot"].help_text = _(
                "Only appointments that are still free are shown. If none suits you, write to us."
            )
        else:
            del self.fields["slot"]
        self.fields["key"].initial = uuid.uuid4().hex
        self.fields["quantity"].error_messages["invalid_choice"] = _("Choose one of the options shown.")
        self.fields["supply"].error_messages["invalid_choice"] = _("Choose one of the supplies shown.")
        if "slot" in self.fields:
            self.fields["slot"].error_messages["invalid_choice"] = _(
                "This appointment is no longer free; please choose another."
            )
        self.fields["account"].error_messages["invalid_choice"] = _("Choose one of your accounts.")

    def clean(self):
        data = super().clean()
        account = self.accounts.get(data.get("account", ""))
        supply = data.get("supply")
        if account is not None and supply:
            if not any(str(a.supply_point_id) == supply and a.account_id == account.pk for a in self.agreements):
                self.add_error("supply", _("This supply does not belong to the account chosen."))
        return data

    # What the services take.

    @property
    def chosen_account(self) -> Account:
        return self.accounts[self.cleaned_data["account"]]

    @property
    def chosen_supply_point(self):
        supply = self.cleaned_data.get("supply")
        return next((a.supply_point for a in self.agreements if str(a.supply_point_id) == supply), None)

    @property
    def chosen_slot(self) -> AppointmentSlot | None:
        return self.slots.get(self.cleaned_data.get("slot") or "")

    def placed_order(self) -> Order | None:
        """The order a first click with this form's key already placed (a double
        submit): looked up before the form is checked again, as the first click
        may have taken the last place in the chosen slot."""
        account = self.accounts.get(self.data.get(self.add_prefix("account"), ""))
        key = self.data.get(self.add_prefix("key"), "")
        if account is None or not key:
            return None
        return Order.objects.filter(account=account, idempotency_key=key).first()

    def refusal_show(self, error: OrderRefused) -> None:
        """Put a service's refusal at the field it is about (else above the form)."""
        field = REFUSAL_FIELDS.get(error.field)
        self.add_error(field if field in self.fields else None, str(error))

    def hidden_values(self) -> list[tuple[str, str]]:
        """The chosen values, carried by the confirmation step's form."""
        return [(self.add_prefix(name), str(self.data.get(self.add_prefix(name), ""))) for name in self.fields]


class StaffOrderForm(OrderForm):
    """An agent orders for a caller: every product, any free appointment,
    a price for a quote-only item, and a note."""

    unit_price = AmountField(
        label=_("Net unit price (EUR)"),
        required=False,
        min_value=Decimal("0.00"),
        help_text=_("Only for an item sold by quote: the price agreed with the customer."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args, product: Product, **kwargs) -> None:
        super().__init__(*args, product=product, **kwargs)
        if not product.quote_only:
            del self.fields["unit_price"]
        else:
            self.fields["unit_price"].required = True
            self.fields["unit_price"].error_messages["required"] = _("Enter the price agreed in the quote.")


class ExpressStartForm(forms.Form):
    """The consumer's express request to start within the withdrawal period
    (BGB §356(4)); required when the appointment falls inside it."""

    express_start = forms.BooleanField(
        label=_(
            "I ask you to start before the 14-day withdrawal period ends. I know that I lose my right of "
            "withdrawal once the service is fully performed."
        ),
        required=False,
    )

    def __init__(self, *args, required: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.is_required = required
        if required:
            self.fields["express_start"].required = True
            self.fields["express_start"].error_messages["required"] = _(
                "Your appointment is within the 14-day withdrawal period: tick the box to ask us to come then, "
                "or choose a later appointment."
            )


def express_start_required(*, withdrawal_right: bool, slot: AppointmentSlot | None, today: dt.date) -> bool:
    """A consumer who may withdraw must ask for a start inside the withdrawal period."""
    if not withdrawal_right or slot is None:
        return False
    return timezone.localdate(slot.starts_at) <= today + dt.timedelta(days=WITHDRAWAL_DAYS)


class CancelForm(forms.Form):
    """The reason (optional for a customer) and, for an agent after the deadline, the late fee."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class StaffCancelForm(CancelForm):
    charge_late_fee = forms.BooleanField(
        label=_("Cancel after the deadline and charge the late-cancellation fee"), required=False
    )


class ScheduleForm(forms.Form):
    """Set or move the appointment of a confirmed order."""

    slot = forms.ChoiceField(label=_("Appointment"), widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, slots: list[AppointmentSlot], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.slots = {str(slot.pk): slot for slot in slots}
        self.fields["slot"].choices = [(pk, slot_label(slot)) for pk, slot in self.slots.items()]
        self.fields["slot"].error_messages["required"] = _("Choose an appointment.")
        self.fields["slot"].error_messages["invalid_choice"] = _(
            "This appointment is no longer free; please choose another."
        )

    @property
    def chosen_slot(self) -> AppointmentSlot:
        return self.slots[self.cleaned_data["slot"]]
