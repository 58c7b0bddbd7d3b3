"""The back-office interruption pages (included under /staff/outages/): the
list (current, planned, restored and waiting to be closed, closed), logging
one, its detail with the timeline (add an update, set the actual end, close:
the fees and credits booked are shown), the customers affected, the notices
sent and the tickets linked; and the reliability figures per utility and
year with a chart against earlier years, the interruptions behind them and
a CSV export.

Permissions: seeing interruptions and the figures outages.view_interruption;
logging one outages.add_interruption; updating and closing
outages.change_interruption."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import clock
from core.csvfiles import csv_text
from core.staff import staff_required
from meters.models import Utility
from outages.forms import InterruptionLogForm, InterruptionUpdateForm, ReliabilityForm
from outages.models import Interruption
from outages.pages import (
    INTERRUPTIONS_CSV_COLUMNS,
    RELIABILITY_CSV_COLUMNS,
    STAFF_TABS,
    interruption_page,
    interruptions_csv_rows,
    reliability_csv_rows,
    reliability_years,
    staff_list,
    staff_tab_counts,
    status_badge,
)
from outages.services import UNSET, InterruptionRefused, interruption_close, interruption_log, interruption_update

VIEW = "outages.view_interruption"
ADD = "outages.add_interruption"
CHANGE = "outages.change_interruption"
PER_PAGE = 50


@staff_required(VIEW)
@require_GET
def interruption_list(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    tab = request.GET.get("tab") or "current"
    if tab not in STAFF_TABS:
        tab = "current"
    counts = staff_tab_counts(now=now)
    page = Paginator(staff_list(tab=tab, now=now), PER_PAGE).get_page(request.GET.get("page"))
    for interruption in page.object_list:
        interruption.badge = status_badge(interruption.status)
    tabs = [{"key": key, "label": label, "count": counts[key]} for key, label in STAFF_TABS.items()]
    return render(
        request,
        "outages/staff/list.html",
        {"tabs": tabs, "tab": tab, "page": page, "active": "list"},
    )


@staff_required(VIEW, ADD)
@require_http_methods(["GET", "POST"])
def interruption_new(request: HttpRequest) -> HttpResponse:
    form = InterruptionLogForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            interruption, _created = interruption_log(
                utility=data["utility"],
                planned=data["planned"],
                cause=data["cause"],
                postcodes=data["postcodes"],
                supply_points=data["supply_points"],
                started_at=data["started_at"],
                expected_end_at=data["expected_end_at"],
                description=data["description"],
                source=Interruption.Source.AGENT,
                by=request.user,
                now=clock.now(),
            )
        except InterruptionRefused as error:
            _refusal_show(form, error)
        else:
            messages.success(
                request,
                _("The interruption is logged; %(count)s customers are affected.")
                % {"count": interruption.customers_affected},
            )
            return redirect("staff_outages:interruption", interruption_id=interruption.pk)
    return render(
        request,
        "outages/staff/new.html",
        {"form": form, "active": "new"},
        status=400 if form.is_bound and form.errors else 200,
    )


def _refusal_show(form, error: InterruptionRefused) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error))


def _detail(
    request: HttpRequest, interruption_id: int, *, form: InterruptionUpdateForm | None = None, status: int = 200
) -> HttpResponse:
    page = interruption_page(interruption_id=interruption_id)
    if page is None:
        raise Http404
    interruption = page.interruption
    return render(
        request,
        "outages/staff/interruption.html",
        {
            "page": page,
            "interruption": interruption,
            "badge": status_badge(interruption.status),
            "form": form or InterruptionUpdateForm(),
            "may_change": request.user.has_perm(CHANGE),
            "closable": interruption.status == Interruption.Status.RESTORED,
            "active": "list",
        },
        status=status,
    )


@staff_required(VIEW)
@require_GET
def interruption_detail(request: HttpRequest, interruption_id: int) -> HttpResponse:
    return _detail(request, interruption_id)


@staff_required(VIEW, CHANGE)
@require_POST
def interruption_update_view(request: HttpRequest, interruption_id: int) -> HttpResponse:
    """A timeline entry: a status, a note, a new expected end, or the actual end (supply restored)."""
    interruption = Interruption.objects.filter(pk=interruption_id).first()
    if interruption is None:
        raise Http404
    form = InterruptionUpdateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            interruption_update(
                interruption=interruption,
                status=data["status"] or None,
                note=data["note"],
                expected_end_at=data["expected_end_at"] or UNSET,
                ended_at=data["ended_at"] or UNSET,
                by=request.user,
                now=clock.now(),
            )
        except InterruptionRefused as error:
            _refusal_show(form, error)
        else:
            messages.success(request, _("The update is recorded; the customers affected are told where due."))
            return redirect("staff_outages:interruption", interruption_id=interruption_id)
    return _detail(request, interruption_id, form=form, status=400)


@staff_required(VIEW, CHANGE)
@require_POST
def interruption_close_view(request: HttpRequest, interruption_id: int) -> HttpResponse:
    """Book the fees and compensation of a restored interruption (closing again books only the difference)."""
    interruption = Interruption.objects.filter(pk=interruption_id).first()
    if interruption is None:
        raise Http404
    try:
        result = interruption_close(interruption=interruption, by=request.user, as_of=clock.today())
    except InterruptionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The interruption is closed: %(count)s bookings (fees %(fees)s EUR, credits %(credits)s EUR).")
            % {"count": len(result.charges), "fees": result.fees, "credits": result.credits},
        )
    return redirect("staff_outages:interruption", interruption_id=interruption_id)


def _reliability_choice(request: HttpRequest) -> tuple[ReliabilityForm, dict | None]:
    this_year = clock.today().year
    form = ReliabilityForm(request.GET or None, this_year=this_year)
    if not form.is_bound:
        return form, {"utility": Utility.ELECTRICITY, "year": this_year, "postcode": "", "include_planned": False}
    return form, (form.cleaned_data if form.is_valid() else None)


def _reports(choice: dict) -> list:
    return reliability_years(
        utility=choice["utility"],
        year=choice["year"],
        postcodes=(choice["postcode"],) if choice["postcode"] else (),
        include_planned=choice["include_planned"],
    )


@staff_required(VIEW)
@require_GET
def reliability_page(request: HttpRequest) -> HttpResponse:
    """SAIDI, SAIFI and CAIDI of one utility (and area) for a year and the
    years before it, as charts and a table, with the interruptions behind the year's figures."""
    form, choice = _reliability_choice(request)
    context: dict = {"form": form, "active": "reliability"}
    if choice is not None:
        reports = _reports(choice)
        current = reports[-1]
        context.update(
            reports=reports,
            current=current,
            rows=Paginator(current.rows, PER_PAGE).get_page(request.GET.get("page")),
            query=_query(choice),
        )
    return render(request, "outages/staff/reliability.html", context, status=200 if choice is not None else 400)


def _query(choice: dict) -> str:
    return urlencode(
        {
            "utility": choice["utility"],
            "year": choice["year"],
            "postcode": choice["postcode"],
            **({"include_planned": "on"} if choice["include_planned"] else {}),
        }
    )


@staff_required(VIEW)
@require_GET
def reliability_csv(request: HttpRequest) -> HttpResponse:
    """The figures per year (`kind=figures`, the default) or the interruptions
    behind the chosen year (`kind=interruptions`) as CSV (";", decimal points)."""
    _form, choice = _reliability_choice(request)
    if choice is None:
        return HttpResponseBadRequest(_("Choose a utility and a year."))
    reports = _reports(choice)
    if request.GET.get("kind") == "interruptions":
        content = csv_text(header=INTERRUPTIONS_CSV_COLUMNS, rows=interruptions_csv_rows(reports[-1]))
        name = f"interruptions-{choice['utility'].lower()}-{choice['year']}.csv"
    else:
        content = csv_text(header=RELIABILITY_CSV_COLUMNS, rows=reliability_csv_rows(reports))
        name = f"reliability-{choice['utility'].lower()}-{choice['year']}.csv"
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
