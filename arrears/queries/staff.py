"""What the back-office shows of arrears: the work list of current cases by
level, the holds, the supervisors' decisions waiting, and the arrears
section of the customer page. Each reads many accounts in a fixed number of
queries (amounts through `arrears_for`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from arrears.models import (
    AgencyReferral,
    DisconnectionOrder,
    DunningCase,
    DunningHold,
    DunningLevel,
    DunningNotice,
    PaymentPlan,
)
from arrears.queries.arrears import AccountArrears, arrears_for
from arrears.services.holds import active_holds
from arrears.services.plans import PlanProgress, plan_progress

# Holds an agent may end by hand: those on the account that no other process owns
# (a dispute ends with its ticket, a plan's holds with the plan).
RELEASABLE_REASONS = (
    DunningHold.Reason.AGENT,
    DunningHold.Reason.VULNERABLE,
    DunningHold.Reason.DIRECT_DEBIT_RETURNED,
    DunningHold.Reason.CHARGEBACK,
)
PLAN = "plan"
AGENCY = "agency"
SKIPPED = "skipped"
NOT_YET = "0"


def hold_releasable(hold: DunningHold) -> bool:
    """Whether an agent may release this hold on the back-office pages."""
    return (
        hold.released_at is None
        and hold.invoice_id is None
        and hold.entry_id is None
        and hold.reason in RELEASABLE_REASONS
    )


@dataclass(frozen=True)
class WorklistTab:
    key: str
    label: str
    count: int


def worklist_levels() -> list[int]:
    """The level numbers that send a notice (the agency hand-over is a tab of its own)."""
    numbers = DunningLevel.objects.filter(agency_handover=False, procedure__active=True).values_list(
        "number", flat=True
    )
    return sorted(set(numbers))


def _tab_filter(key: str, levels: list[int]) -> Q:
    if key == PLAN:
        return Q(status=DunningCase.Status.PLAN)
    if key == AGENCY:
        return Q(status=DunningCase.Status.AGENCY)
    if key == SKIPPED:
        return Q(status=DunningCase.Status.OPEN) & ~Q(skip_reason="")
    level = int(key)
    dunned = Q(status=DunningCase.Status.OPEN, skip_reason="")
    # A case beyond the last level (recalled from the agency) stays on the last level's tab.
    return dunned & (Q(level__gte=level) if levels and level == levels[-1] else Q(level=level))


def worklist_tabs(*, levels: list[int]) -> list[WorklistTab]:
    """The tabs of the work list with the number of current cases on each."""
    keys = [*(str(level) for level in levels), PLAN, AGENCY, SKIPPED, NOT_YET]
    counts = DunningCase.objects.exclude(status=DunningCase.Status.CLOSED).aggregate(
        **{f"tab_{key}": Count("id", filter=_tab_filter(key, levels)) for key in keys}
    )
    labels = {
        PLAN: _("Payment plan"),
        AGENCY: _("Collection agency"),
        SKIPPED: _("Skipped"),
        NOT_YET: _("Not reminded yet"),
    }
    return [
        WorklistTab(
            key=key,
            label=str(labels.get(key) or _("Level %(level)s") % {"level": key}),
            count=counts[f"tab_{key}"],
        )
        for key in keys
    ]


def worklist_cases(*, tab: str, levels: list[int]) -> QuerySet[DunningCase]:
    """The current cases on `tab`, oldest first."""
    return (
        DunningCase.objects.exclude(status=DunningCase.Status.CLOSED)
        .filter(_tab_filter(tab, levels))
        .select_related("account__customer", "procedure")
        .order_by("opened_on", "id")
    )


@dataclass(frozen=True)
class WorklistRow:
    case: DunningCase
    arrears: AccountArrears
    last_notice: DunningNotice | None
    plan: PaymentPlan | None
    referral: AgencyReferral | None

    @property
    def account(self) -> Account:
        return self.case.account

    @property
    def days_overdue(self) -> int:
        """Days since the oldest overdue item's due date, items on hold included."""
        items = self.arrears.items
        return max((item.days_overdue for item in items), default=0)


def worklist_rows(*, cases: list[DunningCase], as_of: dt.date) -> list[WorklistRow]:
    """Each case with its arrears, last notice, active plan and hand-over (a few queries for any number)."""
    arrears = arrears_for(account_ids=[case.account_id for case in cases], as_of=as_of)
    last: dict[int, DunningNotice] = {}
    for notice in DunningNotice.objects.filter(case__in=cases).order_by("case_id", "-sent_on", "-level", "-id"):
        last.setdefault(notice.case_id, notice)
    plans = {
        plan.case_id: plan
        for plan in PaymentPlan.objects.filter(
            case__in=[case for case in cases if case.status == DunningCase.Status.PLAN],
            status=PaymentPlan.Status.ACTIVE,
        )
    }
    referrals = {
        referral.case_id: referral
        for referral in AgencyReferral.objects.filter(
            case__in=[case for case in cases if case.status == DunningCase.Status.AGENCY]
        )
    }
    for case in cases:
        # The account loaded with the case carries its customer; the arrears show it.
        arrears[case.account_id].account = case.account
    return [
        WorklistRow(
            case=case,
            arrears=arrears[case.account_id],
            last_notice=last.get(case.pk),
            plan=plans.get(case.pk),
            referral=referrals.get(case.pk),
        )
        for case in cases
    ]


def holds_active(*, as_of: dt.date, reason: str = "") -> QuerySet[DunningHold]:
    """Active holds, those ending soonest first, the open-ended ones last."""
    holds = active_holds(as_of=as_of).select_related("account__customer", "invoice", "entry", "created_by")
    if reason:
        holds = holds.filter(reason=reason)
    return holds.order_by(F("until").asc(nulls_last=True), "-created_at", "-id")


def decisions_waiting() -> int:
    """Disconnections and agency hand-overs waiting for a supervisor (one query)."""
    orders = DisconnectionOrder.objects.filter(status=DisconnectionOrder.Status.PROPOSED).values("id")
    referrals = AgencyReferral.objects.filter(status=AgencyReferral.Status.PROPOSED).values("id")
    return orders.union(referrals, all=True).count()


@dataclass
class AccountArrearsPanel:
    """Everything of arrears about one account, for the customer page."""

    account: Account
    arrears: AccountArrears
    case: DunningCase | None = None
    earlier_cases: int = 0
    notices: list[DunningNotice] = field(default_factory=list)
    holds: list[DunningHold] = field(default_factory=list)
    ended_holds: list[DunningHold] = field(default_factory=list)
    plan: PaymentPlan | None = None
    progress: PlanProgress | None = None
    disconnections: list[DisconnectionOrder] = field(default_factory=list)
    referral: AgencyReferral | None = None

    @property
    def plan_running(self) -> bool:
        return self.plan is not None and self.plan.status == PaymentPlan.Status.ACTIVE

    @property
    def quiet(self) -> bool:
        """Nothing overdue and no arrears history at all."""
        return not (self.arrears.items or self.case or self.earlier_cases or self.notices or self.holds or self.plan)


def _hold_active(hold: DunningHold, as_of: dt.date) -> bool:
    return hold.released_at is None and (hold.until is None or hold.until >= as_of)


def _current_plan(plans: list[PaymentPlan]) -> PaymentPlan | None:
    """The running plan, else the open proposal, else the last one that ended (newest first in `plans`)."""
    for status in (PaymentPlan.Status.ACTIVE, PaymentPlan.Status.PROPOSED):
        found = next((plan for plan in plans if plan.status == status), None)
        if found is not None:
            return found
    return next((plan for plan in plans if plan.status != PaymentPlan.Status.CANCELLED), None)


def customer_arrears(*, accounts: list[Account], as_of: dt.date) -> list[AccountArrearsPanel]:
    """Per account: arrears now, the current case, every notice, holds (active
    and ended), the current plan with its progress, disconnection orders and
    the agency hand-over. A fixed number of queries, plus one per running plan."""
    ids = [account.pk for account in accounts]
    arrears = arrears_for(account_ids=ids, as_of=as_of)
    panels = {account.pk: AccountArrearsPanel(account=account, arrears=arrears[account.pk]) for account in accounts}
    case_account: dict[int, int] = {}
    for case in DunningCase.objects.filter(account_id__in=ids).order_by("-opened_on", "-id"):
        case_account[case.pk] = case.account_id
        panel = panels[case.account_id]
        if case.status != DunningCase.Status.CLOSED and panel.case is None:
            panel.case = case
        else:
            panel.earlier_cases += 1
    for notice in DunningNotice.objects.filter(case_id__in=list(case_account)).order_by("-sent_on", "-level", "-id"):
        panels[case_account[notice.case_id]].notices.append(notice)
    holds = DunningHold.objects.filter(account_id__in=ids).select_related("invoice", "entry", "created_by")
    for hold in holds.order_by("-created_at", "-id"):
        panel = panels[hold.account_id]
        (panel.holds if _hold_active(hold, as_of) else panel.ended_holds).append(hold)
    plans: dict[int, list[PaymentPlan]] = {}
    for plan in (
        PaymentPlan.objects.filter(account_id__in=ids)
        .select_related("proposed_by", "consent_recorded_by")
        .prefetch_related("instalments")
        .order_by("-created_at", "-id")
    ):
        plans.setdefault(plan.account_id, []).append(plan)
    for account_id, account_plans in plans.items():
        panel = panels[account_id]
        panel.plan = _current_plan(account_plans)
        if panel.plan is not None:
            panel.progress = plan_progress(plan=panel.plan, as_of=as_of, instalments=list(panel.plan.instalments.all()))
    for order in (
        DisconnectionOrder.objects.filter(account_id__in=ids)
        .select_related("threat", "decided_by")
        .order_by("-created_at", "-id")
    ):
        panels[order.account_id].disconnections.append(order)
    for referral in AgencyReferral.objects.filter(case_id__in=list(case_account)).order_by("-created_at", "-id"):
        panel = panels[case_account[referral.case_id]]
        if panel.referral is None:
            panel.referral = referral
    return [panels[account.pk] for account in accounts]


@dataclass(frozen=True)
class AccountFlags:
    account: Account
    case: DunningCase | None
    holds: list[DunningHold]


def customer_arrears_flags(*, accounts: list[Account], as_of: dt.date) -> list[AccountFlags]:
    """The current case and the account's own active holds, for the customer page header (two queries)."""
    ids = [account.pk for account in accounts]
    cases = {
        case.account_id: case
        for case in DunningCase.objects.filter(account_id__in=ids).exclude(status=DunningCase.Status.CLOSED)
    }
    holds: dict[int, list[DunningHold]] = {}
    for hold in active_holds(as_of=as_of).filter(account_id__in=ids, invoice__isnull=True, entry__isnull=True):
        holds.setdefault(hold.account_id, []).append(hold)
    return [
        AccountFlags(account=account, case=cases.get(account.pk), holds=holds.get(account.pk, []))
        for account in accounts
        if account.pk in cases or account.pk in holds
    ]
