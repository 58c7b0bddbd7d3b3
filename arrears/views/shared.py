"""What the customer's arrears pages share: whose page it is, the language,
the link to the accounts team, and a plan's instalments as the pages show them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from accounts.models import Account, Customer
from accounts.queries import accounts_for_user
from arrears.services.plans import PlanProgress

INSTALMENT_STATES = {
    "paid": (gettext_lazy("paid"), "text-bg-success"),
    "part": (gettext_lazy("partly paid"), "text-bg-info"),
    "due": (gettext_lazy("due today"), "text-bg-warning"),
    "overdue": (gettext_lazy("overdue"), "text-bg-danger"),
    "upcoming": (gettext_lazy("upcoming"), "text-bg-light border"),
}


def own_customer(request: HttpRequest) -> Customer:
    """The signed-in customer (404 for a login without one, e.g. staff)."""
    customer = Customer.objects.filter(user=request.user).first()
    if customer is None:
        raise Http404
    return customer


def language() -> str:
    """The page's language, "de" or "en"."""
    return (translation.get_language() or "de")[:2]


def own_accounts(request: HttpRequest) -> list[Account]:
    return list(accounts_for_user(request.user).order_by("number", "id"))


def own_account(accounts: list[Account], number: str | None) -> Account:
    """The account with `number` among `accounts` (404 if not there), else the first."""
    account = next((account for account in accounts if account.number == number), None) if number else None
    if account is None and (number or not accounts):
        raise Http404
    return account or accounts[0]


def ticket_url() -> str:
    """ "Write to our accounts team": a new ticket about a payment plan."""
    return reverse("support:ticket_new") + "?kind=PAYMENT_PLAN_REQUEST"


@dataclass(frozen=True)
class InstalmentRow:
    number: int
    due_date: dt.date
    amount: Decimal
    paid: Decimal
    status: str
    label: str
    badge: str

    @property
    def is_down_payment(self) -> bool:
        return self.number == 0


def instalment_rows(progress: PlanProgress) -> list[InstalmentRow]:
    rows = []
    for state in progress.instalments:
        label, badge = INSTALMENT_STATES[state.status]
        rows.append(
            InstalmentRow(
                number=state.instalment.number,
                due_date=state.instalment.due_date,
                amount=state.instalment.amount,
                paid=state.paid,
                status=state.status,
                label=str(label),
                badge=badge,
            )
        )
    return rows
