"""Arrears and payment plans in the JSON API (a customer session token for
their own accounts, or an API key with arrears:read / arrears:write):

- GET /accounts/{number}/arrears: what is overdue, the level, the case, the
  notices, the holds and the current plan;
- GET and POST /accounts/{number}/payment-plans: the account's plans, or a
  proposal (201; 422 with the rule it breaks);
- POST /accounts/{number}/payment-plans/{id}/accept: the customer's consent
  (typed name and `consent: true`); the plan becomes active.

Amounts are strings with two decimals ("238.00"); statuses and hold reasons
lower-case codes. Another customer's account or plan is 404."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BaseModel, ConfigDict, StrictBool

from accounts.api import account_visible
from accounts.models import Account
from arrears.models import PaymentPlan
from arrears.queries.overview import account_overview, plans_with_instalments
from arrears.services.plans import PlanRefused, plan_accept, plan_progress, plan_propose
from core import clock
from core.api import Message, customer_or_key

router = Router(tags=["arrears"])
ARREARS_READ = customer_or_key(scope="arrears:read")
ARREARS_WRITE = customer_or_key(scope="arrears:write")

CaseStatus = Literal["none", "open", "plan", "agency", "closed"]
PlanStatus = Literal["proposed", "active", "paid", "broken", "cancelled"]
InstalmentStatus = Literal["paid", "part", "due", "overdue", "upcoming"]


def _money(amount) -> str:
    return f"{amount:.2f}"


# --- Output -------------------------------------------------------------------------------


class NoticeOut(Schema):
    level: int
    sent_on: dt.date
    fee: str
    deadline: dt.date


class HoldOut(Schema):
    """`reason`: dispute | payment_plan | agent | vulnerable | direct_debit_returned | chargeback;
    `until`: null while it lasts until released."""

    reason: str
    until: dt.date | None


class InstalmentOut(Schema):
    """`number` 0 is the down payment."""

    number: int
    due_date: dt.date
    amount: str
    status: InstalmentStatus


class PlanOut(Schema):
    """A payment plan: `total` is the debt it covers, its instalments (the down
    payment first) sum to it; `paid` and `open` count what arrived since it started."""

    id: int
    status: PlanStatus
    total: str
    down_payment: str
    instalment_count: int
    first_due: dt.date
    interest_free: bool
    paid: str
    open: str
    accepted_at: dt.datetime | None
    instalments: list[InstalmentOut]


class ArrearsOut(Schema):
    """`overdue_amount`: the open amount of the overdue items not under a hold;
    `level`: the current dunning case's level (0: none); `case_status`: the
    current case's, "closed" when the last one closed, "none" without any;
    `notices`: those of the current (or last) case; `plan`: the running plan,
    else a proposal waiting for consent, else null."""

    overdue_amount: str
    level: int
    case_status: CaseStatus
    notices: list[NoticeOut]
    holds: list[HoldOut]
    plan: PlanOut | None


class PlanInvalid(Schema):
    """A refused proposal or consent: the message by field (`errors`), located
    (`detail`), and `rule`, the rule it breaks (null when the request itself is malformed)."""

    errors: dict[str, str]
    detail: list[dict[str, Any]]
    rule: str | None = None


def plan_out(plan: PaymentPlan, *, as_of: dt.date) -> dict[str, Any]:
    instalments = list(plan.instalments.all())
    progress = plan_progress(plan=plan, as_of=as_of, instalments=instalments)
    return {
        "id": plan.pk,
        "status": plan.status.lower(),
        "total": _money(plan.total),
        "down_payment": _money(plan.down_payment),
        "instalment_count": plan.instalment_count,
        "first_due": plan.first_due,
        "interest_free": plan.interest_free,
        "paid": _money(progress.paid),
        "open": _money(progress.open),
        "accepted_at": plan.accepted_at,
        "instalments": [
            {
                "number": row.instalment.number,
                "due_date": row.instalment.due_date,
                "amount": _money(row.instalment.amount),
                "status": row.status,
            }
            for row in progress.instalments
        ],
    }


def refused(error: PlanRefused) -> dict[str, Any]:
    """The 422 body for a refused plan, in the API's usual shape plus the rule."""
    field = error.field or "body"
    loc = ["body", field] if error.field else ["body"]
    return {"errors": {field: str(error)}, "detail": [{"loc": loc, "msg": str(error)}], "rule": error.rule}


# --- Input ---------------------------------------------------------------------------------


class PlanIn(BaseModel):
    """`instalments`: how many monthly instalments; `down_payment` in euros
    ("0.00", optional); `first_due`: YYYY-MM-DD, from today to the latest
    date the rules allow. The rules are checked once the account is known:
    a missing or wrong value is a 422 with its rule, like a plan outside them."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    instalments: int | str | None = None
    down_payment: str | None = None
    first_due: str | None = None


class AcceptIn(BaseModel):
    """The customer's full name and `consent: true`: their signature."""

    name: str | None = None
    consent: StrictBool | None = None


# --- Endpoints -----------------------------------------------------------------------------


def _date(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError as error:
        raise PlanRefused(
            _("Enter the first due date as YYYY-MM-DD."), rule="first_due_invalid", field="first_due"
        ) from error


def _plan_of(account: Account, plan_id: int) -> PaymentPlan:
    plan = (
        PaymentPlan.objects.filter(account=account, pk=plan_id)
        .select_related("account__customer")
        .prefetch_related(plans_with_instalments())
        .first()
    )
    if plan is None:
        raise HttpError(404, _("There is no payment plan with this id on this account."))
    return plan


@router.get(
    "/accounts/{number}/arrears",
    response={200: ArrearsOut, 401: Message, 403: Message, 404: Message},
    auth=ARREARS_READ,
)
def arrears_detail(request: HttpRequest, number: str) -> dict[str, Any]:
    """What is overdue on the account, the dunning case with its notices, the
    holds and the plan. A key needs arrears:read; a customer sees only their own."""
    account = account_visible(request.auth, number=number)
    today = clock.today()
    overview = account_overview(account=account, as_of=today)
    return {
        "overdue_amount": _money(overview.overdue_amount),
        "level": overview.level,
        "case_status": overview.case_status,
        "notices": [
            {"level": notice.level, "sent_on": notice.sent_on, "fee": _money(notice.fee), "deadline": notice.deadline}
            for notice in overview.notices
        ],
        "holds": [{"reason": hold.code, "until": hold.until} for hold in overview.holds],
        "plan": plan_out(overview.plan, as_of=today) if overview.plan is not None else None,
    }


@router.get(
    "/accounts/{number}/payment-plans",
    response={200: list[PlanOut], 401: Message, 403: Message, 404: Message},
    auth=ARREARS_READ,
)
def plan_list(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """Every plan of the account, newest first (proposals withdrawn or replaced too)."""
    account = account_visible(request.auth, number=number)
    today = clock.today()
    plans = (
        PaymentPlan.objects.filter(account=account)
        .select_related("account")
        .prefetch_related(plans_with_instalments())
        .order_by("-created_at", "-id")
    )
    return [plan_out(plan, as_of=today) for plan in plans]


@router.post(
    "/accounts/{number}/payment-plans",
    response={201: PlanOut, 401: Message, 403: Message, 404: Message, 422: PlanInvalid},
    auth=ARREARS_WRITE,
)
def plan_create(request: HttpRequest, number: str, payload: PlanIn) -> Status[Any]:
    """Propose a plan over the account's arrears (not binding until accepted;
    an older proposal is withdrawn). 422 with `rule` when it breaks one:
    no_arrears, plan_active, instalments_invalid, instalments_out_of_range,
    down_payment_invalid, down_payment_too_high, instalment_too_small,
    first_due_invalid, first_due_in_past, first_due_too_late."""
    account = account_visible(request.auth, number=number)
    today = clock.today()
    instalments = payload.instalments
    if isinstance(instalments, str) and instalments.strip().isdigit():
        instalments = int(instalments)
    try:
        plan = plan_propose(
            account=account,
            instalments=instalments,
            down_payment=(payload.down_payment or "0.00").strip(),
            first_due=_date(payload.first_due),
            as_of=today,
        )
    except PlanRefused as error:
        return Status(422, refused(error))
    return Status(201, plan_out(_plan_of(account, plan.pk), as_of=today))


@router.post(
    "/accounts/{number}/payment-plans/{int:id}/accept",
    response={200: PlanOut, 401: Message, 403: Message, 404: Message, 422: PlanInvalid},
    auth=ARREARS_WRITE,
)
def plan_accept_api(request: HttpRequest, number: str, id: int, payload: AcceptIn) -> Status[Any]:
    """The customer's consent to a proposed plan: their full name and
    `consent: true` (recorded with the time and the caller's IP address).
    The plan becomes active and the signed agreement is mailed. 422 with
    `rule` consent_missing, name_missing, not_proposed or plan_active."""
    account = account_visible(request.auth, number=number)
    plan = _plan_of(account, id)
    today = clock.today()
    try:
        plan_accept(
            plan=plan,
            name=payload.name or "",
            consent=payload.consent is True,
            channel=PaymentPlan.Consent.API,
            ip=request.META.get("REMOTE_ADDR"),
            as_of=today,
        )
    except PlanRefused as error:
        return Status(422, refused(error))
    return Status(200, plan_out(_plan_of(account, plan.pk), as_of=today))
