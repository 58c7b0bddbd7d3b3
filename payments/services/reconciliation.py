"""The agents' decisions on the reconciliation queue: a statement line the
import could not match is booked to the account (and invoice) an agent names,
or set aside with a note."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Account
from billing.models import Invoice
from core import clock
from payments.models import BankTransaction
from payments.services.bank_statements import QUEUE_STATES, bank_payment_book


class ReconciliationRefused(Exception):
    """An agent's decision on a queued line that cannot be taken."""


def bank_transaction_assign(
    *, transaction_id: int, account: Account, user: AbstractBaseUser, invoice: Invoice | None = None, note: str = ""
) -> BankTransaction:
    """An agent says whose money a queued credit is: booked to the account
    (settling `invoice` first when given)."""
    with transaction.atomic():
        row = BankTransaction.objects.select_for_update().get(pk=transaction_id)
        if row.status not in QUEUE_STATES:
            raise ReconciliationRefused(_("This line has been dealt with already."))
        if row.amount <= 0 or row.is_return:
            raise ReconciliationRefused(_("Only money received can be booked to an account."))
        if invoice is not None and invoice.account_id != account.pk:
            raise ReconciliationRefused(_("This invoice belongs to another account."))
        if invoice is not None and (invoice.status != Invoice.Status.ISSUED or invoice.is_credit_note):
            raise ReconciliationRefused(_("Only an issued bill can be paid."))
        row.matched_account = account
        row.matched_invoice = invoice
        row.status = BankTransaction.Status.ASSIGNED
        row.assigned_by = user
        row.assigned_at = clock.now()
        row.note = note.strip()[:300]
        row.payment = bank_payment_book(
            transaction_row=row, account=account, invoices=(invoice,) if invoice else (), user=user
        )
        row.save()
    return row


def bank_transaction_ignore(*, transaction_id: int, user: AbstractBaseUser, note: str) -> BankTransaction:
    """An agent decides a queued line needs no booking (e.g. paid back to the sender); the note says why."""
    note = note.strip()
    if not note:
        raise ReconciliationRefused(_("Say why this line is ignored."))
    with transaction.atomic():
        row = BankTransaction.objects.select_for_update().get(pk=transaction_id)
        if row.status not in QUEUE_STATES:
            raise ReconciliationRefused(_("This line has been dealt with already."))
        row.status = BankTransaction.Status.IGNORED
        row.note = note[:300]
        row.assigned_by = user
        row.assigned_at = clock.now()
        row.save(update_fields=["status", "note", "assigned_by", "assigned_at"])
    return row
