"""Test data for arrears: an account with overdue bills."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.models import Account, CustomerType
from arrears.models import DunningProcedure
from tests.accounts.factories import AccountFactory, CustomerFactory
from tests.billing.factories import invoice_issued


def overdue_account(
    *,
    gross: str = "238.00",
    due_date: dt.date = dt.date(2027, 1, 15),
    customer_type: str = CustomerType.HOUSEHOLD,
    **account,
) -> Account:
    """A household (or business) account with one issued bill of `gross`, due on `due_date`, unpaid."""
    extra = (
        {"company_name": "Bäckerei Kraus GmbH", "vat_id": "DE123456789"}
        if customer_type == CustomerType.BUSINESS
        else {}
    )
    account = AccountFactory(customer=CustomerFactory(customer_type=customer_type, **extra), **account)
    invoice_issued(account, gross=Decimal(gross), due_date=due_date)
    return account


def household() -> DunningProcedure:
    return DunningProcedure.objects.get(customer_type=CustomerType.HOUSEHOLD, utility="")


def business() -> DunningProcedure:
    return DunningProcedure.objects.get(customer_type=CustomerType.BUSINESS, utility="")
