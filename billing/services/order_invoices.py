"""Invoicing a confirmed one-off order (a service or a device) at once.

The orders app prices the order and calls `order_invoice_issue` inside its
confirming transaction: the invoice (kind ORDER) gets the next number of the
invoice series, its lines, its totals, its ledger entry with the due date of
the account's payment terms, and goes out on the customer's channel after
commit. An order invoice has no billing period: its period is its issue day,
and it is left out of the bill run's period logic (`Invoice.BILL_KINDS`).
Cancelling it is `invoice_cancel` like any bill: a credit note."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Account, BillingPreferences
from billing.models import BillingSettings, Invoice, InvoiceLine, LedgerEntry
from billing.services.invoicing import _deliver_on_commit, _issue_fields, _supplier, numbers_take
from billing.services.ledger import ledger_clear


class OrderInvoiceError(ValueError):
    """The order cannot be invoiced as given (no lines, totals that do not add up)."""


@dataclass(frozen=True)
class OrderInvoiceLine:
    """One priced line: `net_amount` = quantity x unit price, rounded to the cent by the caller."""

    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    net_amount: Decimal
    vat_rate: Decimal
    utility: str = ""
    supply_point: str = ""


def _payment_terms(account: Account, rules: BillingSettings) -> int:
    preferences = BillingPreferences.objects.filter(account=account).first()
    return (preferences.payment_terms_days if preferences else None) or rules.payment_terms_days


def order_invoice_issue(
    *,
    account: Account,
    lines: list[OrderInvoiceLine],
    vat_total: Decimal,
    as_of: dt.date,
    reference: str,
    details: dict | None = None,
) -> Invoice:
    """Issue, book and (after commit) deliver the invoice of a confirmed order.

    `vat_total` is the VAT per rate on the net sum of that rate's lines,
    rounded once per rate (the caller's quote); the net total is the sum of
    the lines and gross = net + VAT. `reference` names the order on the
    invoice and the ledger. The number is taken last, so a failure before it
    leaves no gap in the series."""
    if not lines:
        raise OrderInvoiceError("an order invoice needs at least one line")
    net_total = sum((line.net_amount for line in lines), Decimal("0.00"))
    rules = BillingSettings.current()
    customer = account.customer
    preferences = BillingPreferences.objects.filter(account=account).first()
    language = (preferences.invoice_language if preferences else "") or customer.language or "de"
    with transaction.atomic():
        invoice = Invoice(
            account=account,
            kind=Invoice.Kind.ORDER,
            period_start=as_of,
            period_end=as_of,
            net_total=net_total,
            vat_total=vat_total,
            gross_total=net_total + vat_total,
            language=language,
            customer_name=customer.display_name,
            customer_address="\n".join(account.billing_address_lines),
            customer_vat_id=customer.vat_id,
            is_business=customer.is_business,
            supplier=_supplier(rules),
            details={**(details or {}), "order": reference},
            delivery_channel=preferences.delivery_channel if preferences else "",
        )
        (number,) = numbers_take(prefix=rules.invoice_prefix, year=as_of.year, count=1, rules=rules)
        _issue_fields(invoice, number=number, as_of=as_of, terms=_payment_terms(account, rules))
        invoice.save()
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=invoice,
                position=position,
                kind=InvoiceLine.Kind.ORDER_ITEM,
                description=line.description,
                utility=line.utility,
                supply_point=line.supply_point,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                net_amount=line.net_amount,
                vat_rate=line.vat_rate,
                period_start=as_of,
                period_end=as_of,
            )
            for position, line in enumerate(lines, start=1)
        )
        with translation.override(language):
            text = _("Order invoice %(number)s") % {"number": number}
        LedgerEntry.objects.create(
            account=account,
            kind=LedgerEntry.Kind.INVOICE,
            amount=invoice.gross_total,
            booked_on=as_of,
            due_date=invoice.due_date,
            invoice=invoice,
            text=text,
            reference=number,
            key=f"invoice:{invoice.pk}",
        )
        ledger_clear(account=account)
        _deliver_on_commit([invoice.pk])
    return invoice
