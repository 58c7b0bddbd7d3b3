"""Billing's models, one module a topic: supply (tariffs, VAT, agreements,
preferences, read imports), settings, invoices and ledger, bill runs."""

from billing.models.invoices import (
    DunningHold,
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
from billing.models.supply import (
    BillingPreferences,
    ReadImportJob,
    ServiceAgreement,
    Tariff,
    TariffPrice,
    TariffVersion,
    VatRate,
)

__all__ = [
    "BillRun",
    "BillRunItem",
    "BillingPreferences",
    "BillingSettings",
    "DunningHold",
    "Instalment",
    "Invoice",
    "InvoiceLine",
    "InvoiceReading",
    "LedgerClearing",
    "LedgerEntry",
    "PrintBatch",
    "PrintBatchLetter",
    "ReadImportJob",
    "ServiceAgreement",
    "Tariff",
    "TariffPrice",
    "TariffVersion",
    "VatRate",
]
