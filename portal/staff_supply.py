"""An agent sets up supply for a customer from the customer's page, through
the customer's own set-up steps and the same service (the customer gets the
same confirmation mail)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Customer
from billing.models import ServiceAgreement
from billing.views import SetupFlow, check_step, estimate_step, setup_step
from portal.staff import staff_required

PERMISSION = "billing.add_serviceagreement"


def _supplies_tab(customer: Customer) -> str:
    return reverse("staff:customer", kwargs={"customer_id": customer.pk}) + "?tab=supplies"


def _sent(request: HttpRequest, agreements: list[ServiceAgreement]) -> HttpResponse:
    customer = agreements[0].account.customer
    messages.success(
        request,
        _("Supply requested for %(utilities)s. The customer was sent the confirmation.")
        % {"utilities": ", ".join(str(agreement.supply_point.get_utility_display()) for agreement in agreements)},
    )
    return redirect(_supplies_tab(customer))


def _flow(customer_id: int) -> SetupFlow:
    customer = get_object_or_404(Customer, pk=customer_id)
    kwargs = {"customer_id": customer.pk}

    def no_account(request: HttpRequest) -> HttpResponse:
        messages.error(request, _("This customer has no open account to set up supply for."))
        return redirect(_supplies_tab(customer))

    return SetupFlow(
        customer=customer,
        draft_key=f"staff_supply_setup_{customer.pk}",
        setup_url=reverse("staff:supply_setup", kwargs=kwargs),
        check_url=reverse("staff:supply_check", kwargs=kwargs),
        estimate_url=reverse("staff:supply_estimate", kwargs=kwargs),
        cancel_url=_supplies_tab(customer),
        on_sent=_sent,
        on_no_account=no_account,
        by_agent=True,
    )


@staff_required(PERMISSION, "accounts.view_customer")
@require_http_methods(["GET", "POST"])
def supply_setup(request: HttpRequest, customer_id: int) -> HttpResponse:
    return setup_step(request, _flow(customer_id))


@staff_required(PERMISSION, "accounts.view_customer")
@require_http_methods(["GET", "POST"])
def supply_check(request: HttpRequest, customer_id: int) -> HttpResponse:
    return check_step(request, _flow(customer_id))


@staff_required(PERMISSION, "accounts.view_customer")
@require_GET
def supply_estimate(request: HttpRequest, customer_id: int) -> HttpResponse:
    return estimate_step(request, get_object_or_404(Customer, pk=customer_id))
