"""The payment history as files: CSV for spreadsheets and a PDF statement
(WeasyPrint, no external resources, like the billing documents)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Customer
from core.formats import money_format
from payments.queries.payments import PaymentRow

CSV_COLUMNS = (
    "date",
    "account_number",
    "amount",
    "currency",
    "method",
    "status",
    "reference",
    "invoices_paid",
    "refunded",
)
PDF_TEMPLATE = "payments/documents/statement.html"


def history_csv(rows: list[PaymentRow]) -> str:
    """One line a payment; amounts with a decimal point, the bills it paid as
    "number:amount" separated by "; ". Method and status in the active language."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        payment = row.payment
        writer.writerow(
            [
                payment.received_on.isoformat(),
                payment.account.number,
                f"{payment.amount:.2f}",
                payment.currency,
                payment.get_method_display(),
                payment.get_status_display(),
                payment.reference or payment.provider_ref,
                "; ".join(f"{item.label}:{item.amount:.2f}" for item in row.allocations),
                f"{row.refunded:.2f}",
            ]
        )
    return out.getvalue()


def history_pdf(
    *, customer: Customer, rows: list[PaymentRow], year: int | None, language: str, as_of: dt.date
) -> bytes:
    """The payment history as an A4 statement in `language`."""
    with translation.override(language):
        lines = [
            {
                "date": row.payment.received_on,
                "account": row.payment.account.number,
                "amount": money_format(row.payment.amount, language=language),
                "method": row.payment.get_method_display(),
                "status": row.payment.get_status_display(),
                "reference": row.payment.reference,
                "paid": [f"{item.label} ({money_format(item.amount, language=language)})" for item in row.allocations],
            }
            for row in rows
        ]
        total = sum((row.payment.amount for row in rows if row.payment.is_succeeded), Decimal("0.00"))
        html = render_to_string(
            PDF_TEMPLATE,
            {
                "language": language,
                "customer": customer,
                "company": {
                    "name": settings.COMPANY_NAME,
                    "address": settings.COMPANY_ADDRESS,
                    "hotline": settings.COMPANY_HOTLINE,
                    "email": settings.COMPANY_EMAIL,
                },
                "year": year,
                "as_of": as_of,
                "lines": lines,
                "total": money_format(total, language=language),
                "title": _("Payment history"),
            },
        )
    import weasyprint  # loaded when a PDF is made, not at start-up

    return weasyprint.HTML(string=html).write_pdf()
