"""What an agent does in arrears for one account: holds (the list of active
ones, putting an account hold, releasing one after a confirmation), a
payment plan set up with a caller (the proposal, then the acceptance link by
e-mail or the customer's verbal consent), and the letters of notices and
plans."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Account
from arrears.models import DunningHold, DunningNotice, PaymentPlan
from arrears.queries.staff import hold_releasable, holds_active
from arrears.services.holds import hold_put, hold_release_one
from arrears.services.plans import (
    PlanRefused,
    plan_accept,
    plan_acceptance_request,
    plan_limits,
    plan_preview,
    plan_progress,
    plan_propose,
)
from arrears.staff import ADD_HOLD, ADD_PLAN, RELEASE_HOLD, VIEW_HOLDS, VIEW_NOTICES, VIEW_PLANS
from arrears.staff.forms import HoldForm, PlanForm, VerbalConsentForm
from core import clock
from core.staff import staff_required

HOLDS_PER_PAGE = 100
FIRST_DUE_DAYS = 14


def customer_arrears_url(account: Account) -> str:
    return reverse("staff:customer", kwargs={"customer_id": account.customer_id}) + "?tab=arrears"


def _next_url(request: HttpRequest, default: str) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return next_url
    return default


@staff_required(VIEW_HOLDS)
def holds(request: HttpRequest) -> HttpResponse:
    """Every active hold, those ending soonest first; filter by reason."""
    reason = request.GET.get("reason", "")
    if reason not in DunningHold.Reason.values:
        reason = ""
    page = Paginator(holds_active(as_of=clock.today(), reason=reason), HOLDS_PER_PAGE).get_page(request.GET.get("page"))
    for hold in page.object_list:
        hold.releasable = hold_releasable(hold)
    return render(
        request,
        "arrears/staff/holds.html",
        {"page": page, "reason": reason, "reasons": DunningHold.Reason.choices, "active": "holds"},
    )


@staff_required(VIEW_HOLDS, ADD_HOLD)
def hold_new(request: HttpRequest, account_id: int) -> HttpResponse:
    """An agent stops dunning of the whole account: agreed until a date, or for a vulnerable customer."""
    account = get_object_or_404(Account.objects.select_related("customer"), pk=account_id)
    form = HoldForm(request.POST or None, today=clock.today())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        hold, created = hold_put(
            account=account,
            reason=data["reason"],
            source=f"agent:{request.user.pk}:{data['token']}",
            note=data["note"],
            until=data["until"] if data["reason"] == DunningHold.Reason.AGENT else None,
            created_by=request.user,
        )
        if created:
            messages.success(
                request,
                _("Dunning of account %(number)s is on hold: %(reason)s.")
                % {"number": account.number, "reason": hold.get_reason_display()},
            )
        else:
            messages.info(request, _("This hold was saved before."))
        return redirect(customer_arrears_url(account))
    return render(request, "arrears/staff/hold_new.html", {"account": account, "form": form, "active": "holds"})


@staff_required(VIEW_HOLDS, RELEASE_HOLD)
def hold_release(request: HttpRequest, hold_id: int) -> HttpResponse:
    """Ask first, then end the hold: dunning resumes with the next run."""
    hold = get_object_or_404(
        DunningHold.objects.select_related("account__customer", "invoice", "entry", "created_by"), pk=hold_id
    )
    back = _next_url(request, reverse("staff_arrears:holds"))
    if not hold_releasable(hold):
        messages.error(request, _("This hold cannot be released here; it ends with what set it."))
        return redirect(back)
    if request.method == "POST":
        if hold_release_one(hold=hold, as_of=clock.now()):
            messages.success(
                request,
                _("The hold on account %(number)s was released; dunning resumes with the next run.")
                % {"number": hold.account.number},
            )
        else:
            messages.info(request, _("This hold was released before."))
        return redirect(back)
    return render(request, "arrears/staff/hold_release.html", {"hold": hold, "next": back, "active": "holds"})


@staff_required(VIEW_PLANS, ADD_PLAN)
def plan_new(request: HttpRequest, account_id: int) -> HttpResponse:
    """An agent sets up a plan with a caller: what is owed, the rules, a preview, then the proposal."""
    account = get_object_or_404(Account.objects.select_related("customer"), pk=account_id)
    today = clock.today()
    limits = plan_limits(account=account, as_of=today)
    running = PaymentPlan.objects.filter(account=account, status=PaymentPlan.Status.ACTIVE).first()
    proposal = PaymentPlan.objects.filter(account=account, status=PaymentPlan.Status.PROPOSED).order_by("-id").first()
    initial = {
        "instalments": limits.months_min,
        "down_payment": "0.00",
        "first_due": min(limits.first_due_latest, today + dt.timedelta(days=FIRST_DUE_DAYS)),
    }
    form = PlanForm(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("action") == "preview":
            try:
                preview = plan_preview(
                    limits=limits,
                    instalments=data["instalments"],
                    down_payment=data["down_payment"],
                    first_due=data["first_due"],
                    as_of=today,
                )
            except PlanRefused as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            try:
                plan = plan_propose(
                    account=account,
                    instalments=data["instalments"],
                    down_payment=data["down_payment"],
                    first_due=data["first_due"],
                    as_of=today,
                    proposed_by=request.user,
                )
            except PlanRefused as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                messages.success(
                    request,
                    _("The plan is proposed. Now send the customer the link, or record their consent."),
                )
                return redirect("staff_arrears:plan", plan_id=plan.pk)
    return render(
        request,
        "arrears/staff/plan_new.html",
        {
            "account": account,
            "limits": limits,
            "form": form,
            "preview": preview,
            "running": running,
            "proposal": proposal,
            "active": "worklist",
        },
    )


def _plan(plan_id: int) -> PaymentPlan:
    return get_object_or_404(
        PaymentPlan.objects.select_related("account__customer", "proposed_by", "consent_recorded_by"), pk=plan_id
    )


def _plan_page(request: HttpRequest, plan: PaymentPlan, consent_form: VerbalConsentForm | None = None) -> HttpResponse:
    may_act = plan.status == PaymentPlan.Status.PROPOSED and request.user.has_perm(ADD_PLAN)
    return render(
        request,
        "arrears/staff/plan.html",
        {
            "plan": plan,
            "progress": plan_progress(plan=plan, as_of=clock.today()),
            "may_act": may_act,
            "consent_form": consent_form or (VerbalConsentForm() if may_act else None),
            "active": "worklist",
        },
    )


@staff_required(VIEW_PLANS)
def plan_page(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The plan's terms, schedule and progress; for a proposal, the two ways to the customer's consent."""
    return _plan_page(request, _plan(plan_id))


@staff_required(VIEW_PLANS, ADD_PLAN)
@require_POST
def plan_send_link(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The proposal goes to the customer by e-mail with the link to accept it."""
    plan = _plan(plan_id)
    if plan.status != PaymentPlan.Status.PROPOSED or not plan.accept_token:
        messages.error(request, _("Only a proposal made by an agent can be sent for acceptance."))
    else:
        plan_acceptance_request(plan=plan)
        messages.success(
            request,
            _("The proposal was sent to %(email)s; the plan starts when the customer accepts it.")
            % {"email": plan.account.customer.email},
        )
    return redirect("staff_arrears:plan", plan_id=plan.pk)


@staff_required(VIEW_PLANS, ADD_PLAN)
@require_POST
def plan_consent(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The customer agreed on the phone: the plan starts, recorded as verbal consent by this agent."""
    plan = _plan(plan_id)
    form = VerbalConsentForm(request.POST)
    if form.is_valid():
        try:
            plan = plan_accept(
                plan=plan,
                name=form.cleaned_data["name"],
                consent=form.cleaned_data["consent"],
                channel=PaymentPlan.Consent.VERBAL,
                recorded_by=request.user,
                as_of=clock.today(),
            )
        except PlanRefused as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(
                request,
                _("The plan is running; the customer gets the agreement by e-mail."),
            )
            return redirect("staff_arrears:plan", plan_id=plan.pk)
    return _plan_page(request, plan, consent_form=form)


def _pdf(file, filename: str) -> FileResponse:
    if not file:
        raise Http404
    return FileResponse(file.open("rb"), content_type="application/pdf", filename=filename)


@staff_required(VIEW_NOTICES)
def notice_letter(request: HttpRequest, notice_id: int) -> FileResponse:
    notice = get_object_or_404(DunningNotice.objects.select_related("case__account"), pk=notice_id)
    return _pdf(notice.letter, f"reminder-{notice.case.account.number}-{notice.level}.pdf")


@staff_required(VIEW_PLANS)
def plan_agreement(request: HttpRequest, plan_id: int) -> FileResponse:
    plan = get_object_or_404(PaymentPlan.objects.select_related("account"), pk=plan_id)
    return _pdf(plan.agreement, f"payment-plan-{plan.account.number}-{plan.pk}.pdf")
