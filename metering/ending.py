"""Ending supply (moving out or an ordinary termination): the form with the
earliest possible end dates and optional final readings (judged at once),
the "Please check" page, and the request.

The same steps serve a customer on their own pages (/supply/end/) and an
agent ending supply for a caller from the customer's page; an `EndFlow`
says whose supplies they are. The steps live in metering because the final
readings are read intake; the rules are supply's (supply.services.termination).
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
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Customer, Representative
from core import clock
from core.staff import staff_required
from metering.forms import EndSupplyForm, FinalReadForm
from metering.services.final_reads import FinalReadRefused, final_reads_submit, termination_check, termination_submit
from metering.views import verdict_of
from meters.models import Read, Register
from supply.forms import STAFF_CHANNELS
from supply.models import ServiceAgreement
from supply.services.termination import TerminationRefused, earliest_end, final_read_registers

Status = ServiceAgreement.Status
PERMISSION = "supply.change_serviceagreement"


@dataclass(frozen=True)
class EndFlow:
    customer: Customer
    draft_key: str
    form_url: str
    check_url: str
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


@dataclass(frozen=True)
class Supply:
    """A running supply as the form shows it, with its earliest end dates."""

    agreement: ServiceAgreement
    earliest_notice: dt.date
    earliest_move_out: dt.date
    registers: list


def _supplies(customer: Customer, *, as_of: dt.date) -> list[Supply]:
    agreements = (
        ServiceAgreement.objects.filter(account__customer=customer, status=Status.ACTIVE)
        .select_related("account", "supply_point__premise", "tariff")
        .order_by("account__number", "start_date", "id")
    )
    return [
        Supply(
            agreement=agreement,
            earliest_notice=earliest_end(agreement=agreement, reason=ServiceAgreement.EndReason.NOTICE, as_of=as_of),
            earliest_move_out=earliest_end(
                agreement=agreement, reason=ServiceAgreement.EndReason.MOVE_OUT, as_of=as_of
            ),
            registers=list(
                Register.objects.filter(
                    meter__supply_point_id=agreement.supply_point_id, meter__removed_on__isnull=True
                )
                .select_related("meter")
                .order_by("obis", "id")
            ),
        )
        for agreement in agreements
    ]


def _form(flow: EndFlow, supplies: list[Supply], data: Any = None) -> EndSupplyForm:
    return EndSupplyForm(
        data,
        agreements=[supply.agreement for supply in supplies],
        registers={supply.agreement.pk: supply.registers for supply in supplies},
        channels=STAFF_CHANNELS if flow.by_agent else None,
        representatives=_representatives(flow.customer) if flow.by_agent else None,
    )


def _representatives(customer: Customer):
    return Representative.objects.filter(account__customer=customer).order_by("name", "id")


def _request(flow: EndFlow, form: EndSupplyForm) -> dict[str, Any]:
    now = clock.now()
    by_agent = flow.by_agent
    return {
        "agreements": form.chosen(),
        "end_date": form.cleaned_data["end_date"],
        "reason": form.cleaned_data["reason"],
        "values": form.values(),
        "source": Read.Source.AGENT if by_agent else Read.Source.CUSTOMER,
        "channel": form.cleaned_data["channel"] if by_agent else ServiceAgreement.Channel.PORTAL,
        "as_of": timezone.localtime(now).date(),
        "now": now,
        "requested_by": flow.user,
        "customer": None if by_agent else flow.customer,
        "confirm_suspect": form.cleaned_data["confirm_suspect"],
        "representative": form.cleaned_data.get("representative"),
    }


def _judge(flow: EndFlow, form: EndSupplyForm) -> tuple[bool, dict[str, Any]]:
    """Run the request without saving; errors and verdicts go onto the form.
    Answers whether it would be taken, and the verdicts by field name."""
    verdicts: dict[str, Any] = {}
    try:
        results = termination_check(**_request(flow, form))
    except TerminationRefused as error:
        field = error.field if error.field in ("end_date", "representative") and error.field in form.fields else None
        form.add_error(field, str(error))
        return False, verdicts
    except FinalReadRefused as error:
        for item in error.results:
            agreement = item.register.meter.supply_point_id
            name = next(n for a, o, n in form.read_fields if a.supply_point_id == agreement and o == item.register.obis)
            verdicts[name] = verdict_of(item.result, register=item.register, value=item.value)
        unplaced = [text for obis, text in error.messages.items() if not obis]
        for text in unplaced:
            form.add_error(None, text)
        if not verdicts and not unplaced:
            form.add_error(None, str(error))
        return False, verdicts
    for agreement_id, items in results.items():
        for item in items:
            verdicts[form.field_for(agreement_id, item.register.obis)] = verdict_of(
                item.result, register=item.register, value=item.value
            )
    return True, verdicts


def _render_form(request: HttpRequest, flow: EndFlow, supplies, form, verdicts=None) -> HttpResponse:
    asks_to_confirm = any(verdict.asks_to_confirm for verdict in (verdicts or {}).values())
    rows = [
        {
            "supply": supply,
            "reads": [
                {"field": form[name], "verdict": (verdicts or {}).get(name)}
                for agreement, _obis, name in form.read_fields
                if agreement.pk == supply.agreement.pk
            ],
        }
        for supply in supplies
    ]
    return render(
        request,
        "metering/end_supply.html",
        {"form": form, "rows": rows, "asks_to_confirm": asks_to_confirm, **flow.template_context()},
    )


def form_step(request: HttpRequest, flow: EndFlow) -> HttpResponse:
    today = timezone.localtime(clock.now()).date()
    supplies = _supplies(flow.customer, as_of=today)
    if not supplies:
        messages.info(request, _("There is no running supply to end."))
        return redirect(flow.done_url)
    if request.method == "GET":
        draft = request.session.get(flow.draft_key)
        form = _form(flow, supplies, draft)
        if draft:
            form.is_valid()
        return _render_form(request, flow, supplies, form)
    form = _form(flow, supplies, request.POST)
    if not form.is_valid():
        return _render_form(request, flow, supplies, form)
    ok, verdicts = _judge(flow, form)
    if not ok:
        if any(verdict.asks_to_confirm for verdict in verdicts.values()):
            data = request.POST.copy()
            data["confirm_suspect"] = "on"
            form = _form(flow, supplies, data)
            form.is_valid()
        return _render_form(request, flow, supplies, form, verdicts)
    request.session[flow.draft_key] = {
        key: request.POST.getlist(key) if key == "agreement_ids" else value
        for key, value in request.POST.items()
        if key != "csrfmiddlewaretoken"
    }
    return redirect(flow.check_url)


def check_step(request: HttpRequest, flow: EndFlow) -> HttpResponse:
    draft = request.session.get(flow.draft_key)
    if not draft:
        return redirect(flow.form_url)
    today = timezone.localtime(clock.now()).date()
    supplies = _supplies(flow.customer, as_of=today)
    form = _form(flow, supplies, draft)
    if not form.is_valid():
        return redirect(flow.form_url)
    if request.method == "GET":
        readings = [
            (agreement, obis, form.cleaned_data[name])
            for agreement, obis, name in form.read_fields
            if form.cleaned_data.get(name) is not None
        ]
        return render(
            request,
            "metering/end_supply_check.html",
            {
                "agreements": form.chosen(),
                "reason": ServiceAgreement.EndReason(form.cleaned_data["reason"]).label,
                "end_date": form.cleaned_data["end_date"],
                "readings": readings,
                "channel": ServiceAgreement.Channel(form.cleaned_data["channel"]).label if flow.by_agent else "",
                "representative": form.cleaned_data.get("representative"),
                **flow.template_context(),
            },
        )
    try:
        ended, _results = termination_submit(**_request(flow, form))
    except (TerminationRefused, FinalReadRefused) as error:
        messages.error(request, str(error))
        return redirect(flow.form_url)
    request.session.pop(flow.draft_key, None)
    end_date = ended[0].end_date
    if flow.by_agent:
        text = _("The supply ends on %(date)s. The customer was sent the confirmation.")
    else:
        text = _("Your supply ends on %(date)s. We have sent you the confirmation by e-mail.")
    messages.success(request, text % {"date": _short(end_date)})
    return redirect(flow.done_url)


def _short(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


# --- The customer's own pages ---------------------------------------------------------


def _customer_flow(request: HttpRequest) -> EndFlow:
    customer = get_object_or_404(Customer, user=request.user)
    return EndFlow(
        customer=customer,
        draft_key="end_supply",
        form_url=reverse("end_supply"),
        check_url=reverse("end_supply_check"),
        done_url=reverse("home"),
        user=request.user,
    )


@login_required
@require_http_methods(["GET", "POST"])
def end_supply(request: HttpRequest) -> HttpResponse:
    return form_step(request, _customer_flow(request))


@login_required
@require_http_methods(["GET", "POST"])
def end_supply_check(request: HttpRequest) -> HttpResponse:
    return check_step(request, _customer_flow(request))


# --- The final reading after the request ----------------------------------------------


def _render_final_read(request: HttpRequest, agreement: ServiceAgreement, form: FinalReadForm, verdicts=None):
    verdicts = verdicts or {}
    return render(
        request,
        "metering/final_read.html",
        {
            "agreement": agreement,
            "form": form,
            "fields": [
                {"field": form[form.field_for(register.obis)], "verdict": verdicts.get(register.obis)}
                for register in form.registers
            ],
            "asks_to_confirm": any(verdict.asks_to_confirm for verdict in verdicts.values()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def end_supply_final_read(request: HttpRequest, agreement_id: int) -> HttpResponse:
    """The final readings of one of the customer's ending supplies, for the
    end of its end date (stored at 00:00 of the next day), judged at once."""
    customer = get_object_or_404(Customer, user=request.user)
    agreement = get_object_or_404(
        ServiceAgreement.objects.select_related("supply_point__premise", "tariff"),
        pk=agreement_id,
        account__customer=customer,
        status=Status.ENDING,
    )
    registers = final_read_registers(agreement)
    if not registers:
        messages.info(request, _("This supply has no meter to read."))
        return redirect("home")
    if request.method == "GET":
        return _render_final_read(request, agreement, FinalReadForm(registers=registers, end_date=agreement.end_date))
    form = FinalReadForm(request.POST, registers=registers, end_date=agreement.end_date)
    if not form.is_valid():
        return _render_final_read(request, agreement, form)
    try:
        results = final_reads_submit(
            agreement=agreement,
            values=form.values(),
            source=Read.Source.CUSTOMER,
            now=clock.now(),
            customer=customer,
            confirm_suspect=form.cleaned_data["confirm_suspect"],
        )
    except FinalReadRefused as error:
        verdicts = {
            item.register.obis: verdict_of(item.result, register=item.register, value=item.value)
            for item in error.results
        }
        if not verdicts:
            for text in error.messages.values():
                form.add_error(None, text)
        elif any(verdict.asks_to_confirm for verdict in verdicts.values()):
            data = request.POST.copy()
            data["confirm_suspect"] = "on"
            form = FinalReadForm(data, registers=registers, end_date=agreement.end_date)
            form.is_valid()
        return _render_final_read(request, agreement, form, verdicts)
    for item in results:
        verdict = verdict_of(item.result, register=item.register, value=item.value)
        messages.success(request, f"{item.register.obis}: {verdict.message}")
    return redirect("home")


# --- An agent for a caller -------------------------------------------------------------


def _staff_flow(request: HttpRequest, customer_id: int) -> EndFlow:
    customer = get_object_or_404(Customer, pk=customer_id)
    kwargs = {"customer_id": customer.pk}
    return EndFlow(
        customer=customer,
        draft_key=f"staff_end_supply_{customer.pk}",
        form_url=reverse("staff:end_supply", kwargs=kwargs),
        check_url=reverse("staff:end_supply_check", kwargs=kwargs),
        done_url=reverse("staff:customer", kwargs=kwargs) + "?tab=supplies",
        by_agent=True,
        user=request.user,
    )


@staff_required(PERMISSION)
@require_http_methods(["GET", "POST"])
def staff_end_supply(request: HttpRequest, customer_id: int) -> HttpResponse:
    return form_step(request, _staff_flow(request, customer_id))


@staff_required(PERMISSION)
@require_http_methods(["GET", "POST"])
def staff_end_supply_check(request: HttpRequest, customer_id: int) -> HttpResponse:
    return check_step(request, _staff_flow(request, customer_id))
