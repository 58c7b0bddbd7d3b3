"""Orders: quoting, placing, confirming (invoiced at once), scheduling,
completing and cancelling one-off orders. Every service is keyword-only,
runs in one transaction and is safe to call twice.

Published names (stable):

- `order_quote(*, account, product, quantity=1, supply_point=None, slot=None, channel, as_of) -> Quote`
  prices without saving; raises OrderRefused.
- `order_place(*, account, product, quantity=1, supply_point=None, slot=None, channel, idempotency_key,
  confirm, by=None, as_of, express_start=False, unit_price=None, note="") -> Order`
  saves a QUOTED order (and confirms it with `confirm=True`); the same key again returns the first order.
- `order_confirm(*, order, by=None, channel, as_of, express_start=False) -> Order`
  CONFIRMED + the ORDER invoice issued, booked, delivered after commit, payment arranged; twice = once.
- `order_cancel(*, order, by=None, channel, reason="", as_of, charge_late_fee=False) -> Cancellation`
  within the terms: credit note + refund of what was paid; outside: OrderRefused (an agent may
  cancel late with `charge_late_fee=True`: the fee is a new order).
- `order_cancel_check(*, order, channel, now) -> str`: "" when cancelling is allowed, else the reason.
- `order_schedule(*, order, slot, by) -> Order`: set or move the appointment; the customer is told.
- `order_complete(*, order, by) -> Order`.
- `order_create_for_system(*, account, product_code, idempotency_key, as_of, supply_point=None,
  by=None, note="") -> Order`: an order the system (or an agent on its behalf) places and confirms.
- `slots_bookable(*, product, now) -> list[AppointmentSlot]`: free slots after the lead time.
- `slots_open(*, product, first_day, days, capacity=2) -> int`: offer working-day slots (demo, admin helpers).
- Exceptions: OrderRefused(message, field=..., code=...).
"""

from orders.services.orders import (
    Cancellation,
    OrderRefused,
    Quote,
    order_cancel,
    order_cancel_check,
    order_complete,
    order_confirm,
    order_create_for_system,
    order_place,
    order_quote,
    order_schedule,
    slots_bookable,
    slots_open,
)

__all__ = [
    "Cancellation",
    "OrderRefused",
    "Quote",
    "order_cancel",
    "order_cancel_check",
    "order_complete",
    "order_confirm",
    "order_create_for_system",
    "order_place",
    "order_quote",
    "order_schedule",
    "slots_bookable",
    "slots_open",
]
