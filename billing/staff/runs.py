"""Back-office: bill runs with their live progress, the held, failed and
skipped accounts of a run, and starting, stopping and resuming runs.

Pages poll their progress part with htmx every 2 s while a run is planning
or running; the answer 286 stops the polling once nothing changes any more.
Every page works without JavaScript (a link refreshes it)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from billing.forms.runs import BillRunStartForm
from billing.models import BillRunItem
from billing.queries.runs import RunProgress, run_items, run_progress, runs_any_active, runs_recent
from billing.services.invoicing import accounts_to_bill
from billing.services.runs import BillRunRefused, bill_run_resume, bill_run_start, bill_run_stop
from core import clock
from core.staff import staff_required

VIEW = "billing.view_billrun"
START = "billing.add_billrun"
CHANGE = "billing.change_billrun"
# htmx stops polling on this status.
STOP_POLLING = 286
ITEMS_PER_PAGE = 50
# The item lists staff drill into, by the slug in the URL.
ITEM_LISTS = {
    "held": BillRunItem.Status.HELD,
    "failed": BillRunItem.Status.FAILED,
    "skipped": BillRunItem.Status.SKIPPED,
    "billed": BillRunItem.Status.BILLED,
}


@staff_required(VIEW)
@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    """The latest runs; the table polls while one is planning or running."""
    context = _list_context()
    if request.htmx:
        response = render(request, "billing/runs/list.html#runs", context)
        if not context["active"]:
            response.status_code = STOP_POLLING
        return response
    form = BillRunStartForm(today=clock.today()) if request.user.has_perm(START) else None
    return render(request, "billing/runs/list.html", {**context, "form": form})


def _list_context() -> dict:
    runs = runs_recent()
    return {"runs": runs, "active": runs_any_active(runs)}


@staff_required(VIEW, START)
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    """First submit: what the run will do, to confirm. Second: start it."""
    form = BillRunStartForm(request.POST, today=clock.today())
    if not form.is_valid():
        return render(request, "billing/runs/list.html", {**_list_context(), "form": form}, status=400)
    as_of, dry_run = form.cleaned_data["as_of"], form.cleaned_data["dry_run"]
    if not form.cleaned_data["confirmed"]:
        confirm = BillRunStartForm(initial={**form.cleaned_data, "confirmed": True}, today=clock.today())
        return render(
            request,
            "billing/runs/confirm.html",
            {"form": confirm, "as_of": as_of, "dry_run": dry_run, "candidates": len(accounts_to_bill(as_of=as_of))},
        )
    try:
        run = bill_run_start(as_of=as_of, dry_run=dry_run, user=request.user)
    except BillRunRefused as refusal:
        form.add_error(None, str(refusal))
        return render(request, "billing/runs/list.html", {**_list_context(), "form": form}, status=409)
    messages.success(
        request,
        ngettext(
            "Bill run %(run)s for %(date)s started with %(count)d account.",
            "Bill run %(run)s for %(date)s started with %(count)d accounts.",
            run.total,
        )
        % {"run": run.pk, "date": formats.date_format(as_of, "SHORT_DATE_FORMAT"), "count": run.total},
    )
    return redirect("bill_runs:run", run_id=run.pk)


def _progress_or_404(run_id: int) -> RunProgress:
    progress = run_progress(run_id=run_id)
    if progress is None:
        raise Http404(_("There is no such bill run."))
    return progress


@staff_required(VIEW)
@require_GET
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    """One run: progress and counts (polled while active), stop and resume."""
    progress = _progress_or_404(run_id)
    if request.htmx:
        response = render(request, "billing/runs/detail.html#progress", {"progress": progress})
        if not progress.is_active:
            response.status_code = STOP_POLLING
        return response
    return render(request, "billing/runs/detail.html", {"progress": progress})


@staff_required(VIEW)
@require_GET
def run_item_list(request: HttpRequest, run_id: int, kind: str) -> HttpResponse:
    """The accounts of a run in one state (held, failed, …), page by page."""
    if kind not in ITEM_LISTS:
        raise Http404(_("There is no such list."))
    progress = _progress_or_404(run_id)
    status = ITEM_LISTS[kind]
    page = Paginator(run_items(run=progress.run, status=status), ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "billing/runs/items.html",
        {"progress": progress, "kind": kind, "title": BillRunItem.Status(status).label, "page": page},
    )


@staff_required(VIEW, CHANGE)
@require_POST
def run_stop(request: HttpRequest, run_id: int) -> HttpResponse:
    progress = _progress_or_404(run_id)
    try:
        bill_run_stop(run_id=progress.run.pk)
    except BillRunRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("The run stops once the accounts being billed right now are done."))
    return redirect("bill_runs:run", run_id=run_id)


@staff_required(VIEW, CHANGE)
@require_POST
def run_resume(request: HttpRequest, run_id: int) -> HttpResponse:
    progress = _progress_or_404(run_id)
    try:
        bill_run_resume(run_id=progress.run.pk)
    except BillRunRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("The run goes on with the accounts not billed yet."))
    return redirect("bill_runs:run", run_id=run_id)
