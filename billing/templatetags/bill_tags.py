"""Template tags of the bills pages: amounts in euros, the held bills' count
in the back-office navigation, the bills section of the customer dashboard
and the bills tab of the agents' customer page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import template
from django.utils import translation

from accounts.models import Account, Customer
from billing.forms.bills import PreferencesForm
from billing.models import BillingSettings, Invoice
from billing.queries.bills import (
    VISIBLE_STATES,
    BillRow,
    Statement,
    account_statement,
    accounts_billing,
    bill_rows,
    statement_years,
)
from billing.queries.bills import held_bills_count as _held_bills_count
from billing.services.preferences import preferences_for
from billing.views.bills import year_param
from core import clock
from core.formats import money_format

register = template.Library()


@register.filter
def euro(amount: Decimal | None) -> str:
    """An amount in euros in the active language (1.234,56 € / €1,234.56)."""
    if amount is None:
        return ""
    return money_format(Decimal(amount).quantize(Decimal("0.01")), language=translation.get_language() or "de")


@register.simple_tag
def held_bills_count() -> int:
    return _held_bills_count()


@register.inclusion_tag("billing/bills/_dashboard.html")
def dashboard_billing(accounts: list[Account]) -> dict[str, Any]:
    """Balance, next due date and the last bill of each of the customer's accounts."""
    return {"items": accounts_billing(accounts=list(accounts)), "several": len(accounts) > 1}


@dataclass(frozen=True)
class StaffDocument:
    invoice: Invoice
    row: BillRow | None


@dataclass(frozen=True)
class AccountBills:
    account: Account
    documents: list[StaffDocument]
    statement: Statement | None
    form: PreferencesForm | None


@register.inclusion_tag("billing/staff/_customer_bills.html", takes_context=True)
def customer_bills(context: dict[str, Any], customer: Customer) -> dict[str, Any]:
    """Each account's documents (held ones too), statement and preferences form."""
    request = context["request"]
    user = request.user
    today = clock.today()
    settings = BillingSettings.current()
    panels = []
    for account in customer.accounts.order_by("id"):
        documents = list(
            Invoice.objects.filter(account=account).select_related("cancels").order_by("-created_at", "-id")
        )
        visible = [invoice for invoice in documents if invoice.status in VISIBLE_STATES]
        rows = {row.invoice.pk: row for row in bill_rows(invoices=visible, as_of=today)}
        statement = None
        if user.has_perm("billing.view_ledgerentry"):
            years = statement_years(account=account)
            year = year_param(request.GET.get("year"), years=years)
            statement = account_statement(account=account, year=year, years=years)
        form = None
        if user.has_perms(["accounts.view_billingpreferences", "accounts.change_billingpreferences"]):
            form = PreferencesForm(
                preferences=preferences_for(account=account),
                settings=settings,
                by_staff=True,
                auto_id=f"id_{account.pk}_%s",
            )
        panels.append(
            AccountBills(
                account=account,
                documents=[StaffDocument(invoice, rows.get(invoice.pk)) for invoice in documents],
                statement=statement,
                form=form,
            )
        )
    return {
        "panels": panels,
        "perms": context.get("perms"),
        "settings": settings,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
