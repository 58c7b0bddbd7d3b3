"""Reading orders and the catalogue."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Account
from orders.models import Order, Product


def catalogue(*, utility: str = "", for_customers: bool = True) -> QuerySet[Product]:
    """Active products, those of `utility` and those for any supply; without
    the agent-only ones for customers."""
    products = Product.objects.filter(active=True)
    if utility:
        products = products.filter(Q(utility=utility) | Q(utility=""))
    if for_customers:
        products = products.exclude(ordered_by=Product.OrderedBy.AGENT)
    return products.order_by("position", "code", "id")


def account_orders(*, account: Account) -> QuerySet[Order]:
    """The account's orders, newest first, with what a list shows (one query)."""
    return (
        Order.objects.filter(account=account)
        .select_related("product", "slot", "invoice", "supply_point")
        .order_by("-created_at", "-id")
    )
