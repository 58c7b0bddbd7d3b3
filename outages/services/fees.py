"""Closing an interruption: the fees and compensation credits its rules
call for, booked to each account affected on the ledger (billing's
ledger_book; kind FEE, a credit negative) with the interruption as
reference. Each (rule, account) is booked once; closing again after an edit
books only the difference to what was booked before (a further entry, never
a change). An open credit settles the next bill when it is issued (billing
clears open credits against it). Rules an admin switched off after booking
are left as booked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account
from billing.models import LedgerEntry
from billing.services.ledger import ledger_book, ledger_clear
from core import clock
from outages.models import AffectedSupply, Charge, ChargeRule, Interruption
from outages.services.affected import affected_refresh
from outages.services.interruptions import InterruptionRefused

ZERO = Decimal("0.00")
FEE_PAYMENT_DAYS = 14


@dataclass
class CloseResult:
    interruption: Interruption
    charges: list[Charge] = field(default_factory=list)

    @property
    def fees(self) -> Decimal:
        return sum((c.amount for c in self.charges if c.amount > 0), start=ZERO)

    @property
    def credits(self) -> Decimal:
        return -sum((c.amount for c in self.charges if c.amount < 0), start=ZERO)


def rule_applies(rule: ChargeRule, interruption: Interruption) -> bool:
    """Whether `rule` covers the (ended) interruption: its utility, cause,
    planned or unplanned, and lasting longer than the rule's hours."""
    if rule.utility and rule.utility != interruption.utility:
        return False
    if rule.cause_id is not None and rule.cause_id != interruption.cause_id:
        return False
    if rule.applies_to == ChargeRule.AppliesTo.PLANNED and not interruption.planned:
        return False
    if rule.applies_to == ChargeRule.AppliesTo.UNPLANNED and interruption.planned:
        return False
    hours = Decimal(int(interruption.duration.total_seconds())) / 3600
    return rule.min_duration_hours == 0 or hours > rule.min_duration_hours


def _text(rule: ChargeRule, interruption: Interruption, account: Account, *, correction: bool) -> str:
    language = account.customer.language
    with translation.override(language):
        text = _("%(rule)s: interruption of %(date)s") % {
            "rule": rule.name_in(language),
            "date": timezone.localtime(interruption.started_at).strftime("%d.%m.%Y"),
        }
        if correction:
            text = _("%(text)s (correction)") % {"text": text}
    return text


def interruption_close(
    *, interruption: Interruption, by: AbstractBaseUser | None = None, as_of: dt.date
) -> CloseResult:
    """Book the fees and credits of an ended interruption (see the module docstring)."""
    with transaction.atomic():
        interruption = (
            Interruption.objects.select_for_update(of=("self",)).select_related("cause").get(pk=interruption.pk)
        )
        if interruption.ended_at is None or interruption.status != Interruption.Status.RESTORED:
            raise InterruptionRefused(_("Only an interruption whose supply is restored can be closed."))
        affected_refresh(interruption=interruption)
        accounts = {
            row.account_id: row.account
            for row in AffectedSupply.objects.filter(interruption=interruption)
            .select_related("account__customer")
            .order_by("account_id")
        }
        booked: dict[tuple[int, int], tuple[Decimal, int]] = {}
        for charge in Charge.objects.filter(interruption=interruption):
            total, count = booked.get((charge.rule_id, charge.account_id), (ZERO, 0))
            booked[(charge.rule_id, charge.account_id)] = (total + charge.amount, count + 1)
        rules = ChargeRule.objects.filter(is_active=True).order_by("id")
        result = CloseResult(interruption=interruption)
        affected_ids = set(accounts)
        earlier = {account_id for _rule, account_id in booked if account_id not in accounts}
        for account in Account.objects.filter(pk__in=earlier).select_related("customer"):
            accounts[account.pk] = account
        now = clock.now()
        for rule in rules:
            applies = rule_applies(rule, interruption)
            sign = Decimal(1) if rule.kind == ChargeRule.Kind.FEE else Decimal(-1)
            for account_id, account in sorted(accounts.items()):
                target = sign * rule.amount if applies and account_id in affected_ids else ZERO
                total, count = booked.get((rule.pk, account_id), (ZERO, 0))
                difference = target - total
                if difference == 0:
                    continue
                entry, _booked = ledger_book(
                    account=account,
                    kind=LedgerEntry.Kind.FEE,
                    amount=difference,
                    booked_on=as_of,
                    key=f"outage:{interruption.pk}:{rule.pk}:{account_id}:{count + 1}",
                    text=_text(rule, interruption, account, correction=count > 0),
                    reference=f"INT-{interruption.pk}",
                    due_date=as_of + dt.timedelta(days=FEE_PAYMENT_DAYS) if difference > 0 else None,
                )
                charge, _created = Charge.objects.get_or_create(
                    interruption=interruption,
                    rule=rule,
                    account_id=account_id,
                    sequence=count + 1,
                    defaults={"amount": difference, "entry": entry, "booked_at": now},
                )
                result.charges.append(charge)
        for account_id in sorted({charge.account_id for charge in result.charges}):
            ledger_clear(account=accounts[account_id])
        interruption.closed_at = now
        interruption.save(update_fields=["closed_at"])
    return result
