"""Reads for the settlement pages: the agents' list of settlements after
final bills (refunds due and sent) and of refund transfer files, and a
customer's closing letters."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from payments.models import Refund, RefundBatch, Settlement

SETTLEMENTS_SHOWN = 100
BATCHES_SHOWN = 30


def settlements_list(*, open_only: bool, limit: int = SETTLEMENTS_SHOWN) -> list[Settlement]:
    """Open settlements (refund due first), or the latest of all, with their refunds."""
    rows = Settlement.objects.select_related("account__customer", "final_invoice").prefetch_related(
        Prefetch("refunds", queryset=Refund.objects.select_related("batch").order_by("id"))
    )
    if open_only:
        rows = rows.filter(status=Settlement.Status.OPEN).order_by("refund_due_on", "id")
    else:
        rows = rows.order_by("-created_at", "-id")
    return list(rows[:limit])


def refund_batches(*, limit: int = BATCHES_SHOWN) -> QuerySet[RefundBatch]:
    return RefundBatch.objects.select_related("downloaded_by", "sent_by").order_by("-execution_date", "-id")[:limit]


def closing_letters(*, accounts) -> QuerySet[Settlement]:
    """The closing letters sent for these accounts, newest first."""
    return (
        Settlement.objects.filter(account__in=accounts, letter_sent_at__isnull=False)
        .select_related("account", "final_invoice")
        .order_by("-letter_sent_at", "-id")
    )
