"""The agents' list of final bills against the 6-week rule (EnWG §40b):
late ones and those falling due within a chosen number of days."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from billing.queries.final_bills import final_bills_due
from core import clock
from core.staff import staff_required

DEFAULT_WITHIN_DAYS = 14


class WithinForm(forms.Form):
    within = forms.IntegerField(
        label=_("Also show those due within (days)"), min_value=0, max_value=366, required=False
    )


@staff_required("billing.view_invoice")
@require_GET
def final_bills(request: HttpRequest) -> HttpResponse:
    form = WithinForm(request.GET or None)
    within = DEFAULT_WITHIN_DAYS
    if form.is_bound and form.is_valid() and form.cleaned_data["within"] is not None:
        within = form.cleaned_data["within"]
    today = clock.today()
    rows = final_bills_due(as_of=today, within_days=within)
    context = {
        "form": form if form.is_bound else WithinForm(initial={"within": within}),
        "within": within,
        "late": [row for row in rows if row.is_late],
        "coming": [row for row in rows if not row.is_late],
        "today": today,
    }
    return render(request, "billing/staff/final_bills.html", context)
