"""Payment plans (Zahlungsplan): proposed by the customer (portal, API) or an
agent within the procedure's rules, accepted with an explicit consent, then
followed: what is paid on its items counts towards its instalments; a missed
instalment gets a reminder and a grace period, then the plan breaks and
dunning resumes at the level it stood; a paid plan closes."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.models import Account, CustomerType
from arrears.models import DunningCase, DunningHold, DunningProcedure, PaymentPlan, PlanInstalment
from arrears.queries.arrears import (
    ENERGY,
    account_arrears,
    account_utilities,
    current_case,
    procedure_for,
)
from arrears.services.holds import active_holds, hold_put, hold_release
from arrears.services.schedule import plan_schedule
from billing.models import LedgerEntry
from billing.queries.bills import entries_with_open_amounts, entry_open
from core import clock
from core.communications import Attachment, message_send
from core.money import round_money

ZERO = Decimal("0.00")
DOWN_PAYMENT_DAYS = 7


class PlanRefused(Exception):
    """A plan that breaks a rule; `rule` names it for the API, the message is for people."""

    def __init__(self, message: str, *, rule: str, field: str = "") -> None:
        super().__init__(message)
        self.rule = rule
        self.field = field


@dataclass(frozen=True)
class PlanLimits:
    """What a customer may propose on `as_of`."""

    debt: Decimal
    months_min: int
    months_max: int
    first_due_earliest: dt.date
    first_due_latest: dt.date
    entries: list[LedgerEntry]
    procedure: DunningProcedure | None


def _procedure(account: Account) -> DunningProcedure | None:
    utilities = account_utilities(account_ids=[account.pk])[account.pk]
    return procedure_for(customer_type=account.customer.customer_type, utilities=utilities)


def plan_items(*, account: Account, as_of: dt.date) -> list[tuple[LedgerEntry, Decimal]]:
    """What a plan takes over: the overdue items not under a hold, and the
    dunning fees and interest booked on them (due or not)."""
    arrears = account_arrears(account=account, as_of=as_of)
    items = [(item.entry, item.open_amount) for item in arrears.due]
    taken = {entry.pk for entry, _open in items}
    extra = entries_with_open_amounts(
        LedgerEntry.objects.filter(account=account, kind__in=(LedgerEntry.Kind.FEE, LedgerEntry.Kind.INTEREST))
        .exclude(pk__in=taken)
        # Not under an active hold (an exclude across the relation would drop the entries without any hold).
        .exclude(pk__in=active_holds(as_of=as_of).filter(entry__isnull=False).values("entry_id"))
    ).order_by("id")
    for entry in extra:
        left = round_money(entry_open(entry))
        if left > 0:
            items.append((entry, left))
    return items


def plan_limits(*, account: Account, as_of: dt.date) -> PlanLimits:
    procedure = _procedure(account)
    items = plan_items(account=account, as_of=as_of)
    debt = sum((left for _entry, left in items), ZERO)
    months_min, months_max, first_days = 6, 18, 31
    if procedure is not None:
        first_days = procedure.plan_first_due_days
        if debt > procedure.plan_high_threshold:
            months_min, months_max = procedure.plan_high_months_min, procedure.plan_high_months_max
        else:
            months_min, months_max = procedure.plan_months_min, procedure.plan_months_max
    return PlanLimits(
        debt=debt,
        months_min=months_min,
        months_max=months_max,
        first_due_earliest=as_of,
        first_due_latest=as_of + dt.timedelta(days=first_days),
        entries=[entry for entry, _left in items],
        procedure=procedure,
    )


def _check(limits: PlanLimits, *, instalments: int, down_payment: Decimal, first_due: dt.date) -> None:
    if limits.debt <= 0:
        raise PlanRefused(_("There is nothing overdue to spread over instalments."), rule="no_arrears")
    if not limits.months_min <= instalments <= limits.months_max:
        raise PlanRefused(
            _("For a debt of %(debt)s EUR a plan has between %(min)s and %(max)s monthly instalments.")
            % {"debt": formats.number_format(limits.debt, 2), "min": limits.months_min, "max": limits.months_max},
            rule="instalments_out_of_range",
            field="instalments",
        )
    if down_payment < 0 or down_payment.as_tuple().exponent < -2:
        raise PlanRefused(
            _("Enter the down payment in euros and cents."), rule="down_payment_invalid", field="down_payment"
        )
    if down_payment >= limits.debt:
        raise PlanRefused(
            _("The down payment must be less than the debt of %(debt)s EUR; to pay it all, pay online.")
            % {"debt": formats.number_format(limits.debt, 2)},
            rule="down_payment_too_high",
            field="down_payment",
        )
    if (limits.debt - down_payment) / instalments < Decimal("0.01"):
        raise PlanRefused(
            _("Each instalment must be at least 0.01 EUR."), rule="instalment_too_small", field="instalments"
        )
    if first_due < limits.first_due_earliest:
        raise PlanRefused(
            _("The first instalment cannot be due in the past."), rule="first_due_in_past", field="first_due"
        )
    if first_due > limits.first_due_latest:
        raise PlanRefused(
            _("The first instalment must be due by %(date)s.")
            % {"date": formats.date_format(limits.first_due_latest, "SHORT_DATE_FORMAT")},
            rule="first_due_too_late",
            field="first_due",
        )


def plan_preview(
    *, limits: PlanLimits, instalments: int, down_payment: Decimal, first_due: dt.date, as_of: dt.date
) -> list[tuple[int, dt.date, Decimal]]:
    """The instalments (as `plan_rows`) a proposal within `limits` would get,
    saving nothing, or PlanRefused naming the rule it breaks: the check and
    schedule of `plan_propose`, for the portal's and the back-office's previews."""
    _check(limits, instalments=instalments, down_payment=down_payment, first_due=first_due)
    return plan_rows(
        debt=limits.debt, down_payment=down_payment, instalments=instalments, first_due=first_due, as_of=as_of
    )


def plan_rows(
    *, debt: Decimal, down_payment: Decimal, instalments: int, first_due: dt.date, as_of: dt.date
) -> list[tuple[int, dt.date, Decimal]]:
    """(number, due date, amount) of a plan's instalments: the down payment
    (number 0, due within DOWN_PAYMENT_DAYS and not after the first
    instalment) when there is one, then the schedule. They sum to `debt`."""
    rows = []
    if down_payment > 0:
        rows.append((0, min(first_due, as_of + dt.timedelta(days=DOWN_PAYMENT_DAYS)), down_payment))
    schedule = plan_schedule(debt=debt, down_payment=down_payment, instalments=instalments, first_due=first_due)
    rows += [(number, due_date, amount) for number, (due_date, amount) in enumerate(schedule, start=1)]
    return rows


def plan_propose(
    *,
    account: Account,
    instalments: int,
    down_payment: Decimal | str,
    first_due: dt.date,
    as_of: dt.date,
    proposed_by: AbstractBaseUser | None = None,
) -> PaymentPlan:
    """A proposed plan over the account's arrears (not yet binding; an older
    proposal of the account is withdrawn). Raises PlanRefused with the rule it breaks."""
    try:
        down_payment = Decimal(str(down_payment))
    except (InvalidOperation, ValueError) as error:
        raise PlanRefused(
            _("Enter the down payment in euros and cents."), rule="down_payment_invalid", field="down_payment"
        ) from error
    if not down_payment.is_finite():
        raise PlanRefused(
            _("Enter the down payment in euros and cents."), rule="down_payment_invalid", field="down_payment"
        )
    if not isinstance(instalments, int) or isinstance(instalments, bool):
        raise PlanRefused(_("Enter a whole number of instalments."), rule="instalments_invalid", field="instalments")
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=account.pk)
        if PaymentPlan.objects.filter(account=account, status=PaymentPlan.Status.ACTIVE).exists():
            raise PlanRefused(_("A payment plan is already running on this account."), rule="plan_active")
        limits = plan_limits(account=account, as_of=as_of)
        _check(limits, instalments=instalments, down_payment=down_payment, first_due=first_due)
        PaymentPlan.objects.filter(account=account, status=PaymentPlan.Status.PROPOSED).update(
            status=PaymentPlan.Status.CANCELLED, ended_on=as_of
        )
        plan = PaymentPlan.objects.create(
            account=account,
            case=current_case(account=account),
            total=limits.debt,
            down_payment=down_payment,
            instalment_count=instalments,
            first_due=first_due,
            proposed_by=proposed_by,
            interest_free=True,
            accept_token=secrets.token_urlsafe(32) if proposed_by is not None else "",
        )
        plan.entries.set(limits.entries)
        rows = [
            PlanInstalment(plan=plan, number=number, due_date=due_date, amount=amount)
            for number, due_date, amount in plan_rows(
                debt=limits.debt,
                down_payment=down_payment,
                instalments=instalments,
                first_due=first_due,
                as_of=as_of,
            )
        ]
        PlanInstalment.objects.bulk_create(rows)
    return plan


def _plan_open(plan: PaymentPlan) -> Decimal:
    entries = entries_with_open_amounts(plan.entries.all())
    return sum((max(round_money(entry_open(entry)), ZERO) for entry in entries), ZERO)


def plan_accept(
    *,
    plan: PaymentPlan,
    name: str,
    consent: bool,
    channel: str,
    as_of: dt.date,
    ip: str | None = None,
    recorded_by: AbstractBaseUser | None = None,
) -> PaymentPlan:
    """The customer's explicit consent (typed name, checkbox; or an agent
    records a verbal one): the plan becomes active, dunning of its items
    pauses, the agreement PDF is stored and mailed."""
    from arrears.documents import plan_agreement_pdf

    name = " ".join((name or "").split())
    if not consent:
        raise PlanRefused(
            _("Please confirm that you agree to the payment plan."), rule="consent_missing", field="consent"
        )
    if len(name) < 2:
        raise PlanRefused(_("Please type your full name to sign the plan."), rule="name_missing", field="name")
    with transaction.atomic():
        plan = PaymentPlan.objects.select_for_update().select_related("account__customer").get(pk=plan.pk)
        if plan.status == PaymentPlan.Status.ACTIVE:
            return plan
        if plan.status != PaymentPlan.Status.PROPOSED:
            raise PlanRefused(_("This proposal can no longer be accepted."), rule="not_proposed")
        if PaymentPlan.objects.filter(account=plan.account, status=PaymentPlan.Status.ACTIVE).exists():
            raise PlanRefused(_("A payment plan is already running on this account."), rule="plan_active")
        case = current_case(account=plan.account)
        plan.status = PaymentPlan.Status.ACTIVE
        plan.accepted_name = name[:200]
        plan.accepted_at = clock.now()
        plan.accepted_ip = ip
        plan.consent = channel
        plan.consent_recorded_by = recorded_by
        plan.case = case
        plan.resume_level = case.level if case is not None else 0
        plan.open_at_start = _plan_open(plan)
        plan.save()
        for entry in plan.entries.all():
            hold_put(reason=DunningHold.Reason.PAYMENT_PLAN, source=f"plan:{plan.pk}", entry=entry)
        if case is not None:
            DunningCase.objects.filter(pk=case.pk).update(status=DunningCase.Status.PLAN)
        content = plan_agreement_pdf(plan=plan)
        plan.agreement.save(f"payment-plan-{plan.account.number}-{plan.pk}.pdf", ContentFile(content), save=True)
        customer = plan.account.customer
        message_send(
            recipient=customer.as_recipient(),
            template="payment_plan_active",
            context={"customer": customer, "plan": plan, "instalments": list(plan.instalments.all())},
            attachments=[Attachment(filename=f"payment-plan-{plan.account.number}.pdf", content=content)],
        )
    return plan


def plan_acceptance_request(*, plan: PaymentPlan) -> None:
    """An agent's proposal goes to the customer by e-mail with a link to accept it."""
    customer = plan.account.customer
    message_send(
        recipient=customer.as_recipient(),
        template="payment_plan_proposed",
        context={
            "customer": customer,
            "plan": plan,
            "instalments": list(plan.instalments.all()),
            "link": reverse("arrears:plan_accept_link", args=[plan.accept_token]),
        },
    )


def plan_cancel(*, plan: PaymentPlan, as_of: dt.date) -> bool:
    """Withdraw a proposal (an active plan ends by being paid or broken)."""
    return bool(
        PaymentPlan.objects.filter(pk=plan.pk, status=PaymentPlan.Status.PROPOSED).update(
            status=PaymentPlan.Status.CANCELLED, ended_on=as_of
        )
    )


@dataclass(frozen=True)
class InstalmentState:
    instalment: PlanInstalment
    paid: Decimal
    status: str  # paid | part | due | overdue | upcoming

    @property
    def open(self) -> Decimal:
        return self.instalment.amount - self.paid


@dataclass(frozen=True)
class PlanProgress:
    plan: PaymentPlan
    paid: Decimal
    open: Decimal
    instalments: list[InstalmentState]

    @property
    def next(self) -> InstalmentState | None:
        return next((row for row in self.instalments if row.status != "paid"), None)

    @property
    def overdue(self) -> list[InstalmentState]:
        return [row for row in self.instalments if row.status == "overdue"]


def plan_progress(
    *, plan: PaymentPlan, as_of: dt.date, instalments: list[PlanInstalment] | None = None
) -> PlanProgress:
    """What is paid of the plan (its items' open amount fell by it since it
    started), filled into its instalments in order."""
    instalments = instalments if instalments is not None else list(plan.instalments.all())
    if plan.status == PaymentPlan.Status.PROPOSED:
        paid = ZERO
    elif plan.status == PaymentPlan.Status.PAID:
        paid = plan.total
    else:
        paid = min(max(plan.total - _plan_open(plan), ZERO), plan.total)
    left = paid
    rows = []
    for instalment in sorted(instalments, key=lambda row: (row.due_date, row.number)):
        part = min(left, instalment.amount)
        left -= part
        if part >= instalment.amount:
            status = "paid"
        elif instalment.due_date < as_of:
            status = "overdue"
        elif instalment.due_date == as_of:
            status = "due"
        else:
            status = "part" if part > 0 else "upcoming"
        rows.append(InstalmentState(instalment=instalment, paid=part, status=status))
    return PlanProgress(plan=plan, paid=paid, open=max(plan.total - paid, ZERO), instalments=rows)


def _release(plan: PaymentPlan, *, as_of: dt.date) -> None:
    hold_release(account=plan.account, source=f"plan:{plan.pk}", as_of=clock.now())


def plans_follow_up(*, as_of: dt.date, dry_run: bool = False) -> list[tuple[PaymentPlan, str]]:
    """The daily look at active plans: paid ones close; an instalment past
    its due date gets one reminder; past the grace period the plan breaks,
    the customer is told and dunning resumes at the level it stood."""
    done = []
    for plan in PaymentPlan.objects.filter(status=PaymentPlan.Status.ACTIVE).select_related(
        "account__customer", "case"
    ):
        progress = plan_progress(plan=plan, as_of=as_of)
        grace = _grace_days(plan)
        customer = plan.account.customer
        if progress.open <= 0 or _plan_open(plan) <= 0:
            done.append((plan, "paid"))
            if not dry_run:
                with transaction.atomic():
                    PaymentPlan.objects.filter(pk=plan.pk).update(status=PaymentPlan.Status.PAID, ended_on=as_of)
                    _release(plan, as_of=as_of)
                    if plan.case_id:
                        DunningCase.objects.filter(pk=plan.case_id, status=DunningCase.Status.PLAN).update(
                            status=DunningCase.Status.OPEN
                        )
                    message_send(
                        recipient=customer.as_recipient(),
                        template="payment_plan_paid",
                        context={"customer": customer, "plan": plan},
                    )
            continue
        missed = progress.overdue
        if not missed:
            continue
        first = missed[0]
        if (as_of - first.instalment.due_date).days > grace:
            done.append((plan, "broken"))
            if not dry_run:
                with transaction.atomic():
                    PaymentPlan.objects.filter(pk=plan.pk).update(status=PaymentPlan.Status.BROKEN, ended_on=as_of)
                    _release(plan, as_of=as_of)
                    if plan.case_id:
                        DunningCase.objects.filter(pk=plan.case_id).update(
                            status=DunningCase.Status.OPEN, level=plan.resume_level
                        )
                    message_send(
                        recipient=customer.as_recipient(),
                        template="payment_plan_broken",
                        context={"customer": customer, "plan": plan, "open": progress.open, "missed": first},
                    )
            continue
        if first.instalment.reminded_on is None:
            done.append((plan, "reminded"))
            if not dry_run:
                with transaction.atomic():
                    updated = PlanInstalment.objects.filter(pk=first.instalment.pk, reminded_on__isnull=True).update(
                        reminded_on=as_of
                    )
                    if updated:
                        message_send(
                            recipient=customer.as_recipient(),
                            template="payment_plan_reminder",
                            context={
                                "customer": customer,
                                "plan": plan,
                                "instalment": first.instalment,
                                "amount": first.open,
                                "grace_until": first.instalment.due_date + dt.timedelta(days=grace),
                            },
                        )
    return done


def _grace_days(plan: PaymentPlan) -> int:
    procedure = plan.case.procedure if plan.case_id else _procedure(plan.account)
    return procedure.plan_grace_days if procedure is not None else 14


def is_energy_household(*, account: Account, utilities: list[str]) -> bool:
    return account.customer.customer_type == CustomerType.HOUSEHOLD and any(u in ENERGY for u in utilities)
