"""The agents' bills pages (included under /staff/bills/): the queue of held
bills (release, discard, rebill), a bill with its explanation and PDF,
cancelling an issued bill with a credit note (and billing the period again),
an account's billing preferences and statement, and the accounting export.

Permissions: seeing bills needs billing.view_invoice; releasing, discarding,
cancelling and rebilling billing.change_invoice; the statement
billing.view_ledgerentry; preferences accounts.change_billingpreferences; the
accounting export billing.view_billingsettings (who may see the company's
accounting accounts may export the journal)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Account
from billing.forms.bills import CancelForm, ExportForm, PreferencesForm
from billing.models import BillingSettings, BillRunItem, Invoice
from billing.queries.accounting import ExportError, accounting_export
from billing.queries.bills import VISIBLE_STATES, held_bills, statement_years
from billing.services.invoicing import (
    InvoiceStateError,
    invoice_cancel,
    invoice_discard,
    invoice_rebill,
    invoice_release,
)
from billing.services.preferences import PreferencesInvalid, preferences_for, preferences_update
from billing.views.bills import bill_page, bill_pdf_response, statement_csv_response, year_param
from core import clock
from core.staff import staff_required

VIEW = "billing.view_invoice"
CHANGE = "billing.change_invoice"


def _invoice(invoice_id: int) -> Invoice:
    return get_object_or_404(
        Invoice.objects.select_related("account__customer", "cancels").prefetch_related("lines", "readings"),
        pk=invoice_id,
    )


def customer_bills_url(account: Account) -> str:
    return reverse("staff:customer", kwargs={"customer_id": account.customer_id}) + "?tab=bills"


def _outcome_message(request: HttpRequest, outcome) -> None:
    if outcome.status == BillRunItem.Status.BILLED:
        messages.success(request, _("The period was billed again."))
    elif outcome.status == BillRunItem.Status.HELD:
        messages.warning(request, _("The new bill is held for review: %(reason)s") % {"reason": outcome.reason})
    else:
        messages.error(request, _("The period could not be billed again: %(reason)s") % {"reason": outcome.reason})


@staff_required(VIEW)
def held(request: HttpRequest) -> HttpResponse:
    """Held bills, oldest first, with their reasons and the previous bill."""
    return render(request, "billing/staff/held.html", {"held": held_bills()})


@staff_required(VIEW, CHANGE)
@require_POST
def held_decide(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """Release a held bill, discard it, or discard it and bill the period again."""
    invoice = get_object_or_404(Invoice, pk=invoice_id)
    action = request.POST.get("action")
    today = clock.today()
    try:
        if action == "release":
            invoice = invoice_release(invoice=invoice, user=request.user, as_of=today)
            messages.success(request, _("Bill %(number)s was issued.") % {"number": invoice.number})
        elif action == "discard":
            invoice_discard(invoice=invoice, user=request.user)
            messages.success(request, _("The held bill was discarded."))
        elif action == "rebill":
            _outcome_message(request, invoice_rebill(invoice=invoice, user=request.user, as_of=today))
        else:
            messages.error(request, _("Choose release, discard or rebill."))
    except InvoiceStateError as error:
        messages.error(request, str(error))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("staff_bills:held")
    return redirect(next_url)


@staff_required(VIEW)
def bill(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(invoice_id)
    context = {
        "page": bill_page(invoice=invoice, as_of=clock.today()),
        "may_cancel": invoice.is_issued and not invoice.is_credit_note and request.user.has_perm(CHANGE),
        "may_decide": invoice.is_held and request.user.has_perm(CHANGE),
    }
    return render(request, "billing/staff/bill.html", context)


@staff_required(VIEW)
def bill_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=invoice_id, status__in=VISIBLE_STATES)
    return bill_pdf_response(invoice)


@staff_required(VIEW, CHANGE)
def cancel(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """Cancel an issued bill with a credit note after a confirmation, optionally billing again."""
    invoice = _invoice(invoice_id)
    if not invoice.is_issued or invoice.is_credit_note:
        messages.error(request, _("Only an issued bill can be cancelled."))
        return redirect("staff_bills:bill", invoice_id=invoice.pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        today = clock.today()
        try:
            if form.cleaned_data["rebill"]:
                outcome = invoice_rebill(invoice=invoice, user=request.user, as_of=today, reason=reason)
                messages.success(
                    request, _("Bill %(number)s was cancelled with a credit note.") % {"number": invoice.number}
                )
                _outcome_message(request, outcome)
            else:
                note = invoice_cancel(invoice=invoice, user=request.user, as_of=today, reason=reason)
                messages.success(
                    request,
                    _("Bill %(number)s was cancelled with credit note %(note)s.")
                    % {"number": invoice.number, "note": note.number},
                )
        except InvoiceStateError as error:
            messages.error(request, str(error))
            return redirect("staff_bills:bill", invoice_id=invoice.pk)
        return redirect(customer_bills_url(invoice.account))
    return render(request, "billing/staff/cancel.html", {"invoice": invoice, "form": form})


@staff_required("accounts.view_billingpreferences", "accounts.change_billingpreferences")
def account_preferences(request: HttpRequest, account_id: int) -> HttpResponse:
    """An agent changes an account's billing preferences (payment terms too)."""
    account = get_object_or_404(Account.objects.select_related("customer"), pk=account_id)
    settings = BillingSettings.current()
    form = PreferencesForm(
        request.POST or None, preferences=preferences_for(account=account), settings=settings, by_staff=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            preferences_update(account=account, changes=form.changes(), by_staff=True, user=request.user)
        except PreferencesInvalid as error:
            for field, texts in error.messages.items():
                for text in texts:
                    form.add_error(field if field in form.fields else None, text)
        else:
            messages.success(request, _("The billing preferences were saved."))
            return redirect(customer_bills_url(account))
    return render(request, "billing/staff/preferences.html", {"form": form, "account": account, "settings": settings})


@staff_required(VIEW, "billing.view_ledgerentry")
def statement_download(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_object_or_404(Account, pk=account_id)
    year = year_param(request.GET.get("year"), years=statement_years(account=account))
    return statement_csv_response(account=account, year=year, language=request.LANGUAGE_CODE)


@staff_required("billing.view_billingsettings")
def export(request: HttpRequest) -> HttpResponse:
    """The accounting export for a period: the summary on the page, the
    journal as a CSV download (`download=1`). A pure read."""
    form = ExportForm(request.GET or None)
    result = None
    if form.is_bound and form.is_valid():
        first, last = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        try:
            result = accounting_export(first=first, last=last)
        except ExportError as error:
            form.add_error(None, str(error))
        else:
            if request.GET.get("download"):
                response = HttpResponse(result.csv_bytes(), content_type="text/csv; charset=utf-8")
                response["Content-Disposition"] = (
                    f'attachment; filename="Buchungsstapel_{first:%Y%m%d}_{last:%Y%m%d}.csv"'
                )
                return response
    return render(request, "billing/staff/export.html", {"form": form, "result": result})
