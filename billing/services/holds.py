"""Dunning holds: the only code that puts and releases them, and their reads.

A hold is on one invoice (dunning waits for that invoice: a billing dispute,
a payment plan) or, without an invoice, on the account (a returned direct
debit, a disputed card payment). Each names its `source` ("ticket:T-…",
"payment:17"): putting the same hold twice puts it once."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from accounts.models import Account
from billing.models import DunningHold, Invoice


def hold_put(
    *,
    reason: str,
    source: str,
    invoice: Invoice | None = None,
    account: Account | None = None,
    note: str = "",
) -> tuple[DunningHold, bool]:
    """Put a hold on `invoice` or, without one, on `account`. Returns (hold,
    created). An invoice's hold already active from the same source is
    returned as it is; an account's hold exists once per source, released or not."""
    if (invoice is None) == (account is None):
        raise TypeError("a dunning hold is on an invoice or on an account")
    if invoice is not None:
        return DunningHold.objects.get_or_create(
            invoice=invoice,
            source=source,
            released_at=None,
            defaults={"account_id": invoice.account_id, "reason": reason, "note": note[:300]},
        )
    return DunningHold.objects.get_or_create(
        account=account,
        invoice=None,
        source=source,
        defaults={"reason": reason, "note": note[:300]},
    )


def hold_release(
    *, source: str, as_of: dt.datetime, invoice: Invoice | None = None, account: Account | None = None
) -> int:
    """Release the active holds `source` put on `invoice` or, without one, on
    `account` itself. Returns how many were released (0 when none was active)."""
    if (invoice is None) == (account is None):
        raise TypeError("a dunning hold is on an invoice or on an account")
    holds = active_holds().filter(source=source)
    holds = holds.filter(invoice=invoice) if invoice is not None else holds.filter(account=account, invoice=None)
    return holds.update(released_at=as_of)


def active_holds() -> QuerySet[DunningHold]:
    """Every hold not released (filter it further, or use it in a subquery)."""
    return DunningHold.objects.filter(released_at__isnull=True)


def account_holds(*, account: Account, include_released: bool = False) -> QuerySet[DunningHold]:
    """The account's holds, its own and its invoices', newest first."""
    holds = DunningHold.objects.filter(account=account) if include_released else active_holds().filter(account=account)
    return holds.select_related("invoice").order_by("-created_at", "-id")


def invoice_holds(*, invoice: Invoice, include_released: bool = False) -> QuerySet[DunningHold]:
    """The invoice's holds, newest first."""
    holds = DunningHold.objects.filter(invoice=invoice) if include_released else active_holds().filter(invoice=invoice)
    return holds.order_by("-created_at", "-id")


def invoice_dunning_paused(*, invoice: Invoice) -> bool:
    """Whether dunning waits for this invoice (an active hold: dispute, plan)."""
    return active_holds().filter(invoice=invoice).exists()
