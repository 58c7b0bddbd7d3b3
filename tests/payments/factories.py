"""Factories for payments: issued bills on the ledger, customers with a login,
and Stripe's webhook signature built the way Stripe builds it."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import time
from decimal import Decimal
from typing import Any

from accounts.models import Account
from billing.models import Invoice, LedgerEntry
from billing.services.ledger import ledger_book, ledger_clear
from tests.factories import AccountFactory, SepaMandateFactory

_numbers = itertools.count(1)


def invoice_issued(
    *,
    account: Account,
    gross: Decimal,
    issue_date: dt.date = dt.date(2026, 1, 15),
    due_date: dt.date | None = None,
) -> Invoice:
    """An issued bill for `gross` booked on the ledger as
    the invoicing does: an INVOICE debit (key "invoice:<id>"), then cleared
    against any credit on the account."""
    serial = next(_numbers)
    # No VAT split: SQLite checks gross = net + VAT in floating point, and payments only need the gross.
    start = dt.date(2000, 1, 1) + dt.timedelta(days=serial * 40)
    invoice = Invoice.objects.create(
        account=account,
        number=f"R-T-{serial:06d}",
        status=Invoice.Status.ISSUED,
        period_start=start,
        period_end=start + dt.timedelta(days=30),
        issue_date=issue_date,
        due_date=due_date or issue_date + dt.timedelta(days=14),
        net_total=gross,
        vat_total=Decimal("0.00"),
        gross_total=gross,
        customer_name="Test Customer",
        customer_address="Lindenstraße 12\n10969 Berlin",
    )
    ledger_book(
        account=account,
        kind=LedgerEntry.Kind.INVOICE,
        amount=gross,
        booked_on=issue_date,
        due_date=invoice.due_date,
        invoice=invoice,
        text=f"Bill {invoice.number}",
        reference=invoice.number,
        key=f"invoice:{invoice.pk}",
    )
    ledger_clear(account=account)
    return invoice


def account_with_mandate(**kwargs: Any) -> Account:
    account = AccountFactory(**kwargs)
    SepaMandateFactory(account=account)
    return account


def stripe_signature(payload: str, *, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header for `payload`: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<payload>")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.{payload}".encode()
    signature = hmac.new(secret.encode(), msg=signed, digestmod=hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def stripe_event(event_id: str, event_type: str, obj: dict[str, Any]) -> str:
    """A Stripe event body as Stripe sends it (JSON text)."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "type": event_type,
            "livemode": False,
            "data": {"object": obj},
        }
    )
