"""Dunning holds: the only code that puts and releases them.

A hold is on one invoice (a billing dispute: dunning waits for that
invoice), on one ledger item (a payment plan's items) or on the account
itself (an agent's hold with an end date, a vulnerable customer, a returned
direct debit under review). Each names its `source` ("ticket:T-…",
"payment:17", "plan:3", "agent:5"): putting the same hold twice puts it once.
A hold with `until` ends by itself after that day."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from accounts.models import Account
from arrears.models import DunningHold
from billing.models import Invoice, LedgerEntry
from core import clock


def hold_put(
    *,
    reason: str,
    source: str,
    invoice: Invoice | None = None,
    entry: LedgerEntry | None = None,
    account: Account | None = None,
    note: str = "",
    until: dt.date | None = None,
    created_by: AbstractBaseUser | None = None,
) -> tuple[DunningHold, bool]:
    """Put a hold on `invoice`, on `entry` or, without either, on `account`.
    Returns (hold, created). An active hold from the same source is returned as it is."""
    if sum(target is not None for target in (invoice, entry, account)) != 1:
        raise TypeError("a dunning hold is on an invoice, a ledger item or an account")
    defaults = {"reason": reason, "note": note[:300], "until": until, "created_by": created_by}
    if invoice is not None:
        return DunningHold.objects.get_or_create(
            invoice=invoice, source=source, released_at=None, defaults={"account_id": invoice.account_id, **defaults}
        )
    if entry is not None:
        return DunningHold.objects.get_or_create(
            entry=entry,
            source=source,
            released_at=None,
            defaults={"account_id": entry.account_id, "invoice_id": None, **defaults},
        )
    return DunningHold.objects.get_or_create(
        account=account, invoice=None, entry=None, source=source, defaults=defaults
    )


def hold_release(
    *,
    source: str,
    as_of: dt.datetime,
    invoice: Invoice | None = None,
    account: Account | None = None,
) -> int:
    """Release the active holds `source` put on `invoice` or, without one, on
    `account` (its own and its items'). Returns how many were released."""
    if (invoice is None) == (account is None):
        raise TypeError("release the holds of an invoice or of an account")
    holds = DunningHold.objects.filter(released_at__isnull=True, source=source)
    holds = holds.filter(invoice=invoice) if invoice is not None else holds.filter(account=account)
    return holds.update(released_at=as_of)


def hold_release_one(*, hold: DunningHold, as_of: dt.datetime | None = None) -> bool:
    """An agent ends one hold early. False when it was released before."""
    return bool(
        DunningHold.objects.filter(pk=hold.pk, released_at__isnull=True).update(released_at=as_of or clock.now())
    )


def active_holds(*, as_of: dt.date | None = None) -> QuerySet[DunningHold]:
    """Every hold not released and not past its end date on `as_of` (default today)."""
    day = as_of or clock.today()
    return DunningHold.objects.filter(released_at__isnull=True).filter(Q(until__isnull=True) | Q(until__gte=day))


def account_holds(*, account: Account, include_released: bool = False) -> QuerySet[DunningHold]:
    """The account's holds, its own and its items', newest first."""
    holds = DunningHold.objects.filter(account=account) if include_released else active_holds().filter(account=account)
    return holds.select_related("invoice", "entry", "created_by").order_by("-created_at", "-id")


def invoice_holds(*, invoice: Invoice, include_released: bool = False) -> QuerySet[DunningHold]:
    """The invoice's holds, newest first."""
    holds = DunningHold.objects.filter(invoice=invoice) if include_released else active_holds().filter(invoice=invoice)
    return holds.order_by("-created_at", "-id")


def invoice_dunning_paused(*, invoice: Invoice) -> bool:
    """Whether dunning waits for this invoice (an active hold: dispute, plan)."""
    return active_holds().filter(invoice=invoice).exists()
