"""Print batches for the print shop: every letter queued in the outbox up to
a day and not printed yet, in one PDF: per letter a cover page (sender,
address window, date, subject, the letter's text), then its PDF attachments
(the bill). A day has one batch; asking again returns it, and a letter is
in one batch only."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from pypdf import PdfReader, PdfWriter

from billing.models import BillingSettings, PrintBatch, PrintBatchLetter
from core import clock
from core.models import Channel, OutboxMessage

COVER_TEMPLATE = "billing/documents/letter.html"
PDF = "application/pdf"


def _cover(message: OutboxMessage, *, rules: BillingSettings) -> bytes:
    supplier = {
        "name": rules.supplier_name,
        "address_lines": rules.supplier_address_lines[1:],
        "hotline": rules.hotline,
        "email": rules.support_email,
    }
    with translation.override(message.language):
        html = render_to_string(
            COVER_TEMPLATE,
            {
                "language": message.language,
                "supplier": supplier,
                "date": timezone.localtime(message.created_at).date(),
                "address_lines": [line for line in message.to_address.splitlines() if line.strip()],
                "subject": message.subject,
                "body": message.body,
            },
        )
    import weasyprint  # loaded when a PDF is made, not at start-up

    return weasyprint.HTML(string=html).write_pdf()


def letters_to_print(*, batch_date: dt.date) -> list[OutboxMessage]:
    """Letters queued before the end of `batch_date` that no batch holds, oldest first."""
    return list(
        OutboxMessage.objects.filter(
            channel=Channel.LETTER,
            created_at__lt=clock.start_of_day(batch_date + dt.timedelta(days=1)),
            print_batch_letter__isnull=True,
        )
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def print_batch_make(*, batch_date: dt.date) -> PrintBatch | None:
    """The batch of `batch_date`, made on the first call; None when no letter waits."""
    existing = PrintBatch.objects.filter(batch_date=batch_date).first()
    if existing is not None:
        return existing
    letters = letters_to_print(batch_date=batch_date)
    if not letters:
        return None
    rules = BillingSettings.current()
    writer = PdfWriter()
    rows = []
    for position, message in enumerate(letters, start=1):
        rows.append(PrintBatchLetter(message=message, position=position, first_page=len(writer.pages) + 1))
        writer.append(PdfReader(io.BytesIO(_cover(message, rules=rules))))
        for attachment in message.attachments.all():
            if attachment.content_type == PDF:
                with attachment.file.open("rb") as handle:
                    writer.append(PdfReader(io.BytesIO(handle.read())))
    buffer = io.BytesIO()
    writer.write(buffer)
    batch = PrintBatch(batch_date=batch_date, letter_count=len(rows), page_count=len(writer.pages))
    batch.file.save(f"print-batch-{batch_date.isoformat()}.pdf", ContentFile(buffer.getvalue()), save=False)
    try:
        with transaction.atomic():
            batch.save()
            for row in rows:
                row.batch = batch
            PrintBatchLetter.objects.bulk_create(rows)
    except IntegrityError:
        # Another process made this day's batch (or took some of its letters) meanwhile.
        batch.file.delete(save=False)
        existing = PrintBatch.objects.filter(batch_date=batch_date).first()
        if existing is None:
            raise
        return existing
    return batch
