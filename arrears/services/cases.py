"""Dunning cases outside the daily run."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accounts.models import Account
from arrears.models import AgencyReferral, DunningCase, PaymentPlan
from arrears.queries.arrears import account_arrears


def case_close_if_paid(*, account: Account, as_of: dt.date) -> bool:
    """Close the account's current case when nothing overdue is left (a
    payment arrived): no further reminder goes out. A case with the agency
    closes too; its referral stays for the report. True when it closed."""
    case = DunningCase.objects.filter(account=account).exclude(status=DunningCase.Status.CLOSED).first()
    if case is None:
        return False
    if account_arrears(account=account, as_of=as_of).items:
        return False
    if PaymentPlan.objects.filter(case=case, status=PaymentPlan.Status.ACTIVE).exists():
        return False
    with transaction.atomic():
        closed = (
            DunningCase.objects.filter(pk=case.pk)
            .exclude(status=DunningCase.Status.CLOSED)
            .update(status=DunningCase.Status.CLOSED, closed_on=as_of, skip_reason="")
        )
        AgencyReferral.objects.filter(case=case, status=AgencyReferral.Status.PROPOSED).update(
            status=AgencyReferral.Status.REJECTED, note="paid"
        )
    return bool(closed)
