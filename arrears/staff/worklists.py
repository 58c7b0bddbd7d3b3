"""The arrears work lists: current cases by level, aging, disconnections
for a supervisor to approve or stop, and hand-overs to the collection agency
(approve or reject, the CSV export, recall)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from arrears.models import AgencyReferral, DisconnectionOrder, DunningNotice
from arrears.queries.arrears import account_arrears, aging, arrears_for
from arrears.queries.staff import worklist_cases, worklist_levels, worklist_rows, worklist_tabs
from arrears.services.worklists import (
    DecisionRefused,
    agency_export,
    disconnection_carried_out,
    disconnection_decide,
    reconnection_record,
    referral_decide,
    referral_recall,
)
from arrears.staff import (
    DECIDE_DISCONNECTIONS,
    DECIDE_REFERRALS,
    VIEW_CASES,
    VIEW_DISCONNECTIONS,
    VIEW_REFERRALS,
)
from arrears.staff.forms import DecisionForm, FieldReportForm, RecallForm
from core import clock
from core.staff import staff_required

PER_PAGE = 50
DECIDED_SHOWN = 50


@staff_required(VIEW_CASES)
def worklist(request: HttpRequest) -> HttpResponse:
    """Current cases on one tab (a level, plan, agency, skipped), oldest first, with their arrears now."""
    levels = worklist_levels()
    tabs = worklist_tabs(levels=levels)
    keys = [tab.key for tab in tabs]
    tab = request.GET.get("tab") or "1"
    if tab not in keys:
        tab = keys[0]
    page = Paginator(worklist_cases(tab=tab, levels=levels), PER_PAGE).get_page(request.GET.get("page"))
    rows = worklist_rows(cases=list(page.object_list), as_of=clock.today())
    return render(
        request,
        "arrears/staff/worklist.html",
        {"tabs": tabs, "tab": tab, "page": page, "rows": rows, "active": "worklist"},
    )


@staff_required(VIEW_CASES)
def aging_report(request: HttpRequest) -> HttpResponse:
    """Overdue items not under a hold by days past due, as a chart and a table."""
    today = clock.today()
    buckets = aging(as_of=today)
    return render(
        request,
        "arrears/staff/aging.html",
        {
            "buckets": buckets,
            "total_count": sum(bucket.count for bucket in buckets),
            "total_amount": sum((bucket.amount for bucket in buckets), start=Decimal("0.00")),
            "as_of": today,
            "active": "aging",
        },
    )


@staff_required(VIEW_DISCONNECTIONS)
def disconnections(request: HttpRequest) -> HttpResponse:
    """Orders waiting for a supervisor (earliest date first), and the decided ones below."""
    waiting = list(
        DisconnectionOrder.objects.filter(status=DisconnectionOrder.Status.PROPOSED)
        .select_related("account__customer", "threat")
        .order_by("earliest_on", "id")
    )
    arrears = arrears_for(account_ids=[order.account_id for order in waiting], as_of=clock.today())
    for order in waiting:
        order.arrears_now = arrears[order.account_id].amount
    decided = (
        DisconnectionOrder.objects.exclude(status=DisconnectionOrder.Status.PROPOSED)
        .select_related("account__customer", "decided_by")
        .order_by("-decided_at", "-id")[:DECIDED_SHOWN]
    )
    return render(
        request,
        "arrears/staff/disconnections.html",
        {
            "waiting": waiting,
            "decided": decided,
            "may_decide": request.user.has_perm(DECIDE_DISCONNECTIONS),
            "active": "disconnections",
        },
    )


def _decided_text(order: DisconnectionOrder) -> str:
    values = {"number": order.account.number}
    if order.status == DisconnectionOrder.Status.APPROVED:
        values["date"] = formats.date_format(order.planned_on, "SHORT_DATE_FORMAT")
        return _("The disconnection of account %(number)s was approved for %(date)s; the customer is told.") % values
    return _("The disconnection of account %(number)s was stopped.") % values


def _reported_text(order: DisconnectionOrder) -> str:
    values = {"number": order.account.number}
    if order.status == DisconnectionOrder.Status.DISCONNECTED:
        values["date"] = formats.date_format(order.disconnected_on, "SHORT_DATE_FORMAT")
        return _("Account %(number)s: the disconnection on %(date)s is recorded.") % values
    values["date"] = formats.date_format(order.reconnected_on, "SHORT_DATE_FORMAT")
    values["invoice"] = order.reconnection_order.invoice.number if order.reconnection_order.invoice else ""
    return (
        _("Account %(number)s: the reconnection on %(date)s is recorded; the fee is invoiced (%(invoice)s).") % values
    )


@staff_required(VIEW_DISCONNECTIONS, DECIDE_DISCONNECTIONS)
def disconnection(request: HttpRequest, order_id: int) -> HttpResponse:
    """One order with what is owed and the notices: approve (the announcement goes out) or stop with a reason."""
    order = get_object_or_404(
        DisconnectionOrder.objects.select_related("account__customer", "threat", "case__procedure", "decided_by"),
        pk=order_id,
    )
    today = clock.today()
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and order.status == DisconnectionOrder.Status.PROPOSED and form.is_valid():
        action = request.POST.get("action")
        if action not in ("approve", "stop"):
            form.add_error(None, _("Choose approve or stop."))
        else:
            try:
                order = disconnection_decide(
                    order=order,
                    user=request.user,
                    approve=action == "approve",
                    note=form.cleaned_data["note"],
                    as_of=today,
                )
            except DecisionRefused as error:
                form.add_error("note" if action == "stop" else None, str(error))
            else:
                messages.success(request, _decided_text(order))
                return redirect("staff_arrears:disconnections")
    report = FieldReportForm(request.POST if request.method == "POST" and "on" in request.POST else None)
    field_report = order.status in (DisconnectionOrder.Status.APPROVED, DisconnectionOrder.Status.DISCONNECTED)
    if request.method == "POST" and field_report and report.is_valid():
        record = (
            disconnection_carried_out if order.status == DisconnectionOrder.Status.APPROVED else reconnection_record
        )
        try:
            order = record(order=order, user=request.user, on=report.cleaned_data["on"], as_of=today)
        except DecisionRefused as error:
            report.add_error("on", str(error))
        else:
            messages.success(request, _reported_text(order))
            return redirect("staff_arrears:disconnection", order_id=order.pk)
    notices = DunningNotice.objects.filter(case_id=order.case_id).order_by("-sent_on", "-level", "-id")
    return render(
        request,
        "arrears/staff/disconnection.html",
        {
            "order": order,
            "form": form,
            "report": report,
            "arrears": account_arrears(account=order.account, as_of=today),
            "notices": notices,
            "procedure": order.case.procedure,
            "active": "disconnections",
        },
    )


@staff_required(VIEW_REFERRALS)
def agency(request: HttpRequest) -> HttpResponse:
    """Hand-overs to the collection agency: waiting for a supervisor, approved
    (waiting for the export), with the agency, and the ended ones."""
    referrals = list(
        AgencyReferral.objects.select_related("case__account__customer", "decided_by").order_by("-created_at", "-id")
    )
    status = AgencyReferral.Status
    current = [r for r in referrals if r.status in (status.PROPOSED, status.APPROVED, status.EXPORTED)]
    arrears = arrears_for(account_ids=sorted({r.case.account_id for r in current}), as_of=clock.today())
    for referral in current:
        referral.arrears_now = arrears[referral.case.account_id].overdue_total
    return render(
        request,
        "arrears/staff/agency.html",
        {
            "proposed": [r for r in current if r.status == status.PROPOSED],
            "approved": [r for r in current if r.status == status.APPROVED],
            "exported": [r for r in current if r.status == status.EXPORTED],
            "ended": [r for r in referrals if r.status in (status.RECALLED, status.REJECTED)][:DECIDED_SHOWN],
            "may_decide": request.user.has_perm(DECIDE_REFERRALS),
            "active": "agency",
        },
    )


@staff_required(VIEW_REFERRALS, DECIDE_REFERRALS)
@require_POST
def referral_decision(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Approve a hand-over (the case goes to the agency with the next export) or reject it with a reason."""
    referral = get_object_or_404(AgencyReferral.objects.select_related("case__account"), pk=referral_id)
    form = DecisionForm(request.POST)
    action = request.POST.get("action")
    note = form.cleaned_data["note"] if form.is_valid() else ""
    number = referral.case.account.number
    if form.errors:
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
    elif action not in ("approve", "reject"):
        messages.error(request, _("Choose approve or reject."))
    elif action == "reject" and not note.strip():
        messages.error(request, _("Say why account %(number)s is not handed over.") % {"number": number})
    else:
        try:
            referral_decide(referral=referral, user=request.user, approve=action == "approve", note=note)
        except DecisionRefused as error:
            messages.error(request, str(error))
        else:
            text = (
                _("Account %(number)s goes to the collection agency with the next export.")
                if action == "approve"
                else _("Account %(number)s is not handed over; dunning goes on in house.")
            )
            messages.success(request, text % {"number": number})
    return redirect("staff_arrears:agency")


@staff_required(VIEW_REFERRALS, DECIDE_REFERRALS)
@require_POST
def agency_download(request: HttpRequest) -> HttpResponse:
    """The approved hand-overs as the agency's CSV; they are marked as with the agency."""
    today = clock.today()
    content, _count = agency_export(as_of=today)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="collection-cases-{today:%Y-%m-%d}.csv"'
    return response


@staff_required(VIEW_REFERRALS, DECIDE_REFERRALS)
@require_POST
def referral_recall_view(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Take a case back from the agency, with the reason: dunning goes on in house."""
    referral = get_object_or_404(AgencyReferral.objects.select_related("case__account"), pk=referral_id)
    form = RecallForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("staff_arrears:agency")
    try:
        referral_recall(referral=referral, user=request.user, note=form.cleaned_data["note"])
    except DecisionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Account %(number)s was recalled from the agency.") % {"number": referral.case.account.number}
        )
    return redirect("staff_arrears:agency")
