"""The back-office order pages (included under /staff/orders/): the queue
(new, scheduled, due today, overdue), one order with its appointment set or
moved (the customer is told), completed or cancelled after a confirmation,
and an order taken for a caller from the customer page (agent-only items
too; the channel says an agent placed it).

Permissions: seeing orders orders.view_order; ordering for a caller
orders.add_order; scheduling, completing and cancelling orders.change_order."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Customer
from core import clock
from core.staff import staff_required
from orders.forms import ScheduleForm, StaffCancelForm, StaffOrderForm
from orders.models import Order, Product
from orders.pages import (
    QUEUE_FILTERS,
    agreements_for,
    catalogue,
    order_page,
    orders_with_relations,
    queue,
    queue_counts,
    slots_for,
    slots_for_order,
)
from orders.services import OrderRefused, order_cancel, order_complete, order_place, order_quote, order_schedule

VIEW = "orders.view_order"
ADD = "orders.add_order"
CHANGE = "orders.change_order"
PER_PAGE = 50
CHANNEL = Order.Channel.AGENT


@staff_required(VIEW)
def order_queue(request: HttpRequest) -> HttpResponse:
    """Open orders by filter, with the count of each filter."""
    today = clock.today()
    key = request.GET.get("filter") or "new"
    if key not in QUEUE_FILTERS:
        key = "new"
    counts = queue_counts(today=today)
    page = Paginator(queue(key=key, today=today), PER_PAGE).get_page(request.GET.get("page"))
    tabs = [{"key": name, "label": label, "count": counts[name]} for name, label in QUEUE_FILTERS.items()]
    return render(request, "orders/staff/queue.html", {"tabs": tabs, "filter": key, "page": page, "today": today})


def _order(order_id: int) -> Order:
    return get_object_or_404(orders_with_relations(), pk=order_id)


def _detail(request: HttpRequest, order: Order, **extra: Any) -> HttpResponse:
    slots = slots_for_order(order=order, now=clock.now()) if order.is_open else []
    context = {
        "page": order_page(order=order, channel=CHANNEL),
        "order": order,
        "schedule_form": ScheduleForm(slots=slots) if slots else None,
        **extra,
    }
    return render(request, "orders/staff/order.html", context)


@staff_required(VIEW)
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    return _detail(request, _order(order_id))


@staff_required(VIEW, CHANGE)
@require_POST
def order_schedule_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """Set or move the appointment; the service tells the customer."""
    order = _order(order_id)
    form = ScheduleForm(request.POST, slots=slots_for_order(order=order, now=clock.now()))
    if form.is_valid():
        try:
            order_schedule(order=order, slot=form.chosen_slot, by=request.user)
        except OrderRefused as error:
            form.add_error("slot", str(error))
        else:
            messages.success(request, _("The appointment is set; the customer was told by e-mail."))
            return redirect("staff_orders:order", order_id=order.pk)
    return _detail(request, order, schedule_form=form)


@staff_required(VIEW, CHANGE)
@require_POST
def order_complete_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(order_id)
    try:
        order_complete(order=order, by=request.user)
    except OrderRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The order is completed."))
    return redirect("staff_orders:order", order_id=order.pk)


@staff_required(VIEW, CHANGE)
@require_http_methods(["GET", "POST"])
def order_cancel_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """Ask before cancelling: within the terms the invoice is credited and what
    was paid refunded; after the deadline only with the late-cancellation fee."""
    order = _order(order_id)
    data = order_page(order=order, channel=CHANNEL)
    late_fee = order.product.late_cancellation_fee if order.is_open and order.product.cancellable else None
    if data.cancel_refusal and late_fee is None:
        messages.error(request, data.cancel_refusal)
        return redirect("staff_orders:order", order_id=order.pk)
    form = StaffCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancellation = order_cancel(
                order=order,
                by=request.user,
                channel=CHANNEL,
                reason=form.cleaned_data["reason"],
                as_of=clock.today(),
                charge_late_fee=form.cleaned_data["charge_late_fee"],
            )
        except OrderRefused as error:
            form.add_error("charge_late_fee" if data.cancel_refusal else None, str(error))
        else:
            note = cancellation.credit_note
            messages.success(
                request,
                _("The order is cancelled; credit note %(number)s cancels the invoice.") % {"number": note.number}
                if note
                else _("The order is cancelled."),
            )
            if cancellation.fee_order is not None:
                messages.info(
                    request,
                    _("The late-cancellation fee is order %(id)s.") % {"id": cancellation.fee_order.pk},
                )
            if cancellation.refund_note:
                messages.info(request, cancellation.refund_note)
            return redirect("staff_orders:order", order_id=order.pk)
    return render(
        request, "orders/staff/cancel.html", {"page": data, "order": order, "form": form, "late_fee": late_fee}
    )


# --- Ordering for a caller ---------------------------------------------------------------------------------------


def _caller(customer_id: int) -> tuple[Customer, list]:
    customer = get_object_or_404(Customer, pk=customer_id)
    return customer, list(customer.accounts.select_related("customer").order_by("number", "id"))


@staff_required(VIEW, ADD)
def catalogue_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Everything the caller's accounts may order, agent-only items included."""
    customer, accounts = _caller(customer_id)
    agreements = agreements_for(accounts=accounts)
    items = catalogue(accounts=accounts, agreements=agreements, for_agent=True, as_of=clock.today())
    return render(request, "orders/staff/catalogue.html", {"customer": customer, "items": items})


@staff_required(VIEW, ADD)
@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest, customer_id: int, code: str) -> HttpResponse:
    """Quote, then confirm for the caller (channel AGENT); the same steps and rules as in the portal."""
    customer, accounts = _caller(customer_id)
    product = get_object_or_404(Product, code=code, active=True)
    today = clock.today()
    form = StaffOrderForm(
        request.POST or None,
        product=product,
        accounts=accounts,
        agreements=agreements_for(accounts=accounts),
        slots=slots_for(product=product, now=clock.now(), for_agent=True),
    )
    context: dict[str, Any] = {"customer": customer, "product": product, "form": form, "quote": None}
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "confirm" and (existing := form.placed_order()) is not None:
        return redirect("staff_orders:order", order_id=existing.pk)
    if action in ("quote", "confirm") and accounts and form.is_valid():
        values = {
            "account": form.chosen_account,
            "product": product,
            "quantity": form.cleaned_data["quantity"],
            "supply_point": form.chosen_supply_point,
            "slot": form.chosen_slot,
            "channel": CHANNEL,
            "as_of": today,
            "unit_price": form.cleaned_data.get("unit_price"),
        }
        try:
            if action == "confirm":
                order = order_place(
                    **values,
                    idempotency_key=form.cleaned_data["key"],
                    confirm=True,
                    by=request.user,
                    note=form.cleaned_data["note"],
                )
                messages.success(
                    request,
                    _("Order %(id)s is confirmed; invoice %(number)s was sent to the customer.")
                    % {"id": order.pk, "number": order.invoice.number if order.invoice else "—"},
                )
                return redirect("staff_orders:order", order_id=order.pk)
            context["quote"] = order_quote(**values)
            context.update(slot=form.chosen_slot, supply=form.chosen_supply_point)
        except OrderRefused as error:
            form.refusal_show(error)
    return render(request, "orders/staff/order_new.html", context)
