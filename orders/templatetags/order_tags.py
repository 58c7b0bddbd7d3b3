"""Template tags of the order pages: a VAT rate as a percentage, the
orders card on the customer's dashboard, the count of new orders in the
back-office navigation and the orders tab of the staff customer page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import formats

from accounts.models import Account, Customer
from orders.models import Order
from orders.pages import new_orders_count, open_orders, order_rows, orders_with_relations

register = template.Library()

CUSTOMER_PAGE_ORDERS = 50


@register.filter
def percent(rate: Decimal | None) -> str:
    """0.19 -> "19 %" (German) / "19%" (English)."""
    if rate is None:
        return ""
    hundred = rate * 100
    shown = hundred.quantize(Decimal(1)) if hundred == hundred.to_integral_value() else hundred.normalize()
    value = formats.number_format(shown, use_l10n=True)
    return f"{value}\u00a0%" if formats.get_format("DECIMAL_SEPARATOR") == "," else f"{value}%"


@register.inclusion_tag("orders/_dashboard.html", takes_context=True)
def dashboard_orders(context: dict[str, Any], accounts: list[Account]) -> dict[str, Any]:
    """The customer's open orders with their appointments, and the way to order."""
    return {"orders": open_orders(accounts=list(accounts)), "perms": context.get("perms")}


@register.simple_tag
def orders_waiting() -> int:
    return new_orders_count()


@register.inclusion_tag("orders/staff/_customer_orders.html", takes_context=True)
def staff_customer_orders(context: dict[str, Any], customer: Customer) -> dict[str, Any]:
    """The orders tab of the customer page: the customer's latest orders and "New order"."""
    orders = list(
        orders_with_relations().filter(account__customer=customer).order_by("-created_at", "-id")[:CUSTOMER_PAGE_ORDERS]
    )
    return {
        "customer": customer,
        "rows": order_rows(orders=orders, channel=Order.Channel.AGENT),
        "perms": context["perms"],
        "shown": CUSTOMER_PAGE_ORDERS,
    }
