"""The public status page (/status/: no sign-in, no personal data) and the
customer's "no supply at my address" report (/outages/): choose the
supply; the report is linked to the open interruption that explains it or
goes to the operations team as a ticket. Another customer's report is 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Account, Customer
from accounts.queries import accounts_for_user
from core import clock
from outages.forms import NoSupplyForm, StatusSearchForm
from outages.pages import customer_interruptions, customer_reports, reportable_agreements, status_rows
from outages.services import InterruptionRefused, no_supply_report

REPORTS_SHOWN = 20


@require_GET
def status_page(request: HttpRequest) -> HttpResponse:
    """Current and planned interruptions by utility and postcode, with a search."""
    form = StatusSearchForm(request.GET or None)
    postcode = utility = ""
    if form.is_bound and form.is_valid():
        postcode, utility = form.cleaned_data["postcode"], form.cleaned_data["utility"]
    current, planned = status_rows(now=clock.now(), postcode=postcode, utility=utility)
    return render(
        request,
        "outages/status.html",
        {
            "form": form,
            "current": current,
            "planned": planned,
            "postcode": postcode,
            "searched": bool(postcode or utility),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _customer(request: HttpRequest) -> Customer:
    customer = Customer.objects.filter(user=request.user).first()
    if customer is None:
        raise Http404
    return customer


def _accounts(request: HttpRequest) -> list[Account]:
    return list(accounts_for_user(request.user).order_by("number", "id"))


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    """Report "no supply at my address" for one of the customer's supplies; the known interruptions are shown first."""
    customer = _customer(request)
    accounts = _accounts(request)
    agreements = reportable_agreements(accounts=accounts)
    form = NoSupplyForm(request.POST or None, agreements=agreements)
    if request.method == "POST" and form.is_valid():
        agreement = form.cleaned_data["agreement"]
        try:
            report = no_supply_report(
                account=agreement.account,
                supply_point=agreement.supply_point,
                note=form.cleaned_data["note"],
                now=clock.now(),
            )
        except InterruptionRefused as error:
            form.add_error(None, str(error))
        else:
            return redirect("outages:report", report_id=report.pk)
    return render(
        request,
        "outages/report_new.html",
        {
            "customer": customer,
            "form": form,
            "agreements": agreements,
            "known": customer_interruptions(accounts=accounts, now=clock.now()),
            "reports": list(customer_reports(customer=customer)[:REPORTS_SHOWN]),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    """One of the customer's reports: the interruption it belongs to, or the ticket it became."""
    customer = _customer(request)
    report = get_object_or_404(customer_reports(customer=customer), pk=report_id)
    return render(request, "outages/report.html", {"report": report})
