"""What a customer (their page, the dashboard banner) and the JSON API see of
an account's arrears: what is overdue and what paying it now costs, the
dunning case with its level and notices, the holds and the payment plan; for
many accounts in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from accounts.models import Account
from arrears.models import DunningCase, DunningLevel, DunningNotice, PaymentPlan, PlanInstalment
from arrears.queries.arrears import AccountArrears, arrears_for
from arrears.services.holds import active_holds
from billing.models import LedgerEntry
from billing.queries.bills import entries_with_open_amounts, entry_open
from billing.services.ledger import balances
from core.money import round_money

ZERO = Decimal("0.00")
CHARGE_KINDS = (LedgerEntry.Kind.FEE, LedgerEntry.Kind.INTEREST)
# The plan a customer sees: the running one, else a proposal waiting for consent.
CURRENT_PLAN_STATES = (PaymentPlan.Status.ACTIVE, PaymentPlan.Status.PROPOSED)


@dataclass(frozen=True)
class Charge:
    """A dunning fee or interest booked and still open, not yet due (its
    due date is the notice's payment deadline)."""

    entry: LedgerEntry
    open_amount: Decimal


@dataclass(frozen=True)
class HoldRow:
    reason: str
    until: dt.date | None

    @property
    def code(self) -> str:
        return self.reason.lower()


@dataclass
class AccountOverview:
    account: Account
    arrears: AccountArrears
    balance: Decimal
    charges: list[Charge] = field(default_factory=list)
    # The current case, else the latest closed one (None: never a case).
    case: DunningCase | None = None
    # The names of the levels of the case's procedure, by number, in the language asked for.
    level_names: dict[int, str] = field(default_factory=dict)
    notices: list[DunningNotice] = field(default_factory=list)
    holds: list[HoldRow] = field(default_factory=list)
    plan: PaymentPlan | None = None

    @property
    def overdue_amount(self) -> Decimal:
        return self.arrears.amount

    @property
    def charges_amount(self) -> Decimal:
        return sum((charge.open_amount for charge in self.charges), ZERO)

    @property
    def to_pay(self) -> Decimal:
        """What "Pay now" pays: the overdue amount and the open dunning fees
        and interest, never more than the balance."""
        if self.overdue_amount <= 0:
            return ZERO
        return max(min(self.overdue_amount + self.charges_amount, self.balance), ZERO)

    @property
    def has_arrears(self) -> bool:
        return self.overdue_amount > 0

    @property
    def case_is_current(self) -> bool:
        return self.case is not None and self.case.status != DunningCase.Status.CLOSED

    @property
    def level(self) -> int:
        """The current case's level (0: none)."""
        return self.case.level if self.case_is_current else 0

    @property
    def level_name(self) -> str:
        return self.level_names.get(self.level, "")

    @property
    def case_status(self) -> str:
        """none | open | plan | agency | closed."""
        return self.case.status.lower() if self.case is not None else "none"

    @property
    def plan_is_active(self) -> bool:
        return self.plan is not None and self.plan.status == PaymentPlan.Status.ACTIVE

    @property
    def plan_is_proposed(self) -> bool:
        return self.plan is not None and self.plan.status == PaymentPlan.Status.PROPOSED

    @property
    def may_propose_plan(self) -> bool:
        return self.has_arrears and not self.plan_is_active

    @property
    def needs_attention(self) -> bool:
        """Something to show the customer: arrears, a running case or a plan."""
        return self.has_arrears or self.case_is_current or self.plan is not None


def plans_with_instalments() -> Prefetch:
    return Prefetch("instalments", queryset=PlanInstalment.objects.order_by("due_date", "number", "id"))


def account_overviews(*, accounts: list[Account], as_of: dt.date, language: str = "de") -> list[AccountOverview]:
    """Each account's arrears on `as_of`, in the order given, in a fixed number of queries."""
    ids = [account.pk for account in accounts]
    if not ids:
        return []
    arrears = arrears_for(account_ids=ids, as_of=as_of)
    account_balances = balances(account_ids=ids)
    overviews = {
        account.pk: AccountOverview(account=account, arrears=arrears[account.pk], balance=account_balances[account.pk])
        for account in accounts
    }
    taken = {item.entry.pk for overview in overviews.values() for item in overview.arrears.items}
    charges = (
        entries_with_open_amounts(
            LedgerEntry.objects.filter(account_id__in=ids, kind__in=CHARGE_KINDS, amount__gt=0, due_date__gte=as_of)
        )
        .exclude(pk__in=taken)
        .exclude(pk__in=active_holds(as_of=as_of).filter(entry__isnull=False).values("entry_id"))
        .order_by("due_date", "id")
    )
    for entry in charges:
        left = round_money(entry_open(entry))
        if left > 0:
            overviews[entry.account_id].charges.append(Charge(entry=entry, open_amount=left))
    _cases(overviews, language=language)
    _holds(overviews, as_of=as_of)
    plans = (
        PaymentPlan.objects.filter(account_id__in=ids, status__in=CURRENT_PLAN_STATES)
        .prefetch_related(plans_with_instalments())
        .order_by("-created_at", "-id")
    )
    for plan in plans:
        overview = overviews[plan.account_id]
        if overview.plan is None or (plan.status == PaymentPlan.Status.ACTIVE and not overview.plan_is_active):
            overview.plan = plan
    return [overviews[account.pk] for account in accounts]


def _cases(overviews: dict[int, AccountOverview], *, language: str) -> None:
    cases = DunningCase.objects.filter(account_id__in=list(overviews)).order_by("-opened_on", "-id")
    for case in cases:
        overview = overviews[case.account_id]
        current = overview.case is not None and overview.case.status != DunningCase.Status.CLOSED
        if overview.case is None or (case.status != DunningCase.Status.CLOSED and not current):
            overview.case = case
    chosen = {overview.case.pk: overview for overview in overviews.values() if overview.case is not None}
    if not chosen:
        return
    for notice in DunningNotice.objects.filter(case_id__in=list(chosen)).order_by("sent_on", "level", "id"):
        chosen[notice.case_id].notices.append(notice)
    names: dict[int, dict[int, str]] = {}
    procedures = {overview.case.procedure_id for overview in chosen.values()}
    for level in DunningLevel.objects.filter(procedure_id__in=procedures):
        names.setdefault(level.procedure_id, {})[level.number] = level.name(language)
    for overview in chosen.values():
        overview.level_names = names.get(overview.case.procedure_id, {})


def _holds(overviews: dict[int, AccountOverview], *, as_of: dt.date) -> None:
    holds = active_holds(as_of=as_of).filter(account_id__in=list(overviews)).order_by("until", "id")
    for hold in holds:
        rows = overviews[hold.account_id].holds
        row = HoldRow(reason=hold.reason, until=hold.until)
        if row not in rows:
            rows.append(row)


def account_overview(*, account: Account, as_of: dt.date, language: str = "de") -> AccountOverview:
    return account_overviews(accounts=[account], as_of=as_of, language=language)[0]


@dataclass(frozen=True)
class ArrearsBanner:
    """The dashboard's note: how much is overdue (all accounts) and whether a plan runs or waits."""

    amount: Decimal
    plan_active: bool
    plan_proposed: bool

    @property
    def shown(self) -> bool:
        return self.amount > 0 or self.plan_active or self.plan_proposed


def arrears_banner(*, accounts: list[Account], as_of: dt.date) -> ArrearsBanner:
    ids = [account.pk for account in accounts]
    if not ids:
        return ArrearsBanner(amount=ZERO, plan_active=False, plan_proposed=False)
    amount = sum((arrears.amount for arrears in arrears_for(account_ids=ids, as_of=as_of).values()), ZERO)
    states = set(
        PaymentPlan.objects.filter(account_id__in=ids, status__in=CURRENT_PLAN_STATES).values_list("status", flat=True)
    )
    return ArrearsBanner(
        amount=amount,
        plan_active=PaymentPlan.Status.ACTIVE in states,
        plan_proposed=PaymentPlan.Status.PROPOSED in states,
    )
