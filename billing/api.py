"""Bills and the ledger in the JSON API: a customer session token, or an API
key with the billing:read scope.

A customer sees only their own accounts, a key every account; another
customer's account, or a document that is not on the account, is 404.
Only issued and cancelled bills and credit notes are listed, never held or
discarded ones. Amounts are strings with two decimals ("1445.85"), prices
and quantities strings with their stored decimals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from accounts.api import account_visible
from billing.documents.pdf import invoice_pdf_ensure, invoice_pdf_filename
from billing.models import Invoice, InvoiceLine
from billing.queries.bills import VISIBLE_STATES, account_statement, bill_rows
from billing.services.ledger import account_balance
from core import clock
from core.api import customer_or_key
from meters.models import Unit

router = Router(auth=customer_or_key(scope="billing:read"), tags=["billing"])
UNITS = {Unit.KWH.value: "kWh", Unit.M3.value: "m³", "kWh": "kWh"}


class Problem(Schema):
    detail: str


class InvoiceLineOut(Schema):
    """`unit`: kWh | m³ (consumption), day (standing charge), month (monthly fee)."""

    description: str
    quantity: str
    unit: str
    unit_price: str
    net_amount: str
    vat_rate: str
    period_start: dt.date
    period_end: dt.date


class InvoiceOut(Schema):
    """A bill, an order invoice (`kind` "order") or a credit note. `status`: issued | cancelled (a cancelled bill
    has a credit note that names it in `cancels`); `payment_status`: open |
    paid | overdue | credited | credit; `open_amount`: what is still unpaid
    (negative: a credit not yet paid out or used)."""

    number: str
    kind: Literal["invoice", "credit_note", "settlement", "final", "order"]
    status: Literal["issued", "cancelled"]
    payment_status: Literal["open", "paid", "overdue", "credited", "credit"]
    period_start: dt.date
    period_end: dt.date
    issue_date: dt.date
    due_date: dt.date | None
    net_total: str
    vat_total: str
    gross_total: str
    instalments_total: str
    amount_due: str
    open_amount: str
    currency: str
    cancels: str | None
    lines: list[InvoiceLineOut]


class LedgerEntryOut(Schema):
    booked_on: dt.date
    kind: str
    amount: str
    text: str
    reference: str
    due_date: dt.date | None
    balance: str


class LedgerOut(Schema):
    """Entries in booking order; `opening_balance` is the balance before the
    first entry shown, each entry's `balance` the balance after it."""

    account: str
    currency: str
    opening_balance: str
    entries: list[LedgerEntryOut]


class BalanceOut(Schema):
    balance: str
    currency: str
    as_of: dt.date


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _plain(value: Decimal) -> str:
    return f"{value:f}"


def _unit(line: InvoiceLine) -> str:
    """A unit code that does not depend on the bill's language."""
    if line.kind == InvoiceLine.Kind.STANDING_CHARGE:
        return "day"
    if line.kind == InvoiceLine.Kind.MONTHLY_FEE:
        return "month"
    return UNITS.get(line.unit, line.unit)


def _line(line: InvoiceLine) -> dict:
    return {
        "description": line.description,
        "quantity": _plain(line.quantity),
        "unit": _unit(line),
        "unit_price": _plain(line.unit_price),
        "net_amount": _money(line.net_amount),
        "vat_rate": _plain(line.vat_rate),
        "period_start": line.period_start,
        "period_end": line.period_end,
    }


@router.get(
    "/accounts/{number}/invoices",
    response={200: list[InvoiceOut], 401: Problem, 403: Problem, 404: Problem, 422: Problem},
)
def invoice_list(
    request: HttpRequest,
    number: str,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[dict]:
    """The account's bills and credit notes, newest first, with their lines;
    at most `limit` from `offset`. Four queries whatever the number."""
    account = account_visible(request.auth, number=number)
    invoices = list(
        Invoice.objects.filter(account=account, status__in=VISIBLE_STATES)
        .select_related("cancels")
        .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")))
        .order_by("-issue_date", "-id")[offset : offset + limit]
    )
    result = []
    for row in bill_rows(invoices=invoices, as_of=clock.today()):
        invoice = row.invoice
        result.append(
            {
                "number": invoice.number,
                "kind": invoice.api_kind,
                "status": invoice.status.lower(),
                "payment_status": row.state,
                "period_start": invoice.period_start,
                "period_end": invoice.period_end,
                "issue_date": invoice.issue_date,
                "due_date": invoice.due_date,
                "net_total": _money(invoice.net_total),
                "vat_total": _money(invoice.vat_total),
                "gross_total": _money(invoice.gross_total),
                "instalments_total": _money(invoice.instalments_total),
                "amount_due": _money(invoice.amount_due),
                "open_amount": _money(row.open_amount),
                "currency": invoice.currency,
                "cancels": invoice.cancels.number if invoice.cancels else None,
                "lines": [_line(line) for line in invoice.lines.all()],
            }
        )
    return result


@router.get(
    "/accounts/{number}/invoices/{invoice_number}/pdf",
    response={200: None, 401: Problem, 403: Problem, 404: Problem},
    openapi_extra={"responses": {200: {"description": "The PDF", "content": {"application/pdf": {}}}}},
)
def invoice_pdf(request: HttpRequest, number: str, invoice_number: str) -> HttpResponse:
    """The bill or credit note as PDF (for business customers with the
    Factur-X e-invoice inside)."""
    account = account_visible(request.auth, number=number)
    invoice = Invoice.objects.filter(account=account, number=invoice_number, status__in=VISIBLE_STATES).first()
    if invoice is None:
        raise HttpError(404, _("There is no bill with this number on this account."))
    response = HttpResponse(invoice_pdf_ensure(invoice_id=invoice.pk), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice_pdf_filename(invoice)}"'
    return response


@router.get(
    "/accounts/{number}/ledger",
    response={200: LedgerOut, 401: Problem, 403: Problem, 404: Problem, 422: Problem},
)
def ledger(
    request: HttpRequest,
    number: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> dict:
    """The account's ledger (statement of account) in booking order with the
    balance after each entry; `date_from` / `date_to` (both included, ISO
    dates) narrow it. `kind`: invoice | credit_note | instalment |
    instalment_credit | payment | payment_return | fee | interest | refund |
    write_off; `amount` positive: the customer owes more."""
    account = account_visible(request.auth, number=number)
    statement = account_statement(account=account)
    opening = statement.opening_balance
    rows = []
    for row in statement.rows:
        entry = row.entry
        if date_from is not None and entry.booked_on < date_from:
            opening = row.balance
        elif date_to is None or entry.booked_on <= date_to:
            rows.append(
                {
                    "booked_on": entry.booked_on,
                    "kind": entry.kind.lower(),
                    "amount": _money(entry.amount),
                    "text": entry.text,
                    "reference": entry.reference,
                    "due_date": entry.due_date,
                    "balance": _money(row.balance),
                }
            )
    return {"account": account.number, "currency": "EUR", "opening_balance": _money(opening), "entries": rows}


@router.get(
    "/accounts/{number}/balance",
    response={200: BalanceOut, 401: Problem, 403: Problem, 404: Problem, 422: Problem},
)
def balance(request: HttpRequest, number: str, as_of: dt.date | None = None) -> dict:
    """What the customer owes (negative: a credit): the sum of the ledger up
    to `as_of` (default today)."""
    account = account_visible(request.auth, number=number)
    day = as_of or clock.today()
    return {"balance": _money(account_balance(account=account, as_of=day)), "currency": "EUR", "as_of": day}
