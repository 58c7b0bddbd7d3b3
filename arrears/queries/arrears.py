"""What an account owes that is overdue, item by item, for many accounts in
a few queries: the dunning run, the customer's page, the API and the work
lists all read arrears from here.

An item (invoice, instalment, fee, interest, returned payment) is overdue
from the day after its due date while any of it is open. Arrears are the
open amount of the overdue items not under a hold; a dispute holds only its
invoice, a payment plan only its items, a direct debit on its way only what
it collects."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q, Sum
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.models import Account
from arrears.models import DunningCase, DunningHold, DunningProcedure
from arrears.services.holds import active_holds
from billing.models import LedgerClearing, LedgerEntry
from billing.queries.bills import entries_with_open_amounts
from core.money import round_money
from meters.models import Utility
from payments.models import SepaCollection
from supply.models import ServiceAgreement

ZERO = Decimal("0.00")
ENERGY = (Utility.ELECTRICITY, Utility.GAS)
PENDING_COLLECTION = (
    SepaCollection.Status.PLANNED,
    SepaCollection.Status.PRE_NOTIFIED,
    SepaCollection.Status.SUBMITTED,
)
AGING_BUCKETS = ((0, 30, "0-30"), (31, 60, "31-60"), (61, 90, "61-90"), (91, None, "90+"))


@dataclass(frozen=True)
class OverdueItem:
    entry: LedgerEntry
    open_amount: Decimal
    due_date: dt.date
    days_overdue: int
    # Why dunning waits for this item ("" when it does not): the hold's reason label.
    held: str = ""

    @property
    def label(self) -> str:
        entry = self.entry
        if entry.kind == LedgerEntry.Kind.INVOICE and entry.reference:
            return _("Invoice %(number)s") % {"number": entry.reference}
        if entry.kind == LedgerEntry.Kind.INSTALMENT:
            return _("Instalment due %(date)s") % {"date": formats.date_format(entry.due_date, "SHORT_DATE_FORMAT")}
        return entry.text

    def as_json(self) -> dict:
        return {
            "label": self.label,
            "kind": self.entry.kind.lower(),
            "reference": self.entry.reference,
            "due_date": self.due_date.isoformat(),
            "open_amount": f"{self.open_amount:.2f}",
            "entry_id": self.entry.pk,
        }


@dataclass
class AccountArrears:
    account: Account
    as_of: dt.date
    items: list[OverdueItem] = field(default_factory=list)
    # The account's own active holds (agent, vulnerable, returned debit): dunning waits for all of it.
    account_holds: list[DunningHold] = field(default_factory=list)

    @property
    def due(self) -> list[OverdueItem]:
        """The overdue items dunning follows up (not under a hold)."""
        return [item for item in self.items if not item.held]

    @property
    def held_items(self) -> list[OverdueItem]:
        return [item for item in self.items if item.held]

    @property
    def amount(self) -> Decimal:
        """Arrears: what is overdue and not under a hold."""
        return sum((item.open_amount for item in self.due), ZERO)

    @property
    def held_amount(self) -> Decimal:
        return sum((item.open_amount for item in self.held_items), ZERO)

    @property
    def overdue_total(self) -> Decimal:
        return sum((item.open_amount for item in self.items), ZERO)

    @property
    def oldest_due(self) -> dt.date | None:
        due = self.due
        return min(item.due_date for item in due) if due else None

    @property
    def days_overdue(self) -> int:
        oldest = self.oldest_due
        return (self.as_of - oldest).days if oldest else 0

    def disputed_amount(self) -> Decimal:
        return sum((item.open_amount for item in self.items if item.held == DunningHold.Reason.DISPUTE.label), ZERO)


def _open_amounts(entries: list[LedgerEntry]) -> dict[int, Decimal]:
    rows = (
        LedgerClearing.objects.filter(debit_id__in=[entry.pk for entry in entries], reversed_at__isnull=True)
        .values("debit_id")
        .annotate(total=Sum("amount"))
        .values_list("debit_id", "total")
    )
    cleared = {debit_id: round_money(Decimal(str(total))) for debit_id, total in rows}
    return {entry.pk: entry.amount - cleared.get(entry.pk, ZERO) for entry in entries}


def arrears_for(*, account_ids: list[int], as_of: dt.date) -> dict[int, AccountArrears]:
    """Arrears of many accounts on `as_of`, in a handful of queries."""
    accounts = Account.objects.in_bulk(account_ids)
    result = {account_id: AccountArrears(account=accounts[account_id], as_of=as_of) for account_id in accounts}
    if not result:
        return result
    entries = list(
        LedgerEntry.objects.filter(account_id__in=list(result), amount__gt=0, due_date__lt=as_of).order_by(
            "due_date", "id"
        )
    )
    open_amounts = _open_amounts(entries)
    entries = [entry for entry in entries if open_amounts[entry.pk] > 0]
    holds = list(active_holds(as_of=as_of).filter(account_id__in=list(result)))
    by_invoice = {hold.invoice_id: hold for hold in holds if hold.invoice_id}
    by_entry = {hold.entry_id: hold for hold in holds if hold.entry_id}
    for hold in holds:
        if hold.invoice_id is None and hold.entry_id is None:
            result[hold.account_id].account_holds.append(hold)
    on_the_way = set(
        SepaCollection.ledger_entries.through.objects.filter(
            ledgerentry_id__in=[entry.pk for entry in entries], sepacollection__status__in=PENDING_COLLECTION
        ).values_list("ledgerentry_id", flat=True)
    )
    for entry in entries:
        hold = by_entry.get(entry.pk) or (by_invoice.get(entry.invoice_id) if entry.invoice_id else None)
        if hold is not None:
            held = hold.get_reason_display()
        elif entry.pk in on_the_way:
            held = str(_("direct debit on its way"))
        else:
            held = ""
        result[entry.account_id].items.append(
            OverdueItem(
                entry=entry,
                open_amount=open_amounts[entry.pk],
                due_date=entry.due_date,
                days_overdue=(as_of - entry.due_date).days,
                held=held,
            )
        )
    return result


def account_arrears(*, account: Account, as_of: dt.date) -> AccountArrears:
    return arrears_for(account_ids=[account.pk], as_of=as_of)[account.pk]


def accounts_with_overdue_items(*, as_of: dt.date) -> list[int]:
    """Accounts with an open item past its due date, or with a case still current."""
    debits = entries_with_open_amounts(LedgerEntry.objects.filter(amount__gt=0, due_date__lt=as_of)).filter(
        amount__gt=F("cleared_as_debit")
    )
    candidates = set(debits.values_list("account_id", flat=True).distinct())
    candidates |= set(
        DunningCase.objects.exclude(status=DunningCase.Status.CLOSED).values_list("account_id", flat=True)
    )
    return sorted(candidates)


def account_utilities(*, account_ids: list[int]) -> dict[int, list[str]]:
    """The utilities each account is (or was last) supplied with, energy first."""
    rows = (
        ServiceAgreement.objects.filter(account_id__in=account_ids)
        .exclude(status=ServiceAgreement.Status.REQUESTED)
        .values_list("account_id", "supply_point__utility")
        .distinct()
    )
    found: dict[int, list[str]] = defaultdict(list)
    for account_id, utility in rows:
        if utility not in found[account_id]:
            found[account_id].append(utility)
    order = {utility: index for index, utility in enumerate(Utility.values)}
    return {account_id: sorted(found.get(account_id, []), key=lambda u: order.get(u, 99)) for account_id in account_ids}


def procedure_for(*, customer_type: str, utilities: list[str], procedures: list[DunningProcedure] | None = None):
    """The procedure for a customer type: the one of the account's first
    utility that has its own, else the one for any utility."""
    procedures = procedures if procedures is not None else list(DunningProcedure.objects.filter(active=True))
    mine = [procedure for procedure in procedures if procedure.customer_type == customer_type]
    for utility in utilities:
        for procedure in mine:
            if procedure.utility == utility:
                return procedure
    return next((procedure for procedure in mine if not procedure.utility), None)


def current_case(*, account: Account) -> DunningCase | None:
    return DunningCase.objects.filter(account=account).exclude(status=DunningCase.Status.CLOSED).first()


@dataclass(frozen=True)
class AgingBucket:
    label: str
    count: int
    amount: Decimal


def aging(*, as_of: dt.date) -> list[AgingBucket]:
    """Overdue items not under a hold, by days past their due date (0-30, 31-60, 61-90, 90+)."""
    account_ids = accounts_with_overdue_items(as_of=as_of)
    arrears = arrears_for(account_ids=account_ids, as_of=as_of)
    totals = {label: [0, ZERO] for _low, _high, label in AGING_BUCKETS}
    for account_arrears in arrears.values():
        for item in account_arrears.due:
            for low, high, label in AGING_BUCKETS:
                if item.days_overdue >= low and (high is None or item.days_overdue <= high):
                    totals[label][0] += 1
                    totals[label][1] += item.open_amount
                    break
    return [
        AgingBucket(label=label, count=totals[label][0], amount=totals[label][1]) for _l, _h, label in AGING_BUCKETS
    ]


def q_open_cases() -> Q:
    return ~Q(status=DunningCase.Status.CLOSED)
