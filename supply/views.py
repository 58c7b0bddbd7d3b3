"""Supply set-up: the form, the live tariff estimate, the "Please check"
summary, and the confirmation page.

The same steps serve a customer on their own pages and an agent setting up
supply for a customer in the back-office; a `SetupFlow` says whose set-up it
is, where its steps live and what happens once it is sent. What was typed is
kept in the session as a draft, so going back from the summary (or an error
on sending) loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
from core import clock
from meters.models import Utility
from supply.forms import SupplySetup, parse_consumption
from supply.models import ServiceAgreement
from supply.queries import tariff_offers
from supply.services.agreements import SupplySetupError, supply_setup_submit

DRAFT_KEY = "supply_setup"
DONE_KEY = "supply_setup_done"
TEMPLATE = "supply/supply_setup.html"


@dataclass(frozen=True)
class SetupFlow:
    """Whose set-up it is and where its steps live."""

    customer: Customer
    draft_key: str
    setup_url: str
    check_url: str
    estimate_url: str
    cancel_url: str
    # Called with the agreements just requested; answers the browser.
    on_sent: Callable[[HttpRequest, list[ServiceAgreement]], HttpResponse]
    # Answers when the customer has no open account to set up supply for.
    on_no_account: Callable[[HttpRequest], HttpResponse]
    # An agent sets up supply on the customer's behalf.
    by_agent: bool = False

    def template_context(self) -> dict[str, Any]:
        return {
            "setup_url": self.setup_url,
            "check_url": self.check_url,
            "cancel_url": self.cancel_url,
            "on_behalf_of": self.customer if self.by_agent else None,
        }


def _draft_save(request: HttpRequest, flow: SetupFlow) -> None:
    request.session[flow.draft_key] = {
        key: values for key, values in request.POST.lists() if key != "csrfmiddlewaretoken"
    }


def _draft_load(request: HttpRequest, flow: SetupFlow) -> MultiValueDict | None:
    stored = request.session.get(flow.draft_key)
    return MultiValueDict(stored) if stored else None


def _own_account(customer: Customer, account_id: str | None) -> Account | None:
    """The customer's account named in the request; anyone else's is a 404."""
    if not account_id:
        return None
    try:
        return get_object_or_404(customer.accounts, pk=int(account_id))
    except ValueError as error:
        raise Http404 from error


def _setup(flow: SetupFlow, **kwargs: Any) -> SupplySetup:
    return SupplySetup(customer=flow.customer, day=clock.today(), estimate_url=flow.estimate_url, **kwargs)


def _render_setup(request: HttpRequest, flow: SetupFlow, setup: SupplySetup) -> HttpResponse:
    template = f"{TEMPLATE}#setup" if request.htmx and not request.htmx.boosted else TEMPLATE
    context: dict[str, Any] = {
        "setup": setup,
        "form": setup.main,
        "sections": setup.sections(),
        "has_errors": bool(setup.main.errors) or any(form.errors for form in setup.forms.values()),
        "several_accounts": setup.main.fields["account"].queryset.count() > 1,
        **flow.template_context(),
    }
    return render(request, template, context)


def setup_step(request: HttpRequest, flow: SetupFlow) -> HttpResponse:
    """The form: GET shows it (from the draft, if any), POST redraws or judges it."""
    customer = flow.customer
    if request.method == "POST":
        _own_account(customer, request.POST.get("account"))
        if request.POST.get("action") == "refresh":
            return _render_setup(request, flow, _setup(flow, data=request.POST, bound=False))
        _draft_save(request, flow)
        setup = _setup(flow, data=request.POST)
        if not setup.is_valid():
            return _render_setup(request, flow, setup)
        return HttpResponseClientRedirect(flow.check_url) if request.htmx else redirect(flow.check_url)

    account = _own_account(customer, request.GET.get("account"))
    draft = _draft_load(request, flow)
    if draft is not None and account is None:
        setup = _setup(flow, data=draft)
        setup.is_valid()
        return _render_setup(request, flow, setup)
    if account is None:
        account = customer.accounts.filter(status=Account.Status.ACTIVE).order_by("number", "id").first()
    if account is None:
        return flow.on_no_account(request)
    return _render_setup(request, flow, _setup(flow, account=account))


def check_step(request: HttpRequest, flow: SetupFlow) -> HttpResponse:
    """The summary before sending; POST sends the request."""
    draft = _draft_load(request, flow)
    if draft is None:
        return redirect(flow.setup_url)
    setup = _setup(flow, data=draft)
    if not setup.is_valid():
        messages.error(request, _("Some details need your attention before we can send your request."))
        return redirect(flow.setup_url)
    if request.method == "GET":
        return render(
            request,
            "supply/supply_check.html",
            {"account": setup.account, "premise": setup.premise(), "rows": setup.summary(), **flow.template_context()},
        )
    try:
        agreements = supply_setup_submit(
            account=setup.account, premise=setup.premise(), requests=setup.requests(), as_of=setup.day
        )
    except SupplySetupError as error:
        # Judge the draft again: the form's checks now see what stopped the service.
        setup = _setup(flow, data=draft)
        if setup.is_valid():
            setup.place_error(error)
        return _render_setup(request, flow, setup)
    request.session.pop(flow.draft_key, None)
    return flow.on_sent(request, agreements)


def estimate_step(request: HttpRequest, customer: Customer) -> HttpResponse:
    """The yearly cost on each tariff card of one utility for the consumption
    being typed (HTMX out-of-band swaps of the cards' estimates)."""
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
    return render(request, "supply/_estimates.html", {"offers": offers, "field_name": f"{prefix}-tariff"})


# --- The customer's own pages -------------------------------------------------------


def _customer_sent(request: HttpRequest, agreements: list[ServiceAgreement]) -> HttpResponse:
    request.session[DONE_KEY] = [agreement.pk for agreement in agreements]
    return redirect("supply:requested")


def _customer_no_account(request: HttpRequest) -> HttpResponse:
    messages.error(request, _("You have no open account to set up supply for. Please call us."))
    return redirect("home")


def _customer_flow(customer: Customer) -> SetupFlow:
    return SetupFlow(
        customer=customer,
        draft_key=DRAFT_KEY,
        setup_url=reverse("supply:setup"),
        check_url=reverse("supply:check"),
        estimate_url=reverse("supply:estimate"),
        cancel_url=reverse("home"),
        on_sent=_customer_sent,
        on_no_account=_customer_no_account,
    )


@login_required
@require_http_methods(["GET", "POST"])
def supply_setup(request: HttpRequest) -> HttpResponse:
    customer = Customer.objects.filter(user=request.user).first()
    if customer is None:
        return redirect("onboarding")
    return setup_step(request, _customer_flow(customer))


@login_required
@require_http_methods(["GET", "POST"])
def supply_check(request: HttpRequest) -> HttpResponse:
    customer = get_object_or_404(Customer, user=request.user)
    return check_step(request, _customer_flow(customer))


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
    return render(request, "supply/supply_requested.html", {"customer": customer, "agreements": agreements})


@login_required
@require_GET
def supply_estimate(request: HttpRequest) -> HttpResponse:
    return estimate_step(request, get_object_or_404(Customer, user=request.user))
