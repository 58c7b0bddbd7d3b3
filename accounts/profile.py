"""The customer's profile page: name, phone, language and billing address,
the e-mail address (confirmed from the new address), bank details (a new
mandate) and the timeline of their own changes. Billing delivery and
paperless are on the bills' preferences page, linked from here."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.changes import (
    ChangeRefused,
    Requested,
    bank_account_change,
    customer_change,
    email_change_request,
    field_label,
)
from accounts.forms import BankChangeForm, EmailChangeForm, ProfileForm, creditor_id
from accounts.models import Account, Customer, PendingChange, SepaMandate
from accounts.queries import customer_changes


def _customer_and_account(request: HttpRequest) -> tuple[Customer, Account]:
    """The signed-in customer and the account chosen with ?account= (their first by default); 404 otherwise."""
    customer = Customer.objects.filter(user=request.user).first()
    if customer is None:
        raise Http404
    accounts = customer.accounts.order_by("id")
    number = request.GET.get("account") or request.POST.get("account")
    account = accounts.filter(number=number).first() if number else accounts.first()
    if account is None:
        raise Http404
    return customer, account


def _profile_url(account: Account) -> str:
    return reverse("profile") + f"?account={account.number}"


def _initial(customer: Customer, account: Account) -> dict[str, Any]:
    initial = {name: getattr(customer, name) for name in ("first_name", "last_name", "company_name", "language")}
    initial["phone"] = customer.phone.as_national if customer.phone else ""
    initial.update(
        {
            name: getattr(account, name)
            for name in ("street", "house_number", "address_extra", "postcode", "city", "country")
        }
    )
    return initial


def _render(
    request: HttpRequest,
    customer: Customer,
    account: Account,
    *,
    form: ProfileForm | None = None,
    email_form: EmailChangeForm | None = None,
    bank_form: BankChangeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    mandate = SepaMandate.objects.filter(account=account, status=SepaMandate.Status.ACTIVE).first()
    changes = list(customer_changes(customer=customer))
    for change in changes:
        change.label = field_label(change.field)
    context = {
        "customer": customer,
        "account": account,
        "accounts": list(customer.accounts.order_by("id")),
        "form": form or ProfileForm(initial=_initial(customer, account), customer=customer),
        "email_form": email_form or EmailChangeForm(),
        "bank_form": bank_form or BankChangeForm(initial={"account_holder": customer.display_name}),
        "mandate": mandate,
        "creditor_id": creditor_id(),
        "pending": list(
            PendingChange.objects.filter(customer=customer, status=PendingChange.Status.PENDING).order_by("id")
        ),
        "changes": changes,
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    customer, account = _customer_and_account(request)
    if request.method != "POST":
        return _render(request, customer, account)
    form = ProfileForm(request.POST, customer=customer)
    if not form.is_valid():
        messages.error(request, _("Some details need your attention. Nothing was saved."))
        return _render(request, customer, account, form=form, status=422)
    try:
        result = customer_change(
            customer=customer, account=account, changes=form.changes(), requested=Requested.customer(request.user)
        )
    except ChangeRefused as error:
        messages.error(request, str(error))
        return _render(request, customer, account, form=form, status=422)
    if result.pending:
        messages.info(request, _("Your name change is checked by our customer service before it takes effect."))
    if result.entries:
        messages.success(request, _("Your details are saved."))
    elif not result.pending:
        messages.info(request, _("Nothing was changed."))
    return redirect(_profile_url(account))


@login_required
@require_POST
def email_change(request: HttpRequest) -> HttpResponse:
    customer, account = _customer_and_account(request)
    form = EmailChangeForm(request.POST)
    if form.is_valid():
        try:
            email_change_request(
                customer=customer,
                email=form.cleaned_data["email"],
                requested=Requested.customer(request.user),
                request=request,
            )
        except ValidationError as error:
            form.add_error("email", error)
        except ChangeRefused as error:
            form.add_error(None, str(error))
    if not form.is_valid():
        return _render(request, customer, account, email_form=form, status=422)
    messages.info(
        request,
        _("We have sent a link to %(email)s. Your address changes when you open it.")
        % {"email": form.cleaned_data["email"]},
    )
    return redirect(_profile_url(account))


@login_required
@require_POST
def bank_change(request: HttpRequest) -> HttpResponse:
    customer, account = _customer_and_account(request)
    form = BankChangeForm(request.POST)
    if form.is_valid():
        try:
            change = bank_account_change(
                account=account,
                iban=form.cleaned_data["iban"],
                account_holder=form.cleaned_data["account_holder"],
                consent=form.cleaned_data["consent"],
                requested=Requested.customer(request.user),
            )
        except ChangeRefused as error:
            for name, texts in error.messages.items():
                for text in texts:
                    form.add_error(name if name in form.fields else None, text)
    if not form.is_valid():
        return _render(request, customer, account, bank_form=form, status=422)
    messages.success(
        request,
        _("Your new bank details are saved. Mandate reference: %(reference)s.")
        % {"reference": change.mandate.reference},
    )
    return redirect(_profile_url(account))
