"""Supply set-up for customers: the form, the live tariff estimate, the
"Please check" summary, and the confirmation page.

What was typed is kept in the session as a draft, so going back from the
summary (or an error on sending) loses nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import Account, Customer
from billing.agreements import SupplySetupError, supply_setup_submit
from billing.forms import SupplySetup, parse_consumption
from billing.models import ServiceAgreement
from billing.queries import tariff_offers
from metering.models import Utility
from portal.core import clock

DRAFT_KEY = "supply_setup"
DONE_KEY = "supply_setup_done"
TEMPLATE = "billing/supply_setup.html"


def _draft_save(request: HttpRequest) -> None:
    request.session[DRAFT_KEY] = {key: values for key, values in request.POST.lists() if key != "csrfmiddlewaretoken"}


def _draft_load(request: HttpRequest) -> MultiValueDict | None:
    stored = request.session.get(DRAFT_KEY)
    return MultiValueDict(stored) if stored else None


def _own_account(customer: Customer, account_id: str | None) -> Account | None:
    """The customer's account named in the request; anyone else's is a 404."""
    if not account_id:
        return None
    try:
        return get_object_or_404(customer.accounts, pk=int(account_id))
    except ValueError as error:
        raise Http404 from error


def _render_setup(request: HttpRequest, setup: SupplySetup) -> HttpResponse:
    template = f"{TEMPLATE}#setup" if request.htmx and not request.htmx.boosted else TEMPLATE
    context: dict[str, Any] = {
        "setup": setup,
        "form": setup.main,
        "sections": setup.sections(),
        "has_errors": bool(setup.main.errors) or any(form.errors for form in setup.forms.values()),
        "several_accounts": setup.main.fields["account"].queryset.count() > 1,
    }
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def supply_setup(request: HttpRequest) -> HttpResponse:
    customer = Customer.objects.filter(user=request.user).first()
    if customer is None:
        return redirect("onboarding")
    day = clock.today()
    if request.method == "POST":
        _own_account(customer, request.POST.get("account"))
        if request.POST.get("action") == "refresh":
            return _render_setup(request, SupplySetup(customer=customer, day=day, data=request.POST, bound=False))
        _draft_save(request)
        setup = SupplySetup(customer=customer, day=day, data=request.POST)
        if not setup.is_valid():
            return _render_setup(request, setup)
        url = reverse("supply:check")
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)

    account = _own_account(customer, request.GET.get("account"))
    draft = _draft_load(request)
    if draft is not None and account is None:
        setup = SupplySetup(customer=customer, day=day, data=draft)
        setup.is_valid()
        return _render_setup(request, setup)
    if account is None:
        account = customer.accounts.filter(status=Account.Status.ACTIVE).order_by("number", "id").first()
    if account is None:
        messages.error(request, _("You have no open account to set up supply for. Please call us."))
        return redirect("home")
    return _render_setup(request, SupplySetup(customer=customer, day=day, account=account))


@login_required
@require_http_methods(["GET", "POST"])
def supply_check(request: HttpRequest) -> HttpResponse:
    """The summary before sending; POST sends the request."""
    customer = get_object_or_404(Customer, user=request.user)
    draft = _draft_load(request)
    if draft is None:
        return redirect("supply:setup")
    day = clock.today()
    setup = SupplySetup(customer=customer, day=day, data=draft)
    if not setup.is_valid():
        messages.error(request, _("Some details need your attention before we can send your request."))
        return redirect("supply:setup")
    if request.method == "GET":
        return render(
            request,
            "billing/supply_check.html",
            {"account": setup.account, "premise": setup.premise(), "rows": setup.summary()},
        )
    try:
        agreements = supply_setup_submit(
            account=setup.account, premise=setup.premise(), requests=setup.requests(), as_of=day
        )
    except SupplySetupError as error:
        # Judge the draft again: the form's checks now see what stopped the service.
        setup = SupplySetup(customer=customer, day=day, data=draft)
        if setup.is_valid():
            setup.place_error(error)
        return _render_setup(request, setup)
    request.session.pop(DRAFT_KEY, None)
    request.session[DONE_KEY] = [agreement.pk for agreement in agreements]
    return redirect("supply:requested")


@login_required
def supply_requested(request: HttpRequest) -> HttpResponse:
    customer = get_object_or_404(Customer, user=request.user)
    agreements = list(
        ServiceAgreement.objects.filter(account__customer=customer, pk__in=request.session.get(DONE_KEY, []))
        .select_related("account", "supply_point__premise", "tariff")
        .order_by("id")
    )
    if not agreements:
        return redirect("home")
    return render(request, "billing/supply_requested.html", {"customer": customer, "agreements": agreements})


@login_required
@require_GET
def supply_estimate(request: HttpRequest) -> HttpResponse:
    """The yearly cost on each tariff card of one utility for the consumption
    being typed (HTMX out-of-band swaps of the cards' estimates)."""
    customer = get_object_or_404(Customer, user=request.user)
    utility = request.GET.get("utility", "")
    if utility not in Utility.values:
        raise Http404
    prefix = utility.lower()
    offers = tariff_offers(
        utility=utility,
        customer_type=customer.customer_type,
        consumption=parse_consumption(request.GET.get(f"{prefix}-expected_annual_consumption")),
        day=clock.today(),
    )
    return render(request, "billing/_estimates.html", {"offers": offers, "field_name": f"{prefix}-tariff"})
