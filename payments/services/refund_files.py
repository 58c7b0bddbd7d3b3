"""Refunds to customers' IBANs go out as SEPA credit transfers: the pending
ones are written into one pain.001 file (each refund into one file, once);
the file is downloaded for the bank, and marked sent when the bank has
executed it, which completes its refunds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from billing.models import BillingSettings
from core import clock
from payments.files.pain001 import Debtor, Transfer, pain001_build
from payments.files.pain008 import next_banking_day
from payments.models import Refund, RefundBatch
from payments.services.payments import refund_succeed

ZERO = Decimal("0.00")


class RefundFileRefused(Exception):
    """The file cannot be marked so; the message is for the agent."""


def refund_end_to_end_id(refund: Refund) -> str:
    return f"REFUND-{refund.pk}"


def _remittance(refund: Refund) -> str:
    with translation.override(refund.account.customer.language):
        return _("Refund account %(account)s") % {"account": refund.account.number}


def refunds_awaiting_file():
    """Bank-transfer refunds still pending and not yet in a file."""
    return Refund.objects.filter(method=Refund.Method.SEPA_TRANSFER, status=Refund.Status.PENDING, batch__isnull=True)


def refund_file_write(*, as_of: dt.date) -> RefundBatch | None:
    """Write the pain.001 file of every refund waiting for one, executed on
    the next banking day from `as_of`; None when there is none."""
    company = BillingSettings.current()
    debtor = Debtor(name=company.supplier_name, iban=company.iban, bic=company.bic)
    execution_date = next_banking_day(as_of)
    with transaction.atomic():
        refunds = list(
            refunds_awaiting_file().select_for_update(of=("self",)).select_related("account__customer").order_by("id")
        )
        if not refunds:
            return None
        transfers = [
            Transfer(
                end_to_end_id=refund_end_to_end_id(refund),
                amount=refund.amount,
                creditor_name=refund.account_holder or refund.account.customer.display_name,
                iban=refund.iban,
                remittance=_remittance(refund),
            )
            for refund in refunds
        ]
        content, message_id = pain001_build(debtor=debtor, execution_date=execution_date, transfers=transfers)
        batch = RefundBatch.objects.create(
            execution_date=execution_date,
            message_id=message_id,
            total=sum((refund.amount for refund in refunds), ZERO),
            count=len(refunds),
        )
        batch.file.save(f"pain.001-{execution_date:%Y-%m-%d}-{batch.pk}.xml", ContentFile(content), save=True)
        Refund.objects.filter(pk__in=[refund.pk for refund in refunds]).update(batch=batch)
    return batch


def refund_batch_mark_downloaded(*, batch: RefundBatch, user) -> None:
    """Remember the first download of the file (who, when)."""
    updated = RefundBatch.objects.filter(pk=batch.pk, downloaded_at__isnull=True).update(
        downloaded_at=clock.now(), downloaded_by=user, status=RefundBatch.Status.DOWNLOADED
    )
    if updated:
        batch.refresh_from_db(fields=["downloaded_at", "downloaded_by", "status"])


def refund_batch_mark_sent(*, batch: RefundBatch, user) -> int:
    """The bank has executed the file: its refunds are complete. Returns how
    many were completed now; a file marked sent before completes nothing."""
    with transaction.atomic():
        locked = RefundBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status == RefundBatch.Status.CREATED:
            raise RefundFileRefused(_("Download the file and give it to the bank before marking it sent."))
        if locked.status == RefundBatch.Status.SENT:
            return 0
        locked.status = RefundBatch.Status.SENT
        locked.sent_at = clock.now()
        locked.sent_by = user
        locked.save(update_fields=["status", "sent_at", "sent_by"])
        pending = list(locked.refunds.filter(status=Refund.Status.PENDING).order_by("id"))
        for refund in pending:
            refund_succeed(refund=refund)
    batch.refresh_from_db()
    return len(pending)
