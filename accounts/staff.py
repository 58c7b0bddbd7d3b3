"""Back-office pages for customer changes: an agent edits a caller's details,
e-mail and bank account (recording who asked and how), records authorised
representatives, and a second person approves or rejects waiting name and
account holder changes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.changes import (
    ChangeRefused,
    FourEyesRefused,
    Requested,
    bank_account_change,
    customer_change,
    email_change_request,
    pending_change_decide,
    representative_add,
    representative_end,
)
from accounts.forms import (
    BankChangeForm,
    DecisionForm,
    EmailChangeForm,
    ProfileForm,
    RepresentativeForm,
    StaffRequestForm,
)
from accounts.models import Account, Customer, PendingChange, Representative, Requester
from accounts.queries import pending_changes_waiting
from core.staff import staff_required

EDIT = "accounts.change_customer"
REPRESENTATIVES = "accounts.add_representative"
APPROVE = "accounts.approve_pendingchange"


def customer_url(customer_id: int) -> str:
    return reverse("staff:customer", kwargs={"customer_id": customer_id})


def _account(request: HttpRequest, customer: Customer) -> Account:
    accounts = customer.accounts.order_by("id")
    number = request.GET.get("account") or request.POST.get("account")
    return get_object_or_404(accounts, number=number) if number else get_object_or_404(accounts[:1])


def _requested(request: HttpRequest, form: StaffRequestForm) -> Requested:
    data = form.cleaned_data
    return Requested(
        by=request.user,
        requested_by=data["requested_by"] if data["requested_by"] == Requester.REPRESENTATIVE else Requester.CUSTOMER,
        channel=data["channel"],
        representative=data["representative"],
    )


def _initial(customer: Customer, account: Account) -> dict[str, Any]:
    initial = {name: getattr(customer, name) for name in ("first_name", "last_name", "company_name", "language")}
    initial["phone"] = customer.phone.as_national if customer.phone else ""
    for name in ("street", "house_number", "address_extra", "postcode", "city", "country"):
        initial[name] = getattr(account, name)
    return initial


@staff_required("accounts.view_customer", EDIT)
def customer_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Details, e-mail and bank account of a customer, changed for a caller."""
    customer = get_object_or_404(Customer, pk=customer_id)
    account = _account(request, customer)
    section = request.POST.get("section", "")
    post = request.POST if request.method == "POST" else None
    who = StaffRequestForm(post, account=account, prefix="who")
    form = ProfileForm(post if section == "details" else None, initial=_initial(customer, account), customer=customer)
    email_form = EmailChangeForm(post if section == "email" else None)
    bank_form = BankChangeForm(
        post if section == "bank" else None,
        initial={"account_holder": customer.display_name},
    )
    target = {"details": form, "email": email_form, "bank": bank_form}.get(section)
    if post is not None and target is not None and who.is_valid() and target.is_valid():
        requested = _requested(request, who)
        try:
            notice = _apply(section, customer, account, target, requested, request)
        except ChangeRefused as error:
            for name, texts in error.messages.items():
                for text in texts:
                    target.add_error(name if name in target.fields else None, text)
        except ValidationError as error:
            target.add_error("email", error)
        else:
            messages.success(request, notice)
            return redirect(customer_url(customer.pk) + "?tab=history")
    status = 422 if post is not None else 200
    if post is not None:
        messages.error(request, _("Some details need your attention. Nothing was saved."))
    context = {
        "customer": customer,
        "account": account,
        "accounts": list(customer.accounts.order_by("id")),
        "who": who,
        "form": form,
        "email_form": email_form,
        "bank_form": bank_form,
    }
    return render(request, "accounts/staff/customer_edit.html", context, status=status)


def _apply(section, customer, account, form, requested, request) -> str:
    if section == "details":
        result = customer_change(customer=customer, account=account, changes=form.changes(), requested=requested)
        if result.pending:
            return _("The name change waits for a second person's approval.")
        return _("The details are saved.") if result.entries else _("Nothing was changed.")
    if section == "email":
        email_change_request(customer=customer, email=form.cleaned_data["email"], requested=requested, request=request)
        if customer.user_id is None:
            return _("The e-mail address is changed; the old address was told.")
        return _("A confirmation link was sent to the new address; the change takes effect when it is opened.")
    change = bank_account_change(
        account=account,
        iban=form.cleaned_data["iban"],
        account_holder=form.cleaned_data["account_holder"],
        consent=form.cleaned_data["consent"],
        requested=requested,
    )
    return _("The new mandate %(reference)s is saved.") % {"reference": change.mandate.reference}


@staff_required("accounts.view_customer", REPRESENTATIVES)
def representative_new(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_object_or_404(Account.objects.select_related("customer"), pk=account_id)
    form = RepresentativeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            representative_add(
                account=account,
                name=data["name"],
                kind=data["kind"],
                scopes=data["scopes"],
                valid_until=data["valid_until"],
                user=request.user,
            )
        except (ChangeRefused, ValidationError) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The representative is recorded."))
            return redirect(customer_url(account.customer_id))
    status = 422 if request.method == "POST" else 200
    return render(request, "accounts/staff/representative_new.html", {"account": account, "form": form}, status=status)


@staff_required("accounts.view_customer", REPRESENTATIVES)
@require_http_methods(["GET", "POST"])
def representative_stop(request: HttpRequest, representative_id: int) -> HttpResponse:
    """GET asks to confirm; POST ends the representative's authority."""
    representative = get_object_or_404(Representative.objects.select_related("account__customer"), pk=representative_id)
    if request.method == "GET":
        return render(request, "accounts/staff/representative_end.html", {"representative": representative})
    representative_end(representative=representative, user=request.user)
    messages.success(request, _("%(name)s may no longer act for this account.") % {"name": representative.name})
    return redirect(customer_url(representative.account.customer_id))


@staff_required("accounts.view_customer", APPROVE)
def pending_list(request: HttpRequest) -> HttpResponse:
    """Name and account holder changes waiting for a second person."""
    waiting = list(pending_changes_waiting()[:200])
    for pending in waiting:
        pending.own = pending.requested_by_user_id == request.user.pk
        pending.rows = [
            {"field": name, "old": pending.old.get(name, ""), "new": value} for name, value in pending.new.items()
        ]
    return render(request, "accounts/staff/pending_changes.html", {"waiting": waiting, "form": DecisionForm()})


@staff_required("accounts.view_customer", APPROVE)
@require_POST
def pending_decide(request: HttpRequest, pending_id: int) -> HttpResponse:
    pending = get_object_or_404(PendingChange, pk=pending_id)
    form = DecisionForm(request.POST)
    form.is_valid()
    approve = request.POST.get("decision") == "approve"
    try:
        pending_change_decide(
            pending=pending, user=request.user, approve=approve, note=form.cleaned_data.get("note", "")
        )
    except (FourEyesRefused, ChangeRefused) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The change is approved.") if approve else _("The change is rejected."))
    return redirect("staff:pending_changes")
