"""Billing's models, one module a topic: settings, invoices and ledger, bill runs."""

from billing.models.invoices import (
    Instalment,
    Invoice,
    InvoiceLine,
    InvoiceReading,
    LedgerClearing,
    LedgerEntry,
)
from billing.models.print import PrintBatch, PrintBatchLetter
from billing.models.runs import BillRun, BillRunItem
from billing.models.settings import BillingSettings

__all__ = [
    "BillRun",
    "BillRunItem",
    "BillingSettings",
    "Instalment",
    "Invoice",
    "InvoiceLine",
    "InvoiceReading",
    "LedgerClearing",
    "LedgerEntry",
    "PrintBatch",
    "PrintBatchLetter",
]
