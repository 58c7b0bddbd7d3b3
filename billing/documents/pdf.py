"""Invoice and credit note PDFs (WeasyPrint), rendered once and kept.

`invoice_pdf_render` draws the document from the invoice's own data (see
billing.documents.presenter) in the invoice's language; for a business
customer the PDF is a PDF/A-3 with the Factur-X EN 16931 XML inside.
`invoice_pdf_ensure` is what downloads and delivery call: it renders and
stores the PDF the first time, under a row lock, and afterwards only reads
the stored file, so an issued document never changes. A held or discarded
bill has no PDF.
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from billing.documents.einvoice import einvoice_embed, einvoice_xml
from billing.documents.presenter import invoice_view
from billing.models import Invoice

TEMPLATE = "billing/documents/invoice.html"
RENDERED_STATES = (Invoice.Status.ISSUED, Invoice.Status.CANCELLED)


class InvoiceNotIssued(Exception):
    """Only issued (or later cancelled) documents have a PDF."""


def invoice_pdf_filename(invoice: Invoice) -> str:
    return f"{invoice.number}.pdf"


def invoice_pdf_render(*, invoice: Invoice) -> bytes:
    """The invoice as an A4 PDF in its language; with the e-invoice embedded for business customers."""
    if invoice.status not in RENDERED_STATES:
        raise InvoiceNotIssued(_("A bill gets its PDF when it is issued."))
    with translation.override(invoice.language):
        html = render_to_string(TEMPLATE, {"bill": invoice_view(invoice=invoice)})
        import weasyprint  # loaded when a PDF is made, not at start-up

        pdf = weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/a-3b" if invoice.is_business else None)
    if invoice.is_business:
        pdf = einvoice_embed(pdf=pdf, xml=einvoice_xml(invoice=invoice), invoice=invoice)
    return pdf


def invoice_pdf_ensure(*, invoice_id: int) -> bytes:
    """The stored PDF of an issued invoice, rendered and stored on the first call (idempotent)."""
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",)).select_related("account", "cancels").get(pk=invoice_id)
        )
        if invoice.pdf:
            with invoice.pdf.open("rb") as handle:
                return handle.read()
        content = invoice_pdf_render(invoice=invoice)
        invoice.pdf.save(invoice_pdf_filename(invoice), ContentFile(content), save=False)
        # A queryset update: the stored file is the only thing that changes on an issued document.
        Invoice.objects.filter(pk=invoice.pk).update(pdf=invoice.pdf.name)
    return content
