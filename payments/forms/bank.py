"""Back-office forms of the bank pages: a statement upload, and an agent's
decision on a line of the reconciliation queue."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from billing.models import Invoice
from payments.services.bank_statements import MAX_STATEMENT_BYTES, StatementRejected, statement_check


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Bank statement (camt.053 XML)"),
        help_text=_("The daily statement from online banking, camt.053.001.02 up to .08; at most 20 MB."),
        widget=forms.FileInput(attrs={"class": "form-control", "accept": ".xml,application/xml,text/xml"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        content = upload.read()
        try:
            statement_check(content)
        except StatementRejected as error:
            raise forms.ValidationError(str(error)) from error
        self.content = content
        self.file_name = Path(upload.name).name
        return upload


class AssignForm(forms.Form):
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=20,
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "numeric", "autocomplete": "off"}),
    )
    invoice_number = forms.CharField(
        label=_("Invoice number"),
        max_length=40,
        required=False,
        help_text=_("Settled first; the rest of the money settles the oldest open items."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    note = forms.CharField(
        label=_("Note"), max_length=300, required=False, widget=forms.TextInput(attrs={"class": "form-control"})
    )

    def clean_account_number(self) -> Account:
        number = "".join(self.cleaned_data["account_number"].split())
        account = Account.objects.filter(number=number).select_related("customer").first()
        if account is None:
            raise forms.ValidationError(_("There is no account with this number."))
        return account

    def clean_invoice_number(self) -> Invoice | None:
        number = self.cleaned_data["invoice_number"].strip()
        if not number:
            return None
        invoice = Invoice.objects.filter(number__iexact=number).first()
        if invoice is None:
            raise forms.ValidationError(_("There is no invoice with this number."))
        return invoice

    def clean(self):
        cleaned = super().clean()
        account, invoice = cleaned.get("account_number"), cleaned.get("invoice_number")
        if account is not None and invoice is not None and invoice.account_id != account.pk:
            self.add_error("invoice_number", _("This invoice belongs to another account."))
        return cleaned


class IgnoreForm(forms.Form):
    reason = forms.CharField(
        label=_("Why no booking is needed"),
        max_length=300,
        help_text=_("E.g. sent back to the payer, or not meant for us."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
