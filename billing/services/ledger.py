"""The account ledger: the only place that books, and the balance as its sum.

Every booking names an idempotency `key` ("invoice:17", "payment:abc"): a
retry, a second worker or a duplicate event finds the entry already booked
and books nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce

from accounts.models import Account
from billing.models import Invoice, LedgerClearing, LedgerEntry
from core.money import round_money

ZERO = Decimal("0.00")


def _money(total) -> Decimal:
    """A database sum as whole cents (SQLite adds decimals as floating point)."""
    if total is None:
        return ZERO
    return round_money(Decimal(str(total)))


def ledger_book(
    *,
    account: Account,
    kind: str,
    amount: Decimal,
    booked_on: dt.date,
    key: str,
    text: str,
    invoice: Invoice | None = None,
    reference: str = "",
    due_date: dt.date | None = None,
) -> tuple[LedgerEntry, bool]:
    """Book `amount` (positive: the customer owes more) once per `key`.
    Returns (entry, created)."""
    if not isinstance(amount, Decimal):
        raise TypeError("ledger amounts are Decimals")
    if round_money(amount) != amount:
        raise ValueError(f"ledger amounts are whole cents, not {amount}")
    existing = LedgerEntry.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                account=account,
                kind=kind,
                amount=amount,
                booked_on=booked_on,
                key=key,
                text=text[:200],
                invoice=invoice,
                reference=reference,
                due_date=due_date,
            )
    except IntegrityError:
        return LedgerEntry.objects.get(key=key), False
    return entry, True


def account_balance(*, account: Account, as_of: dt.date | None = None) -> Decimal:
    """What the customer owes (negative: a credit), as the sum of the ledger."""
    entries = LedgerEntry.objects.filter(account=account)
    if as_of is not None:
        entries = entries.filter(booked_on__lte=as_of)
    return _money(entries.aggregate(total=Sum("amount"))["total"])


def balances(*, account_ids: list[int]) -> dict[int, Decimal]:
    """Balances of many accounts in one query (lists, dashboards)."""
    rows = (
        LedgerEntry.objects.filter(account_id__in=account_ids)
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    found = {account_id: _money(total) for account_id, total in rows}
    return {account_id: found.get(account_id, ZERO) for account_id in account_ids}


def _cleared(entry_ids: list[int], *, side: str) -> dict[int, Decimal]:
    rows = (
        LedgerClearing.objects.filter(**{f"{side}_id__in": entry_ids}, reversed_at__isnull=True)
        .values(f"{side}_id")
        .annotate(total=Sum("amount"))
        .values_list(f"{side}_id", "total")
    )
    return {entry_id: _money(total) for entry_id, total in rows}


def open_debits(*, account: Account) -> list[tuple[LedgerEntry, Decimal]]:
    """The account's debit entries (invoices, instalments, fees) with what is
    still open of each, oldest due first."""
    debits = list(
        LedgerEntry.objects.filter(account=account, amount__gt=0).order_by(
            Coalesce("due_date", "booked_on"), "booked_on", "id"
        )
    )
    cleared = _cleared([entry.pk for entry in debits], side="debit")
    result = []
    for entry in debits:
        left = entry.amount - cleared.get(entry.pk, ZERO)
        if left > 0:
            result.append((entry, left))
    return result


def open_credits(*, account: Account) -> list[tuple[LedgerEntry, Decimal]]:
    """The account's credit entries (payments, credit notes …) with what is
    not yet used to settle debits, oldest first."""
    credits = list(LedgerEntry.objects.filter(account=account, amount__lt=0).order_by("booked_on", "id"))
    used = _cleared([entry.pk for entry in credits], side="credit")
    result = []
    for entry in credits:
        left = -entry.amount - used.get(entry.pk, ZERO)
        if left > 0:
            result.append((entry, left))
    return result


def ledger_clear(*, account: Account, prefer: list[LedgerEntry] | None = None) -> list[LedgerClearing]:
    """Settle the account's open debits with its open credits: the debits in
    `prefer` first (a payment naming its invoice, a credit note its invoice),
    then the oldest due. Never clears more than either side has open; runs
    under a lock on the account so two callers cannot clear twice."""
    made: list[LedgerClearing] = []
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=account.pk).first()
        debits = open_debits(account=account)
        if prefer:
            preferred = {entry.pk for entry in prefer}
            debits.sort(key=lambda pair: pair[0].pk not in preferred)
        credits = open_credits(account=account)
        debit_index = 0
        for credit, credit_left in credits:
            while credit_left > 0 and debit_index < len(debits):
                debit, debit_left = debits[debit_index]
                amount = min(credit_left, debit_left)
                made.append(LedgerClearing.objects.create(debit=debit, credit=credit, amount=amount))
                credit_left -= amount
                debit_left -= amount
                if debit_left == 0:
                    debit_index += 1
                else:
                    debits[debit_index] = (debit, debit_left)
    return made


def ledger_credit_cancel(*, credit: LedgerEntry, debit: LedgerEntry, as_of: dt.datetime) -> LedgerClearing:
    """Cancel a credit (a payment that came back) by a debit of the same
    amount booked for it: the credit's clearings are reversed, so the items it
    settled are open again, and the debit settles the credit in full. A credit
    cancelled before keeps its one cancelling clearing."""
    if debit.account_id != credit.account_id or debit.amount != -credit.amount:
        raise ValueError("a credit is cancelled by a debit of the same account and amount")
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=credit.account_id).first()
        cancelling = LedgerClearing.objects.filter(debit=debit, credit=credit, reversed_at__isnull=True).first()
        if cancelling is not None:
            return cancelling
        LedgerClearing.objects.filter(credit=credit, reversed_at__isnull=True).update(reversed_at=as_of)
        return LedgerClearing.objects.create(debit=debit, credit=credit, amount=debit.amount)


def entry_open_amount(*, entry: LedgerEntry) -> Decimal:
    """What is still open of one entry (debit: unpaid; credit: unused), as a positive amount."""
    if entry.amount > 0:
        return entry.amount - _cleared([entry.pk], side="debit").get(entry.pk, ZERO)
    return -entry.amount - _cleared([entry.pk], side="credit").get(entry.pk, ZERO)
