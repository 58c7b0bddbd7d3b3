"""The payment history as files: CSV for spreadsheets and a PDF statement;
and the closing letter after the final bill (WeasyPrint, no external
resources, like the billing documents)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Customer, SepaMandate
from billing.models import BillingSettings
from core.formats import money_format
from meters.models import Read
from meters.readings import ValueMethod
from payments.models import Refund, Settlement
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


# --- The closing letter after the final bill ------------------------------------------

CLOSING_LETTER_TEMPLATE = "payments/documents/closing_letter.html"


def _reading_method(method: str, source: str) -> str:
    try:
        label = str(ValueMethod(method).label)
    except ValueError:
        label = method
    if source and source in Read.Source.values:
        return f"{label} ({Read.Source(source).label})"
    return label


def closing_letter_context(*, settlement: Settlement, as_of: dt.date) -> dict:
    """What the closing letter says, in the customer's language: the final
    reads, the final bill and how the balance is settled."""
    account = settlement.account
    customer = account.customer
    invoice = settlement.final_invoice
    language = customer.language
    company = BillingSettings.current()
    mandate = SepaMandate.objects.filter(account=account, status=SepaMandate.Status.ACTIVE).order_by("-id").first()
    with translation.override(language):
        readings = [
            {
                "meter_serial": reading.meter_serial,
                "obis": reading.obis,
                "value": reading.end_value,
                "unit": reading.unit,
                "method": _reading_method(reading.end_method, reading.end_source),
            }
            for reading in invoice.readings.order_by("meter_serial", "obis", "id")
        ]
        refunds = [
            {
                "amount": refund.amount,
                "is_card": refund.method == Refund.Method.CARD,
                "masked_iban": refund.masked_iban,
            }
            for refund in settlement.refunds.exclude(status=Refund.Status.FAILED).order_by("id")
        ]
    refunded = sum((refund["amount"] for refund in refunds), Decimal("0.00"))
    return {
        "language": language,
        "account": account,
        "customer": customer,
        "company": {
            "name": company.supplier_name,
            "address": settings.COMPANY_ADDRESS,
            "hotline": settings.COMPANY_HOTLINE,
            "email": settings.COMPANY_EMAIL,
            "iban": company.iban,
            "bic": company.bic,
        },
        "written_on": as_of,
        "invoice": invoice,
        "end_date": invoice.period_end,
        "readings": readings,
        "balance": settlement.balance,
        "credit": settlement.credit,
        "refunds": refunds,
        "refund_due_on": settlement.refund_due_on,
        "credit_left": max(settlement.credit - refunded, Decimal("0.00")),
        "debt": settlement.balance if settlement.is_debt else Decimal("0.00"),
        "direct_debit": bool(mandate and account.pays_by_direct_debit),
        "masked_iban": mandate.masked_iban if mandate else "",
        "mandate_reference": mandate.reference if mandate else "",
    }


def closing_letter_pdf(*, context: dict) -> bytes:
    """The closing letter as an A4 PDF (see `closing_letter_context`)."""
    with translation.override(context["language"]):
        html = render_to_string(CLOSING_LETTER_TEMPLATE, context)
    import weasyprint  # loaded when a PDF is made, not at start-up

    return weasyprint.HTML(string=html).write_pdf()
