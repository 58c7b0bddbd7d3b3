"""Forms of the help centre: the search box, the question, the feedback on an answer."""

from __future__ import annotations

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from support.services.assistant import MAX_DETAILS, MAX_QUESTION


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search the help centre"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search", "autocomplete": "off"}),
    )


class AskForm(forms.Form):
    question = forms.CharField(
        label=_("Your question"),
        max_length=MAX_QUESTION,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2, "maxlength": MAX_QUESTION}),
        error_messages={"required": _("Please type your question.")},
    )


class FeedbackForm(forms.Form):
    solved = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda value: value == "yes", empty_value=None
    )
    details = forms.CharField(
        label=_("Anything else we should know?"),
        max_length=MAX_DETAILS,
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    invoice = forms.ModelChoiceField(
        label=_("Which bill is it about?"),
        queryset=None,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, invoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].queryset = invoices
        self.fields["invoice"].label_from_instance = lambda invoice: (
            _("%(number)s of %(date)s")
            % {
                "number": invoice.number,
                "date": formats.date_format(invoice.issue_date, "SHORT_DATE_FORMAT") if invoice.issue_date else "",
            }
        )
