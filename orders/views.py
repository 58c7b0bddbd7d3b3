"""The customer's order pages (included under /orders/): the catalogue,
ordering one item (choose, see the quote, confirm: the invoice follows at
once), "My orders", one order with its invoice and "Pay now", and
cancelling with a confirmation step. Another customer's order is 404."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Account, Customer
from accounts.queries import accounts_for_user
from core import clock
from orders.forms import CancelForm, ExpressStartForm, OrderForm, express_start_required
from orders.models import Order, Product
from orders.pages import agreements_for, catalogue, order_page, order_rows, orders_with_relations, slots_for
from orders.services import OrderRefused, order_cancel, order_confirm, order_place, order_quote

PER_PAGE = 25
CHANNEL = Order.Channel.PORTAL


def _customer(request: HttpRequest) -> Customer:
    customer = Customer.objects.filter(user=request.user).first()
    if customer is None:
        raise Http404
    return customer


def _accounts(request: HttpRequest) -> list[Account]:
    return list(accounts_for_user(request.user).select_related("customer").order_by("number", "id"))


def _own_order(request: HttpRequest, order_id: int) -> Order:
    return get_object_or_404(orders_with_relations(), pk=order_id, account__in=accounts_for_user(request.user))


def quote_url() -> str:
    """ "Ask us for a quote": a new inquiry to our team."""
    return reverse("support:ticket_new") + "?kind=INQUIRY"


@login_required
def catalogue_page(request: HttpRequest) -> HttpResponse:
    """What the customer may order for their supplies or their account, with the gross price."""
    customer = _customer(request)
    accounts = _accounts(request)
    agreements = agreements_for(accounts=accounts)
    items = catalogue(accounts=accounts, agreements=agreements, for_agent=False, as_of=clock.today())
    return render(
        request,
        "orders/catalogue.html",
        {"customer": customer, "items": items, "quote_url": quote_url(), "has_accounts": bool(accounts)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest, code: str) -> HttpResponse:
    """Choose supply, quantity and appointment ("quote"), then read the quote
    and confirm it ("confirm": the order is confirmed and invoiced at once).
    The form's hidden key makes a second click answer the first order."""
    _customer(request)
    accounts = _accounts(request)
    if not accounts:
        return redirect("onboarding")
    product = get_object_or_404(Product, code=code, active=True)
    if product.agent_only:
        raise Http404
    today = clock.today()
    form = OrderForm(
        request.POST or None,
        product=product,
        accounts=accounts,
        agreements=agreements_for(accounts=accounts),
        slots=slots_for(product=product, now=clock.now(), for_agent=False),
    )
    context: dict[str, Any] = {"product": product, "form": form, "quote": None, "quote_url": quote_url()}
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "confirm" and (order := form.placed_order()) is not None:
        return redirect("orders:order", order_id=order.pk)
    if action in ("quote", "confirm") and not product.quote_only and form.is_valid():
        values = {
            "account": form.chosen_account,
            "product": product,
            "quantity": form.cleaned_data["quantity"],
            "supply_point": form.chosen_supply_point,
            "slot": form.chosen_slot,
            "channel": CHANNEL,
            "as_of": today,
        }
        try:
            quote = order_quote(**values)
        except OrderRefused as error:
            form.refusal_show(error)
        else:
            required = express_start_required(
                withdrawal_right=quote.snapshot.get("withdrawal_right", False), slot=form.chosen_slot, today=today
            )
            express = ExpressStartForm(request.POST if action == "confirm" else None, required=required)
            context.update(quote=quote, express=express, slot=form.chosen_slot, supply=form.chosen_supply_point)
            if action == "confirm" and express.is_valid():
                order = _confirm(request, form, values, express.cleaned_data["express_start"])
                if order is not None:
                    return redirect("orders:order", order_id=order.pk)
                context["quote"] = None
    return render(request, "orders/order_new.html", context)


def _confirm(request: HttpRequest, form: OrderForm, values: dict[str, Any], express_start: bool) -> Order | None:
    try:
        order = order_place(
            **values,
            idempotency_key=form.cleaned_data["key"],
            confirm=True,
            by=request.user,
            express_start=express_start,
        )
    except OrderRefused as error:
        if (order := form.placed_order()) is not None:
            return order
        form.refusal_show(error)
        return None
    messages.success(request, _("Thank you for your order. Your invoice is below and was sent to you."))
    return order


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """The customer's orders, newest first: status, appointment, invoice, cancel where allowed."""
    customer = _customer(request)
    orders = orders_with_relations().filter(account__in=accounts_for_user(request.user)).order_by("-created_at", "-id")
    page = Paginator(orders, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/list.html",
        {"customer": customer, "page": page, "rows": order_rows(orders=list(page.object_list), channel=CHANNEL)},
    )


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    """One order: what was ordered and quoted, its invoice with "Pay now" (or the direct-debit date)."""
    order = _own_order(request, order_id)
    data = order_page(order=order, channel=CHANNEL)
    context: dict[str, Any] = {"page": data, "order": order, "pay_token": uuid.uuid4().hex}
    if order.is_quoted:
        context["express"] = ExpressStartForm(
            required=express_start_required(
                withdrawal_right=order.quote.get("withdrawal_right", False), slot=order.slot, today=clock.today()
            )
        )
    return render(request, "orders/order.html", context)


@login_required
@require_POST
def order_confirm_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """Confirm an order quoted earlier (e.g. in the app); a second click changes nothing."""
    order = _own_order(request, order_id)
    express = ExpressStartForm(
        request.POST,
        required=express_start_required(
            withdrawal_right=order.quote.get("withdrawal_right", False), slot=order.slot, today=clock.today()
        ),
    )
    if order.is_quoted and not express.is_valid():
        data = order_page(order=order, channel=CHANNEL)
        return render(request, "orders/order.html", {"page": data, "order": order, "express": express})
    try:
        order_confirm(
            order=order,
            by=request.user,
            channel=CHANNEL,
            as_of=clock.today(),
            express_start=bool(express.is_valid() and express.cleaned_data["express_start"]),
        )
    except OrderRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Thank you for your order. Your invoice is below and was sent to you."))
    return redirect("orders:order", order_id=order.pk)


@login_required
@require_http_methods(["GET", "POST"])
def order_cancel_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """Ask before cancelling; cancelled within the terms, the invoice gets a credit note and what was paid goes back."""
    order = _own_order(request, order_id)
    data = order_page(order=order, channel=CHANNEL)
    if data.cancel_refusal:
        messages.error(request, data.cancel_refusal)
        return redirect("orders:order", order_id=order.pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancellation = order_cancel(
                order=order, by=request.user, channel=CHANNEL, reason=form.cleaned_data["reason"], as_of=clock.today()
            )
        except OrderRefused as error:
            messages.error(request, str(error))
        else:
            if cancellation.credit_note is not None:
                messages.success(
                    request,
                    _("Your order is cancelled. Credit note %(number)s cancels the invoice.")
                    % {"number": cancellation.credit_note.number},
                )
            else:
                messages.success(request, _("Your order is cancelled."))
            if cancellation.refund_note:
                messages.info(request, cancellation.refund_note)
        return redirect("orders:order", order_id=order.pk)
    return render(request, "orders/cancel.html", {"page": data, "order": order, "form": form})
