"""Customer details: one form whose fields are grouped into wizard steps.

The wizard shows one step at a time; the API, CSV import and the staff
screen validate all steps at once through the same form, so every channel
applies the same rules and messages.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import validation
from accounts.models import (
    ChangeChannel,
    Customer,
    CustomerType,
    Language,
    PaymentMethod,
    Representative,
    Requester,
    SepaMandate,
)
from accounts.services import OnboardingData
from core import clock

STEPS: list[tuple[str, Any]] = [
    ("person", _("Person")),
    ("address", _("Address")),
    ("contact", _("Contact")),
    ("payment", _("Payment")),
    ("review", _("Review")),
]
STEP_FIELDS: dict[str, list[str]] = {
    "person": ["customer_type", "first_name", "last_name", "company_name", "vat_id", "language"],
    "address": ["street", "house_number", "address_extra", "postcode", "city", "country"],
    "contact": ["email", "phone"],
    "payment": ["payment_method", "account_holder", "iban", "mandate_reference", "sepa_consent"],
    "review": [],
}
COUNTRIES = [
    ("DE", _("Germany")),
    ("AT", _("Austria")),
    ("BE", _("Belgium")),
    ("CH", _("Switzerland")),
    ("DK", _("Denmark")),
    ("FR", _("France")),
    ("LU", _("Luxembourg")),
    ("NL", _("Netherlands")),
    ("PL", _("Poland")),
    ("CZ", _("Czechia")),
]
# Lower-case spellings used by the CSV import and the API.
ALIASES = {
    "customer_type": {"household": CustomerType.HOUSEHOLD, "business": CustomerType.BUSINESS},
    "payment_method": {"sepa": PaymentMethod.SEPA, "transfer": PaymentMethod.TRANSFER},
}


def new_mandate_reference() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "UPM-" + "".join(secrets.choice(alphabet) for _ in range(12))


class CustomerDetailsForm(forms.Form):
    customer_type = forms.ChoiceField(
        label=_("I am signing up as"), choices=CustomerType.choices, widget=forms.RadioSelect
    )
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    company_name = forms.CharField(label=_("Company name"), max_length=200, required=False)
    vat_id = forms.CharField(label=_("VAT id"), max_length=20, required=False, help_text=_("For example DE123456789."))
    language = forms.ChoiceField(label=_("Language for letters and e-mails"), choices=Language.choices, initial="de")
    street = forms.CharField(label=_("Street"), max_length=200)
    house_number = forms.CharField(label=_("House number"), max_length=20)
    address_extra = forms.CharField(label=_("Address line 2"), max_length=200, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10)
    city = forms.CharField(label=_("City"), max_length=100)
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRIES, initial="DE")
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    phone = forms.CharField(
        label=_("Phone"), max_length=30, required=False, help_text=_("For questions about your supply.")
    )
    payment_method = forms.ChoiceField(
        label=_("How do you want to pay?"), choices=PaymentMethod.choices, widget=forms.RadioSelect
    )
    account_holder = forms.CharField(label=_("Account holder"), max_length=70, required=False)
    iban = forms.CharField(label=_("IBAN"), max_length=42, required=False)
    mandate_reference = forms.CharField(widget=forms.HiddenInput, required=False, max_length=35)
    sepa_consent = forms.BooleanField(label=_("I grant the SEPA direct debit mandate shown above."), required=False)
    # Only for migrating existing mandates (CSV import / API): the original signature date.
    mandate_signed_date = forms.DateField(required=False)

    def __init__(self, *args: Any, step: str | None = None, customer_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.step = step
        self.customer_id = customer_id
        if step is not None:
            keep = set(STEP_FIELDS[step])
            for name in list(self.fields):
                if name not in keep:
                    del self.fields[name]
        for field in self.fields.values():
            if isinstance(field.widget, (forms.TextInput, forms.EmailInput, forms.Select, forms.DateInput)):
                field.widget.attrs.setdefault(
                    "class", "form-control" if not isinstance(field.widget, forms.Select) else "form-select"
                )
        if "iban" in self.fields:
            self.fields["iban"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        if "phone" in self.fields:
            self.fields["phone"].widget.attrs.update({"type": "tel", "autocomplete": "tel"})
        if "email" in self.fields:
            self.fields["email"].widget.attrs.update({"autocomplete": "email"})

    # Lower-case spellings from CSV and API map onto our choice values.
    def _alias(self, name: str) -> str:
        value = self.data.get(self.add_prefix(name), "")
        return ALIASES[name].get(str(value).strip().lower(), value)

    def full_clean(self) -> None:
        if self.is_bound and hasattr(self.data, "copy"):
            data = self.data.copy()
            for name in ALIASES:
                if self.add_prefix(name) in data:
                    data[self.add_prefix(name)] = self._alias(name)
            self.data = data
        super().full_clean()

    def clean_vat_id(self) -> str:
        value = self.cleaned_data.get("vat_id", "")
        return validation.normalise_vat_id(value) if value else ""

    def clean_phone(self) -> str:
        value = self.cleaned_data.get("phone", "")
        return validation.normalise_phone(value) if value else ""

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        taken = Customer.objects.filter(email=email)
        if self.customer_id is not None:
            taken = taken.exclude(pk=self.customer_id)
        if taken.exists():
            raise ValidationError(
                _("A customer with this e-mail address already exists. Please sign in or use another address."),
                code="email_taken",
            )
        return email

    def clean_mandate_reference(self) -> str:
        value = self.cleaned_data.get("mandate_reference", "")
        if not value:
            return ""
        return validation.check_mandate_reference(value)

    def clean_mandate_signed_date(self) -> dt.date | None:
        value = self.cleaned_data.get("mandate_signed_date")
        if value and value > clock.today():
            raise ValidationError(_("A mandate cannot be signed in the future."), code="signed_in_future")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        fields = self.fields
        reference = data.get("mandate_reference")
        if (
            reference
            and data.get("payment_method") == PaymentMethod.SEPA
            and SepaMandate.objects.filter(reference=reference).exists()
        ):
            self.add_error("mandate_reference", _("Another mandate already has this reference."))
        if "customer_type" in fields and data.get("customer_type") == CustomerType.BUSINESS:
            if not data.get("company_name"):
                self.add_error("company_name", _("Please enter the company name."))
            if not data.get("vat_id") and "vat_id" not in self.errors:
                self.add_error("vat_id", _("Please enter the company's VAT id."))
        if "postcode" in fields and "postcode" in data:
            try:
                data["postcode"] = validation.normalise_postcode(
                    postcode=data["postcode"], country=data.get("country", "DE")
                )
            except ValidationError as error:
                self.add_error("postcode", error)
        if "payment_method" in fields and data.get("payment_method") == PaymentMethod.SEPA:
            if not data.get("account_holder"):
                self.add_error("account_holder", _("Please enter the account holder."))
            if not data.get("iban"):
                self.add_error("iban", _("Please enter your IBAN."))
            else:
                try:
                    bank = validation.check_iban(data["iban"])
                except ValidationError as error:
                    self.add_error("iban", error)
                else:
                    data["iban"] = bank.iban
                    data["bic"] = bank.bic
                    data["bank_name"] = bank.bank_name
            if not data.get("sepa_consent"):
                self.add_error("sepa_consent", _("Please confirm the direct debit mandate."))
        return data

    def to_onboarding_data(self, *, signed_date: dt.date) -> OnboardingData:
        """The validated details as the service's input (all steps bound)."""
        d = self.cleaned_data
        is_sepa = d["payment_method"] == PaymentMethod.SEPA
        return OnboardingData(
            customer_type=d["customer_type"],
            first_name=d["first_name"].strip(),
            last_name=d["last_name"].strip(),
            company_name=d.get("company_name", "").strip() if d["customer_type"] == CustomerType.BUSINESS else "",
            vat_id=d.get("vat_id", "") if d["customer_type"] == CustomerType.BUSINESS else "",
            language=d["language"],
            street=d["street"].strip(),
            house_number=d["house_number"].strip(),
            address_extra=d.get("address_extra", "").strip(),
            postcode=d["postcode"],
            city=d["city"].strip(),
            country=d["country"],
            email=d["email"],
            phone=d.get("phone", ""),
            payment_method=d["payment_method"],
            account_holder=d.get("account_holder", "").strip() if is_sepa else "",
            iban=d.get("iban", "") if is_sepa else "",
            bic=d.get("bic", "") if is_sepa else "",
            bank_name=d.get("bank_name", "") if is_sepa else "",
            mandate_reference=(d.get("mandate_reference") or new_mandate_reference()) if is_sepa else "",
            mandate_signed_date=d.get("mandate_signed_date") or signed_date,
        )


def creditor_id() -> str:
    return settings.SEPA_CREDITOR_ID


class SessionData:
    """Wizard answers kept in the session between steps, as plain strings."""

    KEY = "onboarding"

    def __init__(self, session: Any, key: str = KEY) -> None:
        self.session = session
        self.key = key

    def load(self) -> dict[str, Any]:
        return dict(self.session.get(self.key, {}))

    def save_step(self, values: dict[str, Any]) -> None:
        data = self.load()
        data.update(values)
        self.session[self.key] = data

    def clear(self) -> None:
        self.session.pop(self.key, None)


# --- Changes to a customer's data (profile page, agent page, API) -------------------

PROFILE_FIELDS = ["first_name", "last_name", "company_name", "phone", "language", *STEP_FIELDS["address"]]


class ProfileForm(CustomerDetailsForm):
    """The onboarding fields a customer or an agent may change later, with the
    onboarding rules and messages; `fields` keeps only those being changed (the
    API changes a few at a time)."""

    def __init__(self, *args: Any, customer: Customer, fields: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, customer_id=customer.pk, **kwargs)
        keep = set(fields if fields is not None else PROFILE_FIELDS) & set(PROFILE_FIELDS)
        if not customer.is_business:
            keep.discard("company_name")
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if "company_name" in self.fields:
            self.fields["company_name"].required = True
        if "language" in self.fields:
            self.fields["language"].label = _("Language for letters and e-mails")

    def changes(self) -> dict[str, Any]:
        """The checked values as the change service takes them."""
        data = self.cleaned_data
        return {
            name: data[name].strip() if isinstance(data[name], str) and name not in {"phone"} else data[name]
            for name in self.fields
        }


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label=_("New e-mail address"), max_length=254)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"class": "form-control", "autocomplete": "email"})


class BankChangeForm(forms.Form):
    account_holder = forms.CharField(label=_("Account holder"), max_length=70)
    iban = forms.CharField(label=_("IBAN"), max_length=42)
    consent = forms.BooleanField(label=_("I grant the SEPA direct debit mandate shown above."), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account_holder"].widget.attrs.update({"class": "form-control"})
        self.fields["iban"].widget.attrs.update({"class": "form-control", "autocomplete": "off", "spellcheck": "false"})


class StaffRequestForm(forms.Form):
    """Who asked an agent for a change, and how."""

    requested_by = forms.ChoiceField(
        label=_("Who asked?"),
        choices=[(Requester.CUSTOMER, _("the customer")), (Requester.REPRESENTATIVE, _("a representative"))],
        initial=Requester.CUSTOMER,
    )
    representative = forms.ModelChoiceField(
        label=_("Representative"), queryset=Representative.objects.none(), required=False
    )
    channel = forms.ChoiceField(
        label=_("How?"),
        choices=[(c, label) for c, label in ChangeChannel.choices if c in {"PHONE", "LETTER", "EMAIL"}],
        initial=ChangeChannel.PHONE,
    )

    def __init__(self, *args: Any, account: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["representative"].queryset = Representative.objects.filter(account=account).order_by("name", "id")
        for name in ("requested_by", "representative", "channel"):
            self.fields[name].widget.attrs.update({"class": "form-select"})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("requested_by") == Requester.REPRESENTATIVE and not data.get("representative"):
            self.add_error("representative", _("Choose the representative who asked for the change."))
        if data.get("requested_by") != Requester.REPRESENTATIVE:
            data["representative"] = None
        return data


class RepresentativeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Representative.Kind.choices)
    scopes = forms.MultipleChoiceField(
        label=_("May"), choices=Representative.Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        help_text=_("Empty: until revoked."),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update({"class": "form-control"})
        self.fields["kind"].widget.attrs.update({"class": "form-select"})

    def clean_valid_until(self) -> dt.date | None:
        value = self.cleaned_data.get("valid_until")
        if value and value < clock.today():
            raise ValidationError(_("The date lies in the past."), code="past")
        return value


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )
