"""The end of an account: its direct-debit mandate revoked once nothing is
left to collect, and the account closed when every supply has ended and the
balance is zero. A closed account keeps its sign-in, bills, payments and
documents for the retention period. Both are called by the settlement after
the final bill, which checks the conditions; each is idempotent."""

from __future__ import annotations

from django.db import transaction

from accounts.changes import Requested, change_record
from accounts.models import Account, Requester, SepaMandate
from core import clock

# The settlement acts on its own: the audit trail names the system.
SYSTEM = Requested(by=None, requested_by=Requester.SYSTEM)


def mandates_revoke(*, account: Account) -> list[SepaMandate]:
    """Revoke the account's active mandate(s); returns those revoked now."""
    with transaction.atomic():
        mandates = list(
            SepaMandate.objects.select_for_update()
            .filter(account=account, status=SepaMandate.Status.ACTIVE)
            .order_by("id")
        )
        today = clock.today()
        for mandate in mandates:
            mandate.status = SepaMandate.Status.REVOKED
            mandate.revoked_on = today
            mandate.save(update_fields=["status", "revoked_on"])
            change_record(
                customer=account.customer,
                account=account,
                field="mandate",
                old=mandate.reference,
                new=SepaMandate.Status.REVOKED.label,
                requested=SYSTEM,
            )
    return mandates


def account_close(*, account: Account) -> bool:
    """Mark the account CLOSED; False when it was closed already."""
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        if locked.status == Account.Status.CLOSED:
            return False
        locked.status = Account.Status.CLOSED
        locked.save(update_fields=["status"])
        change_record(
            customer=locked.customer,
            account=locked,
            field="status",
            old=Account.Status.ACTIVE.label,
            new=Account.Status.CLOSED.label,
            requested=SYSTEM,
        )
    account.status = Account.Status.CLOSED
    return True
