"""Forms: what the customer pays online, an agent's manual payment and
refund, and an external payment reported through the API."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from billing.models import Invoice
from core.money import round_money
from payments.models import Payment, PaymentMethod, Refund
from payments.queries.payments import OpenInvoice
from payments.services.payments import CARD_METHODS, EXTERNAL_METHODS, MANUAL_METHODS

WHOLE_BALANCE = "balance"
SELECTED = "selected"
AMOUNT_MAX = Decimal("9999999999.99")


class AmountField(forms.DecimalField):
    """Euros and cents; a German decimal comma is taken too."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("max_value", AMOUNT_MAX)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("widget", forms.TextInput(attrs={"class": "form-control", "inputmode": "decimal"}))
        super().__init__(**kwargs)
        self.error_messages["invalid"] = _("Enter an amount in euros, e.g. 49.90.")
        self.error_messages["max_decimal_places"] = _("Enter the amount in whole cents.")

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("€", "").replace(" ", "")
            if "," in value:
                value = value.replace(".", "").replace(",", ".")
        return super().to_python(value)


class PayForm(forms.Form):
    """Pay some open bills or the whole balance of one account."""

    scope = forms.ChoiceField(
        label=_("What do you want to pay?"),
        choices=[(SELECTED, _("The bills I choose")), (WHOLE_BALANCE, _("The whole balance"))],
        widget=forms.RadioSelect,
        initial=SELECTED,
    )
    invoices = forms.MultipleChoiceField(label=_("Open bills"), required=False, widget=forms.CheckboxSelectMultiple)
    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, open_items: list[OpenInvoice], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.open_items = open_items
        self.fields["invoices"].choices = [(str(item.invoice.pk), item.invoice.number) for item in open_items]
        if not open_items:
            self.fields["scope"].initial = WHOLE_BALANCE
        self.fields["token"].initial = uuid.uuid4().hex

    def clean(self):
        data = super().clean()
        if data.get("scope") == SELECTED and not data.get("invoices"):
            self.add_error("invoices", _("Choose at least one bill, or pay the whole balance."))
        return data

    def chosen_invoices(self) -> list[Invoice]:
        if self.cleaned_data["scope"] == WHOLE_BALANCE:
            return []
        chosen = set(self.cleaned_data["invoices"])
        return [item.invoice for item in self.open_items if str(item.invoice.pk) in chosen]


class ManualPaymentForm(forms.Form):
    """Money an agent took outside the portal."""

    amount = AmountField(label=_("Amount (EUR)"))
    method = forms.ChoiceField(
        label=_("Method"),
        choices=[(method.value, method.label) for method in PaymentMethod if method in MANUAL_METHODS],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    invoice = forms.ModelChoiceField(
        label=_("Bill it pays"),
        queryset=Invoice.objects.none(),
        required=False,
        empty_label=_("Oldest open items first"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reference = forms.CharField(
        label=_("Reference (e.g. cheque number)"),
        max_length=140,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    payer_name = forms.CharField(
        label=_("Paid by"), max_length=140, required=False, widget=forms.TextInput(attrs={"class": "form-control"})
    )

    def __init__(self, *args, account: Account, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invoice"].queryset = Invoice.objects.filter(
            account=account, status=Invoice.Status.ISSUED, kind__in=Invoice.PAYABLE_KINDS
        ).order_by("-issue_date", "-id")


class RefundForm(forms.Form):
    """A credit balance back to the customer."""

    amount = AmountField(label=_("Amount (EUR)"))
    method = forms.ChoiceField(
        label=_("Refund to"),
        choices=Refund.Method.choices,
        widget=forms.RadioSelect,
        initial=Refund.Method.SEPA_TRANSFER,
    )
    payment = forms.ModelChoiceField(
        label=_("Card payment to refund"),
        queryset=Payment.objects.none(),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=300, required=False, widget=forms.TextInput(attrs={"class": "form-control"})
    )

    def __init__(self, *args, account: Account, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment"].queryset = (
            Payment.objects.filter(account=account, method__in=CARD_METHODS, status=Payment.Status.SUCCEEDED)
            .select_related("account")
            .order_by("-received_on", "-id")
        )

    def clean(self):
        data = super().clean()
        if data.get("method") == Refund.Method.CARD and not data.get("payment"):
            self.add_error("payment", _("Choose the card payment to refund."))
        return data


class ExternalPaymentForm(forms.Form):
    """An external payment as the API receives it (every field as text)."""

    account_number = forms.CharField(max_length=12, required=False)
    invoice_number = forms.CharField(max_length=40, required=False)
    amount = AmountField()
    date = forms.DateField(input_formats=["%Y-%m-%d"], error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")})
    reference = forms.CharField(max_length=140)
    method = forms.CharField(max_length=20, required=False)
    payer_name = forms.CharField(max_length=140, required=False)

    def clean_method(self) -> str:
        method = (self.cleaned_data.get("method") or PaymentMethod.TRANSFER).strip().upper()
        if method not in EXTERNAL_METHODS:
            raise forms.ValidationError(
                _("Choose one of: %(methods)s.") % {"methods": ", ".join(m.lower() for m in EXTERNAL_METHODS)}
            )
        return method

    def clean_amount(self) -> Decimal:
        return round_money(self.cleaned_data["amount"])

    def clean(self):
        data = super().clean()
        account_number = (data.get("account_number") or "").strip()
        invoice_number = (data.get("invoice_number") or "").strip()
        if not account_number and not invoice_number:
            self.add_error("account_number", _("Name the account number or the invoice number."))
            return data
        invoice = None
        if invoice_number:
            invoice = Invoice.objects.select_related("account").filter(number=invoice_number).first()
            if invoice is None:
                self.add_error("invoice_number", _("There is no invoice with this number."))
                return data
        account = invoice.account if invoice else Account.objects.filter(number=account_number).first()
        if account is None:
            self.add_error("account_number", _("There is no account with this number."))
        elif account_number and account.number != account_number:
            self.add_error("invoice_number", _("This invoice belongs to another account."))
        data["account"] = account
        data["invoice"] = invoice
        return data
