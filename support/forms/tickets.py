"""Forms of the ticket pages (customer and back-office)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import Invoice
from core.communications import Attachment
from support.models import CannedReply, Queue, Ticket
from support.services.tickets import MAX_ATTACHMENT_BYTES, MAX_BODY, MAX_SUBJECT

MAX_FILES = 5
TEXTAREA = {"class": "form-control", "rows": 6}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Up to MAX_FILES files, each at most MAX_ATTACHMENT_BYTES."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "form-control"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("Please attach at most %(count)s files.") % {"count": MAX_FILES})
        cleaned = [super(MultipleFileField, self).clean(item, initial) for item in files]
        for upload in cleaned:
            if upload.size > MAX_ATTACHMENT_BYTES:
                raise forms.ValidationError(_("The file %(name)s is too large.") % {"name": upload.name})
        return cleaned


def attachments_from(uploads) -> list[Attachment]:
    return [
        Attachment(
            filename=upload.name, content=upload.read(), content_type=upload.content_type or "application/octet-stream"
        )
        for upload in uploads or []
    ]


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), max_length=MAX_BODY, widget=forms.Textarea(attrs=TEXTAREA), strip=True
    )
    files = MultipleFileField(label=_("Attachments"))


CUSTOMER_KINDS = [
    (Ticket.Kind.INQUIRY, _("A question")),
    (Ticket.Kind.COMPLAINT, _("A complaint")),
    (Ticket.Kind.BILLING_DISPUTE, _("I disagree with a bill")),
    (Ticket.Kind.METER_PROBLEM, _("A problem with my meter")),
    (Ticket.Kind.MOVE, _("I am moving")),
    (Ticket.Kind.PAYMENT_PLAN_REQUEST, _("I would like to pay in instalments")),
]


class TicketNewForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What is it about?"), choices=CUSTOMER_KINDS, widget=forms.Select(attrs={"class": "form-select"})
    )
    disputed_invoice = forms.ModelChoiceField(
        label=_("Which bill? (for a disagreement with a bill)"),
        queryset=Invoice.objects.none(),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    subject = forms.CharField(
        label=_("Subject"), max_length=MAX_SUBJECT, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    body = forms.CharField(label=_("Your message"), max_length=MAX_BODY, widget=forms.Textarea(attrs=TEXTAREA))
    files = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, invoices=None, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        if invoices is not None:
            self.fields["disputed_invoice"].queryset = invoices
        self.fields["disputed_invoice"].label_from_instance = lambda invoice: (
            f"{invoice.number} ({invoice.issue_date:%d.%m.%Y}, {invoice.gross_total} EUR)"
        )
        if kinds is not None:
            self.fields["kind"].choices = kinds

    def clean(self):
        data = super().clean()
        if data.get("disputed_invoice") and data.get("kind") != Ticket.Kind.BILLING_DISPUTE:
            self.add_error("disputed_invoice", _("Choose a bill only when you disagree with a bill."))
        return data


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with our answer?"),
        choices=[(5, _("5 - very satisfied")), (4, "4"), (3, "3"), (2, "2"), (1, _("1 - not satisfied"))],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply to the customer"), max_length=MAX_BODY, widget=forms.Textarea(attrs=TEXTAREA))
    files = MultipleFileField(label=_("Attachments"))
    keep_open = forms.BooleanField(label=_("Keep the ticket open (do not wait for the customer)"), required=False)


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )


class CannedForm(forms.Form):
    canned = forms.ModelChoiceField(
        label=_("Canned reply"),
        queryset=CannedReply.objects.filter(is_active=True).order_by("title", "id"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class ResolveForm(forms.Form):
    body = forms.CharField(label=_("Final answer"), max_length=MAX_BODY, widget=forms.Textarea(attrs=TEXTAREA))
    rejected = forms.BooleanField(
        label=_("The complaint is rejected (the arbitration board is named in the answer)"), required=False
    )


class RouteForm(forms.Form):
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Queue.objects.none(), widget=forms.Select(attrs={"class": "form-select"})
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Ticket.Priority.choices, widget=forms.Select(attrs={"class": "form-select"})
    )

    def __init__(self, *args, queues=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = queues if queues is not None else Queue.objects.none()


STAFF_STATUSES = [
    (Ticket.Status.OPEN, Ticket.Status.OPEN.label),
    (Ticket.Status.WAITING_FOR_CUSTOMER, Ticket.Status.WAITING_FOR_CUSTOMER.label),
    (Ticket.Status.CLOSED, Ticket.Status.CLOSED.label),
]


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=STAFF_STATUSES, widget=forms.Select(attrs={"class": "form-select"})
    )


class MergeForm(forms.Form):
    into = forms.CharField(
        label=_("Merge this ticket into (reference)"),
        max_length=20,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "T-2026-000001"}),
    )


class PhoneTicketForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Ticket.Kind.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    subject = forms.CharField(
        label=_("Subject"), max_length=MAX_SUBJECT, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    body = forms.CharField(
        label=_("What the customer said"), max_length=MAX_BODY, widget=forms.Textarea(attrs=TEXTAREA)
    )


class ReportPeriodForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start must not be after the end."))
        return data
