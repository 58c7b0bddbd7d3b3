"""Sending issued invoices and credit notes to the customer.

One delivery per document: `invoice_deliver` sets Invoice.delivered_at
under the row lock, so a retried or doubled task sends nothing the second
time. The channel is the one the bill was made for (the account's billing
preferences): an e-mail with the PDF, a notice that the bill is in the
portal, or a letter with the PDF that goes into the next print batch. Every
delivery is a message in the outbox. A customer without an e-mail address
gets a letter.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accounts.models import BillingPreferences
from billing.documents.pdf import RENDERED_STATES, invoice_pdf_ensure, invoice_pdf_filename
from billing.models import Invoice
from core import clock
from core.communications import Attachment, Recipient, message_send
from core.formats import money_format
from core.models import Channel, OutboxMessage

Delivery = BillingPreferences.DeliveryChannel


def invoice_channel(invoice: Invoice) -> str:
    """EMAIL, PORTAL or LETTER: the bill's own choice, else the account's preference."""
    if invoice.delivery_channel:
        return invoice.delivery_channel
    preferences = BillingPreferences.objects.filter(account_id=invoice.account_id).first()
    return preferences.delivery_channel if preferences else Delivery.EMAIL


def _recipient(invoice: Invoice) -> Recipient:
    """The customer, in the bill's language, at the bill's address."""
    return dataclasses.replace(
        invoice.account.customer.as_recipient(),
        language=invoice.language,
        postal_address="\n".join([invoice.customer_name, invoice.customer_address]),
    )


def _context(invoice: Invoice, *, channel: str) -> dict:
    amount = invoice.amount_due
    return {
        "invoice": invoice,
        "number": invoice.number,
        "original": invoice.cancels.number if invoice.cancels else "",
        "original_date": invoice.cancels.issue_date if invoice.cancels else None,
        "reason": invoice.details.get("reason", ""),
        "name": invoice.customer_name,
        "amount": money_format(abs(amount), language=invoice.language),
        "is_credit": amount < 0,
        "is_zero": amount == 0,
        "channel": channel,
        "bill_url": settings.SITE_URL + reverse("bills:bill", kwargs={"invoice_id": invoice.pk}),
    }


def invoice_deliver(*, invoice_id: int) -> OutboxMessage | None:
    """Send an issued (or since cancelled) invoice or credit note once; None
    when it went out already or is not issued (a held bill waits for release)."""
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("account__customer", "cancels")
            .get(pk=invoice_id)
        )
        if invoice.delivered_at is not None or invoice.status not in RENDERED_STATES:
            return None
        channel = invoice_channel(invoice)
        recipient = _recipient(invoice)
        if channel in (Delivery.EMAIL, Delivery.PORTAL) and not recipient.email:
            channel = Delivery.LETTER
        pdf = invoice_pdf_ensure(invoice_id=invoice.pk)
        attachments = [] if channel == Delivery.PORTAL else [Attachment(invoice_pdf_filename(invoice), pdf)]
        message = message_send(
            recipient=recipient,
            template="credit_note_issued" if invoice.is_credit_note else "invoice_issued",
            context=_context(invoice, channel=channel),
            channel=Channel.LETTER if channel == Delivery.LETTER else Channel.EMAIL,
            attachments=attachments,
        )
        Invoice.objects.filter(pk=invoice.pk).update(delivered_at=clock.now())
    return message
