"""The customer's page to download their data (JSON and PDF)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import Customer
from core import clock
from portal.privacy.export import export_json, export_pdf


def _customer(request: HttpRequest) -> Customer | None:
    return Customer.objects.filter(user=request.user, erased_at__isnull=True).first()


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if customer is None:
        return redirect("onboarding")
    return render(request, "portal/privacy/my_data.html", {"customer": customer})


def _download(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def my_data_json(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if customer is None:
        return redirect("onboarding")
    now = clock.now()
    return _download(
        export_json(customer=customer, as_of=now),
        content_type="application/json",
        filename=f"my-data-{now:%Y-%m-%d}.json",
    )


@login_required
def my_data_pdf(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if customer is None:
        return redirect("onboarding")
    now = clock.now()
    return _download(
        export_pdf(customer=customer, as_of=now), content_type="application/pdf", filename=f"my-data-{now:%Y-%m-%d}.pdf"
    )
