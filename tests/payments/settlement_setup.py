"""Accounts whose supply has ended, billed with a real final bill."""

import datetime as dt
from decimal import Decimal

from accounts.models import BillingPreferences, PaymentMethod
from billing.models import Invoice
from billing.services.invoicing import bill_account
from meters.models import Read
from supply.models import ServiceAgreement
from tests.accounts.factories import AccountFactory, SepaMandateFactory
from tests.meters.factories import at, register_of
from tests.supply.factories import supplied

END = dt.date(2026, 6, 30)
BILL_DAY = dt.date(2026, 7, 6)


def ended_account(
    *, direct_debit: bool = True, end_value: str = "2500", budget: bool = False, language: str = "en", n: int = 1
):
    """An electricity supply from 1 January 2026 ENDING on 30 June 2026 with
    its final read (1000 -> end_value kWh) taken at 00:00 of 1 July."""
    account = AccountFactory(
        payment_method=PaymentMethod.SEPA if direct_debit else PaymentMethod.TRANSFER, customer__language=language
    )
    if direct_debit:
        SepaMandateFactory(account=account, account_holder="Erika Mustermann")
    agreement = supplied(account=account, n=n, start_date=dt.date(2026, 1, 1), start_read="1000")
    BillingPreferences.objects.update_or_create(
        account=account, defaults={"frequency": "ANNUAL", "budget_billing": budget}
    )
    ServiceAgreement.objects.filter(pk=agreement.pk).update(status=ServiceAgreement.Status.ENDING, end_date=END)
    Read.objects.create(
        register=register_of(agreement), taken_at=at(2026, 7, 1), value=Decimal(end_value), source="CUSTOMER"
    )
    return account, agreement


def final_bill(account, *, as_of: dt.date = BILL_DAY) -> Invoice:
    outcome = bill_account(account=account, as_of=as_of)
    invoice = Invoice.objects.get(pk=outcome.invoice_id)
    assert invoice.kind == Invoice.Kind.FINAL and invoice.is_issued, outcome
    return invoice
