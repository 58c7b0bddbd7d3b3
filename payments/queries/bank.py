"""What the back-office bank pages show: direct-debit files with their
collections, imported statements and the reconciliation queue."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from payments.models import BankStatement, BankTransaction, SepaBatch, SepaCollection
from payments.services.bank_statements import QUEUE_STATES
from payments.services.sepa import PENDING_STATES

BATCHES_SHOWN = 50
STATEMENTS_SHOWN = 30
QUEUE_LIMIT = 200


def sepa_batches(*, limit: int = BATCHES_SHOWN) -> QuerySet[SepaBatch]:
    """The latest files with how many collections wait, were confirmed or came back."""
    return (
        SepaBatch.objects.select_related("downloaded_by")
        .annotate(
            pending=Count("collections", filter=Q(collections__status__in=PENDING_STATES)),
            confirmed=Count("collections", filter=Q(collections__status=SepaCollection.Status.CONFIRMED)),
            returned=Count("collections", filter=Q(collections__status=SepaCollection.Status.RETURNED)),
        )
        .order_by("-collection_date", "-id")[:limit]
    )


def sepa_batch_collections(*, batch: SepaBatch) -> QuerySet[SepaCollection]:
    return batch.collections.select_related("account__customer", "mandate", "payment").order_by("account__number", "id")


def sepa_batches_pending_count() -> int:
    """Files whose collections the bank has not confirmed yet."""
    return SepaBatch.objects.filter(collections__status__in=PENDING_STATES).values("pk").distinct().count()


def bank_statements(*, limit: int = STATEMENTS_SHOWN) -> QuerySet[BankStatement]:
    """The latest imports with their lines counted by outcome."""

    def counted(*states: str) -> Count:
        return Count("transactions", filter=Q(transactions__status__in=states))

    return (
        BankStatement.objects.select_related("imported_by")
        .annotate(
            lines=Count("transactions"),
            matched=counted(BankTransaction.Status.MATCHED, BankTransaction.Status.ASSIGNED),
            waiting=counted(*QUEUE_STATES),
            returns=counted(BankTransaction.Status.RETURN_PROCESSED),
        )
        .order_by("-created_at", "-id")[:limit]
    )


def reconciliation_queue(*, limit: int = QUEUE_LIMIT) -> QuerySet[BankTransaction]:
    """Lines waiting for an agent, oldest first."""
    return (
        BankTransaction.objects.filter(status__in=QUEUE_STATES)
        .select_related("statement")
        .order_by("booking_date", "id")[:limit]
    )


def reconciliation_count() -> int:
    return BankTransaction.objects.filter(status__in=QUEUE_STATES).count()
