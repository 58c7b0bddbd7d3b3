"""Supply's back-office pages: an agent sets up supply for a customer from the
customer's page, through the customer's own set-up steps and the same service
(the customer gets the same confirmation mail); and the queue of set-ups to
confirm, correct or reject."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Customer
from core import clock
from core.staff import staff_required
from supply.forms import AgreementCorrectForm, AgreementRejectForm
from supply.models import ServiceAgreement
from supply.queries import confirmed_waiting, pending_setups, pending_setups_count
from supply.services.agreements import (
    IllegalTransition,
    SupplySetupError,
    agreement_confirm,
    agreement_correct,
    agreement_reject,
)
from supply.views import SetupFlow, check_step, estimate_step, setup_step

QUEUE_LIMIT = 200
# Agreements an agent may still correct or reject: not started yet.
CORRECTABLE = (ServiceAgreement.Status.REQUESTED, ServiceAgreement.Status.CONFIRMED)

PERMISSION = "supply.add_serviceagreement"


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


def _agreement(agreement_id: int) -> ServiceAgreement:
    return get_object_or_404(
        ServiceAgreement.objects.select_related("account__customer", "supply_point__premise", "tariff"),
        pk=agreement_id,
    )


@staff_required("supply.view_serviceagreement")
def setup_queue(request: HttpRequest) -> HttpResponse:
    """Requested set-ups to confirm (oldest first) and confirmed ones waiting for their start."""
    context = {
        "pending": list(pending_setups()[:QUEUE_LIMIT]),
        "pending_count": pending_setups_count(),
        "confirmed": list(confirmed_waiting()[:QUEUE_LIMIT]),
        "today": clock.today(),
        "limit": QUEUE_LIMIT,
    }
    return render(request, "supply/staff/setups.html", context)


@staff_required("supply.change_serviceagreement")
@require_POST
def setup_confirm(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = _agreement(agreement_id)
    try:
        agreement_confirm(agreement=agreement)
    except IllegalTransition as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Confirmed: %(agreement)s.") % {"agreement": agreement})
    return redirect("staff:setups")


@staff_required("supply.change_serviceagreement")
def setup_correct(request: HttpRequest, agreement_id: int) -> HttpResponse:
    """Change tariff, start date, start reads or consumption, then confirm."""
    agreement = _agreement(agreement_id)
    if agreement.status not in CORRECTABLE:
        messages.error(request, _("Only requested or confirmed agreements can be corrected."))
        return redirect("staff:setups")
    form = AgreementCorrectForm(request.POST or None, agreement=agreement, day=clock.today())
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                agreement_correct(agreement=agreement, **form.changes())
                agreement_confirm(agreement=agreement)
        except SupplySetupError as error:
            form.place_error(error)
        except IllegalTransition as error:
            messages.error(request, str(error))
            return redirect("staff:setups")
        else:
            messages.success(request, _("Corrected and confirmed: %(agreement)s.") % {"agreement": agreement})
            return redirect("staff:setups")
    return render(request, "supply/staff/setup_correct.html", {"agreement": agreement, "form": form})


@staff_required("supply.change_serviceagreement")
def setup_reject(request: HttpRequest, agreement_id: int) -> HttpResponse:
    """Ask for the reason (it goes to the customer), then reject."""
    agreement = _agreement(agreement_id)
    form = AgreementRejectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agreement_reject(agreement=agreement, reason=form.cleaned_data["reason"])
        except SupplySetupError as error:
            form.add_error("reason", str(error))
        except IllegalTransition as error:
            messages.error(request, str(error))
            return redirect("staff:setups")
        else:
            messages.success(
                request, _("Rejected: %(agreement)s. The customer was told the reason.") % {"agreement": agreement}
            )
            return redirect("staff:setups")
    return render(request, "supply/staff/setup_reject.html", {"agreement": agreement, "form": form})
