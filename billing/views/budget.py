"""The monthly instalment (budget billing): the customer's page under
/bills/instalment/ (amount, allowed range, next instalments, own amount) and
the agents' change from the customer page."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Account, Customer
from accounts.queries import accounts_for_user
from billing.services.budget import AMOUNT_LIMIT, BudgetChangeRefused, budget_amount_change, instalment_plans
from core import clock

STAFF_PERMISSION = "accounts.change_billingpreferences"
RESET = "reset"


class InstalmentForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Monthly instalment (EUR)"),
        min_value=Decimal(0),
        max_value=AMOUNT_LIMIT - 1,
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "1", "inputmode": "numeric"}),
    )


def form_prefix(account: Account) -> str:
    return f"a{account.pk}"


def _page(request: HttpRequest, *, accounts: list[Account], bound: dict[int, InstalmentForm] | None = None):
    bound = bound or {}
    plans = instalment_plans(accounts=accounts, as_of=clock.today())
    panels = [
        (
            plan,
            bound.get(plan.account.pk)
            or InstalmentForm(prefix=form_prefix(plan.account), initial={"amount": plan.amount}),
        )
        for plan in plans
    ]
    status = 400 if bound else 200
    return render(request, "billing/budget/instalment.html", {"panels": panels}, status=status)


@login_required
@require_GET
def instalment(request: HttpRequest) -> HttpResponse:
    if not Customer.objects.filter(user=request.user).exists():
        return redirect("onboarding")
    return _page(request, accounts=list(accounts_for_user(request.user).order_by("number")))


@login_required
@require_POST
def instalment_change(request: HttpRequest, account_id: int) -> HttpResponse:
    """The customer's own amount (within the limits), or back to the computed one."""
    account = get_object_or_404(accounts_for_user(request.user), pk=account_id)
    if request.POST.get("action") == RESET:
        try:
            budget_amount_change(account=account, amount=None, by_staff=False, as_of=clock.today())
        except BudgetChangeRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Your monthly instalment is computed by us again."))
        return redirect("instalment:page")
    form = InstalmentForm(request.POST, prefix=form_prefix(account))
    if form.is_valid():
        try:
            budget_amount_change(
                account=account, amount=form.cleaned_data["amount"], by_staff=False, as_of=clock.today()
            )
        except BudgetChangeRefused as refusal:
            form.add_error("amount", str(refusal))
        else:
            messages.success(request, _("Your monthly instalment is saved."))
            return redirect("instalment:page")
    accounts = list(accounts_for_user(request.user).order_by("number"))
    return _page(request, accounts=accounts, bound={account.pk: form})


def _staff_refusal(request: HttpRequest, account: Account, error: object) -> None:
    messages.error(
        request, _("Instalment of account %(number)s: %(error)s") % {"number": account.number, "error": error}
    )


@require_POST
def staff_instalment_change(request: HttpRequest, account_id: int) -> HttpResponse:
    """An agent sets any amount of 0 or more, or back to the computed one, from the customer page."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not (request.user.is_staff and request.user.has_perm(STAFF_PERMISSION)):
        raise PermissionDenied
    account = get_object_or_404(Account, pk=account_id)
    back = reverse("staff:customer", kwargs={"customer_id": account.customer_id}) + f"#instalment-{account.pk}"
    amount = None
    if request.POST.get("action") != RESET:
        form = InstalmentForm(request.POST, prefix=form_prefix(account))
        if not form.is_valid():
            for error in form.errors["amount"]:
                _staff_refusal(request, account, error)
            return redirect(back)
        amount = form.cleaned_data["amount"]
    try:
        budget_amount_change(account=account, amount=amount, by_staff=True, as_of=clock.today())
    except BudgetChangeRefused as refusal:
        _staff_refusal(request, account, refusal)
    else:
        messages.success(
            request, _("The monthly instalment of account %(number)s is saved.") % {"number": account.number}
        )
    return redirect(back)
