"""The customer's meter reads page (/reads/): per supply and register the last
read, the range we expect, a form that gives its verdict at once (HTMX, or a
whole page without JavaScript), the monthly consumption chart and the read
history; and the whole history of one supply, page by page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from accounts.models import Customer
from core import clock
from metering.forms import ReadSubmitForm, form_prefix, read_form
from metering.queries.reads import (
    HISTORY_PAGE_SIZE,
    RegisterPanel,
    SupplyReads,
    customer_agreement,
    customer_reads,
    customer_register,
    history_queryset,
    history_rows,
    register_panel,
    submit_refusal,
)
from metering.services.intake import IntakeResult, RegisterNotFound, read_submit
from meters.models import Read, Register
from meters.readings import Verdict

TEMPLATE = "metering/reads.html"


@dataclass(frozen=True)
class VerdictView:
    """What the customer is told after sending a reading."""

    kind: str  # accepted | rollover | saved_suspect | suspect | rejected | refused
    message: str
    reason: str = ""

    @property
    def css(self) -> str:
        return {
            "accepted": "alert-success",
            "rollover": "alert-success",
            "saved_suspect": "alert-info",
            "suspect": "alert-warning",
        }.get(self.kind, "alert-danger")

    @property
    def asks_to_confirm(self) -> bool:
        return self.kind == "suspect"


def _number(value: Decimal) -> str:
    return formats.number_format(value.normalize(), force_grouping=True)


def _higher(result: IntakeResult, *, value: Decimal, digits: int) -> bool | None:
    """Whether a suspect reading's consumption lies above the expected band (else below)."""
    check = result.check
    if check is None or check.consumption is None or check.expected_low is None or check.expected_high is None:
        return None
    register_range = Decimal(10) ** digits
    highest_consumption = (check.expected_high - value + check.consumption) % register_range
    return check.consumption > highest_consumption


def verdict_of(result: IntakeResult, *, register: Register, value: Decimal) -> VerdictView:
    unit = register.get_unit_display()
    check = result.check
    if result.verdict == Verdict.ACCEPTED:
        if result.duplicate:
            return VerdictView("accepted", _("We have this reading already. Thank you."))
        consumption = check.consumption if check else None
        if check is not None and check.rollover:
            message = _(
                "Thank you, your reading is saved. Your meter went past its highest value and started again "
                "from zero; that makes %(consumption)s %(unit)s since the previous reading."
            ) % {"consumption": _number(consumption), "unit": unit}
            return VerdictView("rollover", message)
        if consumption is None:
            return VerdictView("accepted", _("Thank you, your reading is saved."))
        message = _("Thank you, your reading is saved: %(consumption)s %(unit)s since the previous reading.") % {
            "consumption": _number(consumption),
            "unit": unit,
        }
        return VerdictView("accepted", message)
    if result.verdict == Verdict.SUSPECT and result.read is not None:
        return VerdictView(
            "saved_suspect",
            _("Thank you, your reading is saved. Our staff will check it and contact you if anything is unclear."),
        )
    if result.verdict == Verdict.SUSPECT:
        higher = _higher(result, value=value, digits=register.digits)
        if higher is None:
            return VerdictView("suspect", _("This reading is not what we expected."), reason=result.reason)
        expected = {"low": _number(check.expected_low), "high": _number(check.expected_high), "unit": unit}
        if higher:
            message = _("This reading is much higher than expected (range %(low)s – %(high)s %(unit)s).") % expected
        else:
            message = _("This reading is much lower than expected (range %(low)s – %(high)s %(unit)s).") % expected
        return VerdictView("suspect", message, reason=result.reason)
    return VerdictView("rejected", _("We cannot take this reading."), reason=result.reason)


def _customer(request: HttpRequest) -> Customer | None:
    return Customer.objects.filter(user=request.user).first()


def _with_forms(supplies: list[SupplyReads], *, today: dt.date, bound: dict[int, Any] | None = None) -> None:
    """Give every register panel its form (the one just sent, where it is in `bound`)."""
    bound = bound or {}
    for supply in supplies:
        for panel in supply.panels:
            panel.form, panel.verdict = bound.get(panel.register.pk) or (
                read_form(register=panel.register, today=today),
                None,
            )


@login_required
@require_GET
def reads(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if customer is None:
        return redirect("onboarding")
    now = clock.now()
    supplies = customer_reads(customer=customer, as_of=now)
    _with_forms(supplies, today=timezone.localtime(now).date())
    return render(request, TEMPLATE, {"supplies": supplies})


@login_required
@require_POST
def read_send(request: HttpRequest, register_id: int) -> HttpResponse:
    """One register's reading: the verdict in place (HTMX), or the whole page with it."""
    customer = get_object_or_404(Customer, user=request.user)
    found = customer_register(customer=customer, register_id=register_id)
    if found is None:
        raise Http404
    register, agreement = found
    now = clock.now()
    today = timezone.localtime(now).date()
    refusal = submit_refusal(agreement, day=today)
    if refusal and not request.htmx:
        messages.error(request, refusal)
        return redirect("reads:reads")
    form = ReadSubmitForm(request.POST, request.FILES, prefix=form_prefix(register), today=today)
    verdict: VerdictView | None = None
    stored = False
    if refusal:
        verdict = VerdictView("refused", refusal)
    elif form.is_valid():
        value = form.cleaned_data["value"]
        try:
            result = read_submit(
                register=register,
                taken_at=form.taken_at(now=now),
                value=value,
                source=Read.Source.CUSTOMER,
                confirm_suspect=form.cleaned_data["confirm_suspect"],
                customer=customer,
                photo=form.cleaned_data["photo"],
                now=now,
            )
        except RegisterNotFound as error:
            raise Http404 from error
        verdict = verdict_of(result, register=register, value=value)
        stored = result.read is not None

    if request.htmx:
        if stored:
            # The last read and the range change: redraw the register with an empty form.
            panel = register_panel(agreement=agreement, register=register, as_of=clock.now())
            panel.form, panel.verdict = read_form(register=register, today=today), verdict
            response = render(request, f"{TEMPLATE}#register", {"panel": panel})
            return reswap(retarget(response, f"#{panel.dom_id}"), "outerHTML")
        panel = RegisterPanel(register=register, label="", last_read=None, expected=None, form=form, verdict=verdict)
        return render(request, f"{TEMPLATE}#verdict", {"panel": panel})

    supplies = customer_reads(customer=customer, as_of=clock.now())
    sent = read_form(register=register, today=today) if stored else form
    _with_forms(supplies, today=today, bound={register.pk: (sent, verdict)})
    return render(request, TEMPLATE, {"supplies": supplies})


@login_required
@require_GET
def read_history(request: HttpRequest, agreement_id: int) -> HttpResponse:
    """Every read of one supply while the customer was supplied, newest first."""
    customer = get_object_or_404(Customer, user=request.user)
    agreement = customer_agreement(customer=customer, agreement_id=agreement_id)
    if agreement is None:
        raise Http404
    page = Paginator(history_queryset(agreement=agreement), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "metering/history.html",
        {
            "agreement": agreement,
            "page": page,
            "rows": history_rows(page.object_list),
            "back_url": f"{reverse('reads:reads')}#supply-{agreement.pk}",
        },
    )
