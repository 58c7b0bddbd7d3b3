"""How outages hears of customer-specific interruptions below it: a
disconnection carried out and the reconnection (arrears), a completed meter
exchange (orders). Each is recorded as an interruption of that supply point."""

from __future__ import annotations


def on_disconnection_recorded(sender, *, order, event: str, on, by=None, **kwargs) -> None:
    from outages.services.customer import disconnection_interruption_record

    disconnection_interruption_record(order=order, event=event, on=on, by=by)


def on_order_completed(sender, *, order, by=None, **kwargs) -> None:
    from outages.services.customer import meter_exchange_interruption_record

    meter_exchange_interruption_record(order=order, by=by)


def connect() -> None:
    from arrears.signals import disconnection_recorded
    from orders.signals import order_completed

    disconnection_recorded.connect(on_disconnection_recorded, dispatch_uid="outages_disconnection_recorded")
    order_completed.connect(on_order_completed, dispatch_uid="outages_order_completed")
