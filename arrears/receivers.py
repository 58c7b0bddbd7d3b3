"""How arrears hears of what happens below it: a returned payment holds the
account's dunning for a review; a booked payment closes a case with nothing
overdue left (the customer is not reminded again); arrears' holds keep items
out of direct debits; the reconnection fee (orders) is for accounts with an
approved disconnection."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from core import clock


def on_payment_returned(sender, *, payment, kind: str, reason_code: str, as_of: dt.date, **kwargs) -> None:
    from arrears.services.holds import hold_put

    hold_put(
        account=payment.account,
        reason=kind,
        source=f"payment:{payment.pk}",
        note=reason_code,
        until=as_of + dt.timedelta(days=settings.DUNNING_RETURN_REVIEW_DAYS),
    )


def on_payment_booked(sender, *, payment, as_of: dt.date, **kwargs) -> None:
    from arrears.services.cases import case_close_if_paid

    case_close_if_paid(account=payment.account, as_of=max(as_of, clock.today()))


def held_items() -> Exists:
    from arrears.services.holds import active_holds

    return Exists(active_holds().filter(Q(invoice_id=OuterRef("invoice_id")) | Q(entry_id=OuterRef("pk"))))


def has_approved_disconnection(account) -> bool:
    """Orders' rule REQUIRES_DISCONNECTION: the reconnection fee is only for an
    account whose disconnection a supervisor approved (or that was carried out)."""
    from arrears.models import DisconnectionOrder

    return DisconnectionOrder.objects.filter(
        account=account, status__in=(DisconnectionOrder.Status.APPROVED, DisconnectionOrder.Status.DISCONNECTED)
    ).exists()


def connect() -> None:
    from orders.models import Product
    from orders.rules import order_rule_register
    from payments.services.sepa import collection_exclusion_register
    from payments.signals import payment_booked, payment_returned

    payment_returned.connect(on_payment_returned, dispatch_uid="arrears_payment_returned")
    payment_booked.connect(on_payment_booked, dispatch_uid="arrears_payment_booked")
    collection_exclusion_register(held_items)
    order_rule_register(Product.Rule.REQUIRES_DISCONNECTION, has_approved_disconnection)
