"""The customer's bills pages (/bills/): the list with status badges and PDF
downloads, the bill page that explains each line ("why is my bill this
amount"), the statement of account with its CSV download, and the billing
preferences. Everything is scoped to the signed-in customer: another
customer's bill is 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from accounts.models import Account
from accounts.queries import accounts_for_user
from billing.documents.pdf import invoice_pdf_ensure, invoice_pdf_filename
from billing.documents.presenter import InvoiceView, LineView, SupplyView, invoice_view
from billing.forms.bills import PreferencesForm
from billing.models import BillingSettings, Invoice, InvoiceLine
from billing.queries.bills import (
    BillRow,
    account_statement,
    bill_rows,
    credit_note_for,
    documents_visible,
    statement_csv,
    statement_years,
)
from billing.services.preferences import PreferencesInvalid, preferences_for, preferences_update
from core import clock

PAGE_SIZE = 25


# --- Prepared data for the bill page (customers and agents) -----------------------------


@dataclass(frozen=True)
class LineRow:
    view: LineView
    days: int
    price_valid_from: str
    explanation: str


@dataclass(frozen=True)
class SupplyRows:
    view: SupplyView
    lines: list[LineRow]


@dataclass(frozen=True)
class BillPage:
    """A document as the bill page shows it: the presenter's view, each line
    with its days, price version and a sentence how it comes about, its
    badge, and the documents it relates to."""

    invoice: Invoice
    view: InvoiceView
    supplies: list[SupplyRows]
    row: BillRow | None
    credit_note: Invoice | None


def _explanation(line: InvoiceLine, view: LineView, days: int) -> str:
    if line.kind == InvoiceLine.Kind.STANDING_CHARGE:
        return _("%(days)d days × %(price)s per day (the yearly standing charge ÷ 365)") % {
            "days": days,
            "price": view.unit_price,
        }
    if line.kind == InvoiceLine.Kind.MONTHLY_FEE:
        return _("%(quantity)s of a month (%(days)d days) × %(price)s per month") % {
            "quantity": view.quantity,
            "days": days,
            "price": view.unit_price,
        }
    return _("%(quantity)s %(unit)s used in these %(days)d days × %(price)s per %(unit)s") % {
        "quantity": view.quantity,
        "unit": view.unit,
        "days": days,
        "price": view.unit_price,
    }


def bill_page(*, invoice: Invoice, as_of: dt.date, language: str | None = None) -> BillPage:
    """The bill page's data in `language` (default: the active one)."""
    language = language or translation.get_language() or invoice.language
    view = invoice_view(invoice=invoice, language=language)
    lines = {line.position: line for line in invoice.lines.all()}
    supplies = []
    with translation.override(language):
        for supply in view.supplies:
            rows = []
            for line_view in supply.lines:
                line = lines[line_view.position]
                days = (line.period_end - line.period_start).days + 1
                rows.append(
                    LineRow(
                        view=line_view,
                        days=days,
                        price_valid_from=formats.date_format(line.price_valid_from, "DATE_FORMAT")
                        if line.price_valid_from
                        else "",
                        explanation=_explanation(line, line_view, days),
                    )
                )
            supplies.append(SupplyRows(view=supply, lines=rows))
    row = None
    if invoice.status in (Invoice.Status.ISSUED, Invoice.Status.CANCELLED):
        (row,) = bill_rows(invoices=[invoice], as_of=as_of)
    credit_note = credit_note_for(invoice=invoice) if invoice.is_cancelled else None
    return BillPage(invoice=invoice, view=view, supplies=supplies, row=row, credit_note=credit_note)


def bill_pdf_response(invoice: Invoice) -> HttpResponse:
    response = HttpResponse(invoice_pdf_ensure(invoice_id=invoice.pk), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice_pdf_filename(invoice)}"'
    return response


def statement_csv_response(*, account: Account, year: int | None, language: str) -> HttpResponse:
    statement = account_statement(account=account, year=year, years=[])
    response = HttpResponse(statement_csv(statement=statement, language=language), content_type="text/csv")
    suffix = str(year) if year else _("all")
    response["Content-Disposition"] = f'attachment; filename="{_("statement")}-{account.number}-{suffix}.csv"'
    return response


def year_param(raw: str | None, *, years: list[int]) -> int | None:
    """The year asked for, else the latest with bookings; "all" or no
    bookings: None (everything)."""
    if raw == "all":
        return None
    if raw and raw.isdigit() and int(raw) in years:
        return int(raw)
    return years[0] if years else None


# --- Customer views -------------------------------------------------------------------------


def _accounts(request: HttpRequest) -> list[Account]:
    return list(accounts_for_user(request.user).order_by("id"))


def _chosen(request: HttpRequest, accounts: list[Account]) -> Account:
    """The account named by ?account=<number> (404 if not the customer's), else the first."""
    number = request.GET.get("account") or request.POST.get("account")
    if number:
        for account in accounts:
            if account.number == number:
                return account
        raise Http404(_("There is no account with this number."))
    if not accounts:
        raise Http404(_("There is no account for this login yet."))
    return accounts[0]


def _customer_document(request: HttpRequest, invoice_id: int) -> Invoice:
    invoice = (
        documents_visible(accounts=accounts_for_user(request.user))
        .select_related("account")
        .prefetch_related("lines", "readings")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise Http404(_("There is no bill with this number."))
    return invoice


@login_required
def bills(request: HttpRequest) -> HttpResponse:
    """All bills and credit notes of the customer's accounts, newest first."""
    accounts = _accounts(request)
    if not accounts:
        return redirect("onboarding")
    page = Paginator(documents_visible(accounts=accounts), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "rows": bill_rows(invoices=list(page.object_list), as_of=clock.today()),
        "page": page,
        "several_accounts": len(accounts) > 1,
        "accounts": accounts,
    }
    return render(request, "billing/bills/list.html", context)


@login_required
def bill(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _customer_document(request, invoice_id)
    return render(request, "billing/bills/bill.html", {"page": bill_page(invoice=invoice, as_of=clock.today())})


@login_required
def bill_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    return bill_pdf_response(_customer_document(request, invoice_id))


@login_required
def statement(request: HttpRequest) -> HttpResponse:
    """The statement of account of one account, a year at a time."""
    accounts = _accounts(request)
    if not accounts:
        return redirect("onboarding")
    account = _chosen(request, accounts)
    years = statement_years(account=account)
    year = year_param(request.GET.get("year"), years=years)
    context = {
        "statement": account_statement(account=account, year=year, years=years),
        "accounts": accounts,
        "account": account,
        "several_accounts": len(accounts) > 1,
    }
    return render(request, "billing/bills/statement.html", context)


@login_required
def statement_download(request: HttpRequest) -> HttpResponse:
    accounts = _accounts(request)
    account = _chosen(request, accounts)
    year = year_param(request.GET.get("year"), years=statement_years(account=account))
    return statement_csv_response(account=account, year=year, language=translation.get_language())


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """How and how often the customer is billed, within what the company allows."""
    accounts = _accounts(request)
    if not accounts:
        return redirect("onboarding")
    account = _chosen(request, accounts)
    current = preferences_for(account=account)
    settings = BillingSettings.current()
    form = PreferencesForm(request.POST or None, preferences=current, settings=settings, by_staff=False)
    if request.method == "POST" and form.is_valid():
        try:
            preferences_update(account=account, changes=form.changes(), by_staff=False, user=request.user)
        except PreferencesInvalid as error:
            for field, texts in error.messages.items():
                for text in texts:
                    form.add_error(field if field in form.fields else None, text)
        else:
            messages.success(request, _("Your billing preferences were saved."))
            return redirect(f"{reverse('bills:preferences')}?account={account.number}")
    context = {
        "form": form,
        "account": account,
        "accounts": accounts,
        "several_accounts": len(accounts) > 1,
        "preferences": current,
        "settings": settings,
    }
    return render(request, "billing/bills/preferences.html", context)
