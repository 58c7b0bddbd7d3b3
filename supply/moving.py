"""Moving house in one request: the supplies at the old address end on the
move-out date E and supply at the new address starts on E+1 (no gap, no day
twice). The new address, supply points, meters, start readings and tariffs
are asked for by supply set-up's own form (`SupplySetup`), with the start
fixed to E+1 as a move-in; the rules are the services' (`move_submit`),
judged without saving before the "Please check" page.

The same steps serve a customer on their own pages (/supply/move/) and an
agent for a caller from the customer's page, who also records the channel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Customer, Representative
from core import clock
from core.staff import staff_required
from supply.forms import STAFF_CHANNELS, MoveOutForm, SupplySetup, with_move_in
from supply.models import ServiceAgreement
from supply.services.agreements import SupplySetupError
from supply.services.termination import TerminationRefused, move_check, move_submit

Status = ServiceAgreement.Status
Channel = ServiceAgreement.Channel
# Fields the move fixes for every new supply; their errors belong to the move-out date.
FIXED_FIELDS = ("start_date", "start_reason")


@dataclass(frozen=True)
class MoveFlow:
    customer: Customer
    draft_key: str
    form_url: str
    check_url: str
    estimate_url: str
    done_url: str
    by_agent: bool = False
    user: Any = None

    def template_context(self) -> dict[str, Any]:
        return {
            "form_url": self.form_url,
            "check_url": self.check_url,
            "cancel_url": self.done_url,
            "on_behalf_of": self.customer if self.by_agent else None,
        }


class MovePage:
    """The move-out part and the set-up of the new address, judged together."""

    def __init__(self, flow: MoveFlow, *, data: MultiValueDict | None = None, bound: bool = True) -> None:
        self.flow = flow
        self.today = clock.today()
        agreements = list(
            ServiceAgreement.objects.filter(account__customer=flow.customer, status=Status.ACTIVE)
            .select_related("account", "supply_point__premise", "tariff")
            .order_by("account__number", "start_date", "id")
        )
        self.agreements = agreements
        channels = STAFF_CHANNELS if flow.by_agent else None
        representatives = (
            Representative.objects.filter(account__customer=flow.customer).order_by("name", "id")
            if flow.by_agent
            else None
        )
        judged = data is not None and bound
        if judged:
            self.move = MoveOutForm(data, agreements=agreements, channels=channels, representatives=representatives)
            move_out = self.move.cleaned_data["move_out_date"] if self.move.is_valid() else None
            self.setup = SupplySetup(
                customer=flow.customer,
                day=self.today,
                data=with_move_in(data, move_out_date=move_out),
                estimate_url=flow.estimate_url,
            )
        else:
            if data is None:
                initial = {"agreement_ids": [str(a.pk) for a in agreements]}
            else:
                initial = {name: data.get(name) for name in ("move_out_date", "channel", "representative")}
                initial["agreement_ids"] = data.getlist("agreement_ids")
            self.move = MoveOutForm(
                initial=initial, agreements=agreements, channels=channels, representatives=representatives
            )
            account = agreements[0].account if agreements and data is None else None
            self.setup = SupplySetup(
                customer=flow.customer,
                day=self.today,
                data=data,
                bound=False,
                account=account,
                estimate_url=flow.estimate_url,
            )
            if data is None:
                # A new address: only the account is taken over.
                self.setup.main.initial = {"account": account.pk} if account else {}

    def is_valid(self) -> bool:
        valid = self.move.is_valid()
        valid = self.setup.is_valid() and valid
        for form in self.setup.forms.values():
            for name in FIXED_FIELDS:
                for error in form.errors.get(name, []):
                    if self.move.is_valid():
                        self.move.add_error("move_out_date", error)
        return valid and not self.move.errors

    def request(self) -> dict[str, Any]:
        return {
            "account": self.setup.account,
            "agreements": self.move.chosen(),
            "move_out_date": self.move.cleaned_data["move_out_date"],
            "premise": self.setup.premise(),
            "requests": self.setup.requests(),
            "requested_by": self.flow.user,
            "channel": self.move.cleaned_data["channel"] if self.flow.by_agent else Channel.PORTAL,
            "as_of": self.today,
            "representative": self.move.cleaned_data.get("representative"),
        }

    def place_error(self, error: Exception) -> None:
        if isinstance(error, TerminationRefused):
            fields = {"end_date": "move_out_date", "representative": "representative"}
            field = fields.get(error.field)
            self.move.add_error(field if field in self.move.fields else None, str(error))
        elif isinstance(error, SupplySetupError) and error.field not in FIXED_FIELDS:
            self.setup.place_error(error)
        else:
            self.move.add_error("move_out_date", str(error))

    def render(self, request: HttpRequest) -> HttpResponse:
        setup = self.setup
        context = {
            "move": self.move,
            "agreements": self.agreements,
            "form": setup.main,
            "sections": setup.sections(),
            "has_errors": bool(self.move.errors or setup.main.errors)
            or any(form.errors for form in setup.forms.values()),
            "several_accounts": setup.main.fields["account"].queryset.count() > 1,
            "moving": True,
            **self.flow.template_context(),
        }
        return render(request, "supply/move.html", context)


def _draft(request: HttpRequest, flow: MoveFlow) -> MultiValueDict | None:
    stored = request.session.get(flow.draft_key)
    return MultiValueDict(stored) if stored else None


def form_step(request: HttpRequest, flow: MoveFlow) -> HttpResponse:
    if request.method == "GET":
        draft = _draft(request, flow)
        page = MovePage(flow, data=draft)
        if draft is not None:
            page.is_valid()
        if not page.agreements:
            messages.info(request, _("There is no running supply to end."))
            return redirect(flow.done_url)
        return page.render(request)
    if request.POST.get("action") == "refresh":
        return MovePage(flow, data=request.POST, bound=False).render(request)
    request.session[flow.draft_key] = {
        key: values for key, values in request.POST.lists() if key != "csrfmiddlewaretoken"
    }
    page = MovePage(flow, data=request.POST)
    if not page.is_valid():
        return page.render(request)
    try:
        move_check(**page.request())
    except (TerminationRefused, SupplySetupError) as error:
        page.place_error(error)
        return page.render(request)
    return redirect(flow.check_url)


def check_step(request: HttpRequest, flow: MoveFlow) -> HttpResponse:
    draft = _draft(request, flow)
    if draft is None:
        return redirect(flow.form_url)
    page = MovePage(flow, data=draft)
    if not page.is_valid():
        messages.error(request, _("Some details need your attention before we can send your request."))
        return redirect(flow.form_url)
    if request.method == "GET":
        move_out: dt.date = page.move.cleaned_data["move_out_date"]
        return render(
            request,
            "supply/move_check.html",
            {
                "ending": page.move.chosen(),
                "move_out_date": move_out,
                "new_start": move_out + dt.timedelta(days=1),
                "account": page.setup.account,
                "premise": page.setup.premise(),
                "rows": page.setup.summary(),
                "channel": Channel(page.move.cleaned_data["channel"]).label if flow.by_agent else "",
                "representative": page.move.cleaned_data.get("representative"),
                "setup_url": flow.form_url,
                **flow.template_context(),
            },
        )
    try:
        moved = move_submit(**page.request())
    except (TerminationRefused, SupplySetupError) as error:
        messages.error(request, str(error))
        return redirect(flow.form_url)
    request.session.pop(flow.draft_key, None)
    dates = {
        "end": formats.date_format(moved.ended[0].end_date, "SHORT_DATE_FORMAT"),
        "start": formats.date_format(moved.started[0].start_date, "SHORT_DATE_FORMAT"),
    }
    if flow.by_agent:
        text = _(
            "Supply at the old address ends on %(end)s, at the new one it starts on %(start)s. "
            "The customer was sent the confirmations."
        )
    else:
        text = _(
            "Your supply at the old address ends on %(end)s and starts at the new one on %(start)s. "
            "We have sent you the confirmations by e-mail."
        )
    messages.success(request, text % dates)
    return redirect(flow.done_url)


# --- The customer's own pages ---------------------------------------------------------


def _customer_flow(request: HttpRequest) -> MoveFlow:
    customer = get_object_or_404(Customer, user=request.user)
    return MoveFlow(
        customer=customer,
        draft_key="supply_move",
        form_url=reverse("supply:move"),
        check_url=reverse("supply:move_check"),
        estimate_url=reverse("supply:estimate"),
        done_url=reverse("home"),
        user=request.user,
    )


@login_required
@require_http_methods(["GET", "POST"])
def move(request: HttpRequest) -> HttpResponse:
    return form_step(request, _customer_flow(request))


@login_required
@require_http_methods(["GET", "POST"])
def move_check_page(request: HttpRequest) -> HttpResponse:
    return check_step(request, _customer_flow(request))


# --- An agent for a caller -------------------------------------------------------------


def _staff_flow(request: HttpRequest, customer_id: int) -> MoveFlow:
    customer = get_object_or_404(Customer, pk=customer_id)
    kwargs = {"customer_id": customer.pk}
    return MoveFlow(
        customer=customer,
        draft_key=f"staff_supply_move_{customer.pk}",
        form_url=reverse("staff:supply_move", kwargs=kwargs),
        check_url=reverse("staff:supply_move_check", kwargs=kwargs),
        estimate_url=reverse("staff:supply_estimate", kwargs=kwargs),
        done_url=reverse("staff:customer", kwargs=kwargs) + "?tab=supplies",
        by_agent=True,
        user=request.user,
    )


@staff_required("supply.add_serviceagreement", "supply.change_serviceagreement")
@require_http_methods(["GET", "POST"])
def staff_move(request: HttpRequest, customer_id: int) -> HttpResponse:
    return form_step(request, _staff_flow(request, customer_id))


@staff_required("supply.add_serviceagreement", "supply.change_serviceagreement")
@require_http_methods(["GET", "POST"])
def staff_move_check(request: HttpRequest, customer_id: int) -> HttpResponse:
    return check_step(request, _staff_flow(request, customer_id))
