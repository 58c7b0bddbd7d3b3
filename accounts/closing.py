"""The end of an account: its direct-debit mandate revoked once nothing is
left to collect, and the account closed when every supply has ended and the
balance is zero. A closed account keeps its sign-in, bills, payments and
documents for the retention period. Both are called by the settlement after
the final bill, which checks the conditions; each is idempotent."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Account, SepaMandate


def mandates_revoke(*, account: Account) -> list[SepaMandate]:
    """Revoke the account's active mandate(s); returns those revoked now."""
    with transaction.atomic():
        mandates = list(
            SepaMandate.objects.select_for_update()
            .filter(account=account, status=SepaMandate.Status.ACTIVE)
            .order_by("id")
        )
        for mandate in mandates:
            mandate.status = SepaMandate.Status.REVOKED
            mandate.save(update_fields=["status"])
    return mandates


def account_close(*, account: Account) -> bool:
    """Mark the account CLOSED; False when it was closed already."""
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        if locked.status == Account.Status.CLOSED:
            return False
        locked.status = Account.Status.CLOSED
        locked.save(update_fields=["status"])
    account.status = Account.Status.CLOSED
    return True
