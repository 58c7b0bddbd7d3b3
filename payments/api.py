"""Payments in the JSON API:

- POST /accounts/{number}/payments/checkout (customer, own account): a checkout URL;
- GET /accounts/{number}/payments (customer: own; key with payments:read);
- POST /payments (key with payments:write): an external payment, booked and
  allocated once per reference."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from accounts.api import account_visible
from billing.models import Invoice
from core import clock
from core.api import ApiKeyAuth, InvalidInput, Message, customer_auth, customer_or_key, invalid_input
from payments.forms.payments import ExternalPaymentForm
from payments.models import PaymentMethod
from payments.queries.payments import PaymentRow, payment_history, payment_rows, payments_of
from payments.services.online import CheckoutRefused, checkout_start
from payments.services.payments import PaymentRefused, payment_external

router = Router(tags=["payments"])


class AllocationOut(Schema):
    label: str
    invoice_number: str | None
    amount: Decimal


class PaymentOut(Schema):
    id: int
    account_number: str
    received_on: dt.date
    amount: Decimal
    currency: str
    method: PaymentMethod
    status: str
    reference: str
    allocations: list[AllocationOut]
    unallocated: Decimal
    refunded: Decimal


def payment_out(row: PaymentRow) -> dict[str, Any]:
    payment = row.payment
    return {
        "id": payment.pk,
        "account_number": payment.account.number,
        "received_on": payment.received_on,
        "amount": payment.amount,
        "currency": payment.currency,
        "method": payment.method,
        "status": payment.status,
        "reference": payment.reference or payment.provider_ref,
        "allocations": [
            {
                "label": item.label,
                "invoice_number": item.invoice.number if item.invoice else None,
                "amount": item.amount,
            }
            for item in row.allocations
        ],
        "unallocated": row.unallocated,
        "refunded": row.refunded,
    }


class CheckoutIn(BaseModel):
    """`invoices`: numbers of open bills to pay; none or empty: the whole balance."""

    invoices: list[str] | None = None


class CheckoutOut(Schema):
    checkout_url: str
    checkout_id: int
    amount: Decimal


class ExternalPaymentIn(BaseModel):
    """`account_number` or `invoice_number` (or both, when they agree);
    `amount` in euros (e.g. "49.90"); `date` YYYY-MM-DD, not in the future;
    `reference` unique per payment (the same reference again returns the
    payment booked first); `method` transfer (default) | card | cash | external."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    account_number: str | None = None
    invoice_number: str | None = None
    amount: str | None = None
    date: str | None = None
    reference: str | None = None
    method: str | None = None
    payer_name: str | None = None


@router.post(
    "/accounts/{number}/payments/checkout",
    response={201: CheckoutOut, 401: Message, 404: Message, 422: InvalidInput},
    auth=customer_auth,
)
def payment_checkout(request: HttpRequest, number: str, payload: CheckoutIn) -> Status[Any]:
    """Start paying open bills (by number) or the whole balance of the
    customer's own account (404 for any other). Answers the URL of the
    payment page to open. Send an `Idempotency-Key` header to make a retry
    return the same checkout."""
    account = account_visible(request.auth, number=number)
    numbers = [number.strip() for number in payload.invoices or [] if number.strip()]
    invoices = list(Invoice.objects.filter(account=account, number__in=numbers))
    unknown = sorted(set(numbers) - {invoice.number for invoice in invoices})
    if unknown:
        return Status(
            422,
            invalid_input({"invoices": [_("No bill %(numbers)s on this account.") % {"numbers": ", ".join(unknown)}]}),
        )
    key = request.headers.get("Idempotency-Key", "").strip()[:60] or uuid.uuid4().hex
    try:
        checkout = checkout_start(
            account=account,
            invoices=invoices,
            created_by=request.auth,
            idempotency_key=f"api-{request.auth.pk}-{key}",
            as_of=clock.today(),
        )
    except CheckoutRefused as error:
        return Status(422, invalid_input({"invoices": [str(error)]}))
    return Status(201, {"checkout_url": checkout.url, "checkout_id": checkout.pk, "amount": checkout.amount})


@router.get(
    "/accounts/{number}/payments",
    response={200: list[PaymentOut], 401: Message, 403: Message, 404: Message},
    auth=customer_or_key(scope="payments:read"),
)
def payment_list(request: HttpRequest, number: str, year: int | None = Query(None, ge=1900, le=2999)) -> Any:
    """The account's payments, newest first, with the bills each settled;
    `year` keeps one year. A customer sees only their own account (404
    for others); a key needs payments:read."""
    account = account_visible(request.auth, number=number)
    return [payment_out(row) for row in payment_history(accounts=[account], year=year)]


@router.post(
    "/payments",
    response={200: PaymentOut, 201: PaymentOut, 401: Message, 403: Message, 409: InvalidInput, 422: InvalidInput},
    auth=ApiKeyAuth(scope="payments:write"),
)
def payment_create(request: HttpRequest, payload: ExternalPaymentIn) -> Status[Any]:
    """An external payment (needs payments:write): booked and allocated
    (the named invoice first, else the oldest open items). 201 when
    booked; the same reference again: 200 with the payment booked first;
    the same reference with another account or amount: 409. Bad input:
    422 with every field's message and nothing saved."""
    form = ExternalPaymentForm(payload.model_dump(exclude_none=True))
    if not form.is_valid():
        messages = {field: [str(text) for text in texts] for field, texts in form.errors.items()}
        return Status(422, invalid_input(messages))
    data = form.cleaned_data
    try:
        payment, created = payment_external(
            account=data["account"],
            invoice=data["invoice"],
            amount=data["amount"],
            received_on=data["date"],
            reference=data["reference"],
            method=data["method"],
            payer_name=data.get("payer_name") or "",
            as_of=clock.today(),
        )
    except PaymentRefused as error:
        field = {"received_on": "date", "invoice": "invoice_number"}.get(error.field, error.field or "body")
        status = 409 if field == "reference" else 422
        return Status(status, invalid_input({field: [str(error)]}))
    (row,) = payment_rows(payments_of(accounts=[payment.account]).filter(pk=payment.pk))
    return Status(201 if created else 200, payment_out(row))
