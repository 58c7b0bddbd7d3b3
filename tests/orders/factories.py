"""Products, slots and orders for the order tests, built through the real services."""

import datetime as dt
from decimal import Decimal

from accounts.models import Account
from orders.models import AppointmentSlot, Order, Product, VatCategory
from orders.services import order_place


def product_make(code: str = "VISIT", **fields) -> Product:
    values = {
        "name_de": f"Leistung {code}",
        "name_en": f"Service {code}",
        "net_price": Decimal("75.00"),
        "vat_category": VatCategory.STANDARD,
        "ordered_by": Product.OrderedBy.CUSTOMER,
        "cancellable": True,
        "cancel_until_hours": 24,
    }
    values.update(fields)
    return Product.objects.create(code=code, **values)


def slot_make(product: Product, *, starts_at: dt.datetime, hours: int = 2, capacity: int = 1) -> AppointmentSlot:
    return AppointmentSlot.objects.create(
        product=product, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=hours), capacity=capacity
    )


def order_made(
    account: Account,
    product: Product,
    *,
    as_of: dt.date,
    confirm: bool = True,
    key: str = "k1",
    quantity: int = 1,
    channel: str = Order.Channel.PORTAL,
    **options,
) -> Order:
    return order_place(
        account=account,
        product=product,
        quantity=quantity,
        channel=channel,
        idempotency_key=key,
        confirm=confirm,
        as_of=as_of,
        **options,
    )
