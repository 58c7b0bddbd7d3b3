"""The customer's payment plan pages: the builder with its live preview and
the rules' messages at their fields, the plan with what is paid and what is
next, the signature (typed name, ticked box, time and IP recorded), the
signed agreement, and the link an agent's proposal is mailed with. Another
customer's plan is 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import Account
from arrears.forms import AcceptForm, PlanForm
from arrears.models import PaymentPlan
from arrears.queries.arrears import arrears_for
from arrears.queries.overview import plans_with_instalments
from arrears.services.plans import (
    PlanLimits,
    PlanRefused,
    plan_accept,
    plan_limits,
    plan_preview,
    plan_progress,
    plan_propose,
)
from arrears.views.shared import instalment_rows, own_account, own_accounts, own_customer, ticket_url
from core import clock

PLAN_BADGES = {
    PaymentPlan.Status.PROPOSED: "text-bg-warning",
    PaymentPlan.Status.ACTIVE: "text-bg-primary",
    PaymentPlan.Status.PAID: "text-bg-success",
    PaymentPlan.Status.BROKEN: "text-bg-danger",
    PaymentPlan.Status.CANCELLED: "text-bg-secondary",
}
ENDED_TEXTS = {
    PaymentPlan.Status.BROKEN: gettext_lazy(
        "This plan has ended because instalments stayed unpaid; the open amount is due now."
    ),
    PaymentPlan.Status.CANCELLED: gettext_lazy("This proposal was withdrawn or replaced by a newer one."),
}
SIGNED_STATES = (PaymentPlan.Status.ACTIVE, PaymentPlan.Status.PAID, PaymentPlan.Status.BROKEN)


# --- Propose a plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    rows: list[tuple[int, dt.date, Decimal]]
    error: str

    @property
    def total(self) -> Decimal:
        return sum((amount for _number, _due, amount in self.rows), Decimal("0.00"))

    @property
    def count(self) -> int:
        return sum(1 for number, _due, _amount in self.rows if number > 0)

    @property
    def each(self) -> Decimal | None:
        amounts = [amount for number, _due, amount in self.rows if number > 0]
        return amounts[0] if amounts else None


def _preview(form: PlanForm, limits: PlanLimits, *, as_of: dt.date) -> Preview | None:
    """The schedule the form's values give, or the rule they break (put on its field)."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        rows = plan_preview(
            limits=limits,
            instalments=data["instalments"],
            down_payment=data["down_payment"],
            first_due=data["first_due"],
            as_of=as_of,
        )
    except PlanRefused as error:
        form.add_error(error.field if error.field in form.fields else None, str(error))
        return Preview(rows=[], error=str(error))
    return Preview(rows=rows, error="")


def _plan_account(accounts: list[Account], number: str | None, *, as_of: dt.date) -> Account:
    """The account named, else the only one, else the first with arrears."""
    if number or len(accounts) < 2:
        return own_account(accounts, number)
    arrears = arrears_for(account_ids=[account.pk for account in accounts], as_of=as_of)
    return next((account for account in accounts if arrears[account.pk].amount > 0), accounts[0])


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest) -> HttpResponse:
    """The plan builder: limits, a live preview of the schedule, and the proposal."""
    own_customer(request)
    today = clock.today()
    accounts = own_accounts(request)
    account = _plan_account(accounts, request.POST.get("account") or request.GET.get("account"), as_of=today)
    running = PaymentPlan.objects.filter(account=account, status=PaymentPlan.Status.ACTIVE).first()
    if running is not None:
        messages.info(request, _("A payment plan is already running on this account."))
        return redirect("arrears:plan", plan_id=running.pk)
    limits = plan_limits(account=account, as_of=today)
    data = request.POST if request.method == "POST" else None
    form = PlanForm(data, limits=limits, account_number=account.number)
    action = request.POST.get("action", "")
    if data is None:
        preview = _preview(PlanForm(form.initial, limits=limits, account_number=account.number), limits, as_of=today)
    elif action == "preview":
        preview = _preview(form, limits, as_of=today)
    else:
        preview = None
        if form.is_valid():
            values = form.cleaned_data
            try:
                plan = plan_propose(
                    account=account,
                    instalments=values["instalments"],
                    down_payment=values["down_payment"],
                    first_due=values["first_due"],
                    as_of=today,
                )
            except PlanRefused as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                messages.success(request, _("Your proposal is saved. Please check it and sign it below."))
                url = reverse("arrears:plan", args=[plan.pk])
                return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context: dict[str, Any] = {
        "account": account,
        "several_accounts": len(accounts) > 1,
        "accounts": accounts,
        "limits": limits,
        "form": form,
        "preview": preview,
        "ticket_url": ticket_url(),
    }
    if request.htmx and action == "preview":
        return render(request, "arrears/plan_new.html#preview", context)
    return render(request, "arrears/plan_new.html", context)


# --- The plan and its signature ------------------------------------------------------------


def _plan_page(request: HttpRequest, plan: PaymentPlan, *, channel: str, action_url: str) -> HttpResponse:
    form = AcceptForm(request.POST or None)
    today = clock.today()
    if request.method == "POST":
        if plan.status != PaymentPlan.Status.PROPOSED:
            messages.info(request, _("This plan is already signed or no longer open."))
            return redirect("arrears:plan", plan_id=plan.pk)
        form.is_valid()
        try:
            plan_accept(
                plan=plan,
                name=form.cleaned_data.get("name", ""),
                consent=bool(form.cleaned_data.get("consent")),
                channel=channel,
                ip=request.META.get("REMOTE_ADDR"),
                as_of=today,
            )
        except PlanRefused as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, _("Thank you. Your payment plan is agreed; we sent you the agreement by e-mail."))
            return redirect("arrears:plan", plan_id=plan.pk)
    progress = plan_progress(plan=plan, as_of=today, instalments=list(plan.instalments.all()))
    rows = instalment_rows(progress)
    running = plan.status in (PaymentPlan.Status.PROPOSED, PaymentPlan.Status.ACTIVE)
    return render(
        request,
        "arrears/plan.html",
        {
            "plan": plan,
            "account": plan.account,
            "progress": progress,
            "rows": rows,
            "next_row": next((row for row in rows if row.status != "paid"), None) if running else None,
            "ended_text": ENDED_TEXTS.get(PaymentPlan.Status(plan.status), ""),
            "shows_progress": plan.status in SIGNED_STATES,
            "overdue_rows": [row for row in rows if row.status == "overdue"],
            "badge": PLAN_BADGES.get(PaymentPlan.Status(plan.status), "text-bg-secondary"),
            "is_proposed": plan.status == PaymentPlan.Status.PROPOSED,
            "is_signed": plan.status in SIGNED_STATES and bool(plan.agreement),
            "form": form,
            "action_url": action_url,
            "ticket_url": ticket_url(),
        },
    )


def _own_plans(request: HttpRequest):
    return (
        PaymentPlan.objects.select_related("account__customer")
        .prefetch_related(plans_with_instalments())
        .filter(account__customer__user=request.user)
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The schedule with what is paid and what is next; a proposal is signed here."""
    plan = get_object_or_404(_own_plans(request), pk=plan_id)
    return _plan_page(
        request, plan, channel=PaymentPlan.Consent.PORTAL, action_url=reverse("arrears:plan", args=[plan.pk])
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_accept_link(request: HttpRequest, token: str) -> HttpResponse:
    """An agent's proposal, from the link in our e-mail: signed by the customer it is for."""
    plan = get_object_or_404(_own_plans(request).exclude(accept_token=""), accept_token=token)
    if plan.status != PaymentPlan.Status.PROPOSED:
        return redirect("arrears:plan", plan_id=plan.pk)
    return _plan_page(
        request,
        plan,
        channel=PaymentPlan.Consent.LINK,
        action_url=reverse("arrears:plan_accept_link", args=[token]),
    )


@login_required
def plan_pdf(request: HttpRequest, plan_id: int) -> FileResponse:
    """The signed agreement of a plan that was accepted."""
    plan = get_object_or_404(
        PaymentPlan.objects.select_related("account"),
        pk=plan_id,
        account__customer__user=request.user,
        status__in=SIGNED_STATES,
    )
    if not plan.agreement:
        raise Http404
    filename = _("payment-plan-%(account)s.pdf") % {"account": plan.account.number}
    return FileResponse(plan.agreement.open("rb"), content_type="application/pdf", filename=filename)
