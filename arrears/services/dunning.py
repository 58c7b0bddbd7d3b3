"""The daily dunning run (DESIGN.md "Dunning and payment plans").

For each account with overdue items: skip it with a reason an agent can see
(an account hold, only disputed or planned items, arrears below the
minimum), book default interest, and send the next level once its day count
is reached and enough days have passed since the last notice: one notice a
run, levels never skipped, each level once per case. Fees and interest go to
the ledger; the notice goes out through the communications service with
its letter attached and a link to pay exactly the overdue amount; a
mandate's overdue amount is presented again by direct debit. A case closes
when everything overdue is paid. The last level goes to a supervisor's work
list (agency hand-off); a threat older than the legal wait puts the account
on the disconnection work list. Each account is done in its own
transaction: a run that stops half-way and runs again sends nothing twice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Account, CustomerType, PaymentMethod, SepaMandate
from arrears.models import (
    AgencyReferral,
    DisconnectionOrder,
    DunningCase,
    DunningLevel,
    DunningNotice,
    DunningProcedure,
    PaymentPlan,
)
from arrears.queries.arrears import (
    ENERGY,
    AccountArrears,
    account_utilities,
    accounts_with_overdue_items,
    arrears_for,
    procedure_for,
)
from arrears.services.interest import BaseRates, interest_amount, interest_booked_until, interest_key, payments_on
from arrears.services.plans import plans_follow_up
from billing.models import Instalment, LedgerEntry
from billing.services.ledger import ledger_book, ledger_clear
from core.communications import Attachment, NoAddressForChannel, message_send
from core.models import Channel
from core.workdays import working_days_add
from meters.models import Utility
from payments.services.sepa import sepa_collection_request

logger = logging.getLogger(__name__)
ZERO = Decimal("0.00")
# Return reasons after which an amount is never presented again by direct debit.
NO_RETRY_REASONS = {"AC01", "AC04", "AC06", "AG01", "MD01", "MD06", "MD07", "MS02", "SL01"}


@dataclass(frozen=True)
class RunLine:
    account: str
    action: str  # notice | wait | skip | closed | agency | disconnection | plan
    detail: str


@dataclass
class RunResult:
    as_of: dt.date
    dry_run: bool
    lines: list[RunLine] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(line.action for line in self.lines)

    def summary(self) -> str:
        counts = self.counts
        parts = [f"{action}: {counts[action]}" for action in sorted(counts)]
        prefix = _("Dry run") if self.dry_run else _("Dunning run")
        return (
            f"{prefix} {self.as_of.isoformat()}: {len(self.lines)} "
            + _("accounts")
            + (f" ({', '.join(parts)})" if parts else "")
        )


@dataclass
class _Context:
    as_of: dt.date
    dry_run: bool
    procedures: list[DunningProcedure]
    levels: dict[int, list[DunningLevel]]
    rates: BaseRates
    utilities: dict[int, list[str]]


def dunning_run(*, as_of: dt.date, dry_run: bool = False) -> RunResult:
    """The run of day `as_of`; `dry_run` shows what it would do and changes nothing."""
    result = RunResult(as_of=as_of, dry_run=dry_run)
    for plan, outcome in plans_follow_up(as_of=as_of, dry_run=dry_run):
        result.lines.append(RunLine(account=plan.account.number, action="plan", detail=_plan_text(outcome)))
    if not dry_run:
        _plan_instalments_collect(as_of=as_of)
    account_ids = accounts_with_overdue_items(as_of=as_of)
    procedures = list(DunningProcedure.objects.filter(active=True))
    levels: dict[int, list[DunningLevel]] = {}
    for level in DunningLevel.objects.filter(procedure__in=procedures).order_by("number"):
        levels.setdefault(level.procedure_id, []).append(level)
    context = _Context(
        as_of=as_of,
        dry_run=dry_run,
        procedures=procedures,
        levels=levels,
        rates=BaseRates(),
        utilities=account_utilities(account_ids=account_ids),
    )
    for start in range(0, len(account_ids), 500):
        chunk = account_ids[start : start + 500]
        arrears = arrears_for(account_ids=chunk, as_of=as_of)
        for account_id in chunk:
            try:
                line = _account_step(arrears[account_id], context)
            except Exception:  # one account's failure does not stop the run
                logger.exception("dunning of account %s failed", account_id)
                line = RunLine(
                    account=arrears[account_id].account.number, action="error", detail=_("failed, see the log")
                )
            if line is not None:
                result.lines.append(line)
    return result


def _plan_text(outcome: str) -> str:
    return {
        "paid": _("payment plan paid: closed"),
        "broken": _("payment plan broken: dunning resumes"),
        "reminded": _("payment plan: instalment reminder sent"),
    }.get(outcome, outcome)


def _skip(case: DunningCase | None, reason: str, context: _Context) -> None:
    if case is not None and not context.dry_run and case.skip_reason != reason[:200]:
        DunningCase.objects.filter(pk=case.pk).update(skip_reason=reason[:200])


def _account_step(arrears: AccountArrears, context: _Context) -> RunLine | None:
    account = arrears.account
    as_of = context.as_of
    with transaction.atomic():
        if not context.dry_run:
            Account.objects.select_for_update().get(pk=account.pk)
        case = DunningCase.objects.filter(account=account).exclude(status=DunningCase.Status.CLOSED).first()
        if not arrears.items:
            if case is None:
                return None
            if (
                case.status == DunningCase.Status.PLAN
                and PaymentPlan.objects.filter(case=case, status=PaymentPlan.Status.ACTIVE).exists()
            ):
                return None
            if not context.dry_run:
                DunningCase.objects.filter(pk=case.pk).update(
                    status=DunningCase.Status.CLOSED, closed_on=as_of, skip_reason=""
                )
                DisconnectionOrder.objects.filter(case=case, status=DisconnectionOrder.Status.PROPOSED).update(
                    status=DisconnectionOrder.Status.STOPPED, note=_("Everything overdue was paid.")
                )
                AgencyReferral.objects.filter(case=case, status=AgencyReferral.Status.PROPOSED).update(
                    status=AgencyReferral.Status.REJECTED, note=_("Everything overdue was paid.")
                )
            return RunLine(account=account.number, action="closed", detail=_("everything overdue is paid: case closed"))
        customer = account.customer
        utilities = context.utilities.get(account.pk, [])
        procedure = (
            case.procedure
            if case is not None
            else procedure_for(customer_type=customer.customer_type, utilities=utilities, procedures=context.procedures)
        )
        if procedure is None:
            return RunLine(
                account=account.number, action="skip", detail=_("no dunning procedure for this customer type")
            )
        if arrears.account_holds:
            hold = arrears.account_holds[0]
            reason = hold.get_reason_display()
            if hold.until:
                reason = _("%(reason)s until %(date)s") % {"reason": reason, "date": hold.until.isoformat()}
            _skip(case, reason, context)
            return RunLine(account=account.number, action="skip", detail=_("hold: %(reason)s") % {"reason": reason})
        if case is not None and case.status == DunningCase.Status.AGENCY:
            return RunLine(account=account.number, action="skip", detail=_("with the collection agency"))
        if not arrears.due:
            reason = ", ".join(sorted({item.held for item in arrears.items}))
            _skip(case, reason, context)
            return RunLine(
                account=account.number,
                action="skip",
                detail=_("every overdue item is on hold: %(reason)s") % {"reason": reason},
            )
        levels = context.levels.get(procedure.pk, [])
        if not context.dry_run:
            _interest_book(arrears, procedure, levels, context)
        amount = arrears.amount
        if amount < procedure.minimum_amount:
            reason = _("arrears %(amount)s below the minimum of %(minimum)s") % {
                "amount": f"{amount:.2f}",
                "minimum": f"{procedure.minimum_amount:.2f}",
            }
            _skip(case, reason, context)
            return RunLine(account=account.number, action="skip", detail=reason)
        if case is None:
            if context.dry_run:
                case = DunningCase(account=account, procedure=procedure, opened_on=as_of, level=0)
            else:
                case = DunningCase.objects.create(account=account, procedure=procedure, opened_on=as_of)
        line = _disconnection_check(case, arrears, procedure, utilities, context)
        next_level = next((level for level in levels if level.number == case.level + 1), None)
        if next_level is None:
            _skip(case, "", context)
            return line or RunLine(account=account.number, action="wait", detail=_("last level reached"))
        if arrears.days_overdue < next_level.days_after_due:
            _skip(case, "", context)
            day = arrears.oldest_due + dt.timedelta(days=next_level.days_after_due)
            return line or RunLine(
                account=account.number,
                action="wait",
                detail=_("level %(level)s from %(date)s") % {"level": next_level.number, "date": day.isoformat()},
            )
        last = DunningNotice.objects.filter(case_id=case.pk).order_by("-sent_on", "-level").first() if case.pk else None
        if last is not None and (as_of - last.sent_on).days < procedure.days_between_notices:
            day = last.sent_on + dt.timedelta(days=procedure.days_between_notices)
            return line or RunLine(
                account=account.number,
                action="wait",
                detail=_("level %(level)s from %(date)s") % {"level": next_level.number, "date": day.isoformat()},
            )
        if next_level.agency_handover:
            if not context.dry_run:
                AgencyReferral.objects.get_or_create(case=case, defaults={"amount": amount})
            return RunLine(
                account=account.number,
                action="agency",
                detail=_("level %(level)s: hand-over to the collection agency waits for a supervisor")
                % {"level": next_level.number},
            )
        if context.dry_run:
            return RunLine(
                account=account.number,
                action="notice",
                detail=_("would send level %(level)s over %(amount)s EUR")
                % {"level": next_level.number, "amount": f"{amount:.2f}"},
            )
        notice = _notice_send(case, next_level, arrears, procedure, utilities, context)
        return RunLine(
            account=account.number,
            action="notice",
            detail=_("level %(level)s sent over %(amount)s EUR (fee %(fee)s)")
            % {"level": notice.level, "amount": f"{notice.overdue_amount:.2f}", "fee": f"{notice.fee:.2f}"},
        )


def _charges_interest(levels: list[DunningLevel], case_level: int) -> bool:
    return any(level.charges_interest for level in levels)


def _interest_book(
    arrears: AccountArrears, procedure: DunningProcedure, levels: list[DunningLevel], context: _Context
) -> None:
    if not _charges_interest(levels, 0):
        return
    invoices = [item.entry for item in arrears.due if item.entry.kind == LedgerEntry.Kind.INVOICE]
    if not invoices:
        return
    booked = interest_booked_until(entries=invoices)
    paid = payments_on(entries=invoices)
    last_day = context.as_of - dt.timedelta(days=1)
    for entry in invoices:
        start = entry.due_date + dt.timedelta(days=procedure.interest_after_days)
        if entry.pk in booked:
            start = max(start, booked[entry.pk] + dt.timedelta(days=1))
        if start > last_day:
            continue
        try:
            amount = interest_amount(
                entry=entry,
                first_day=start,
                last_day=last_day,
                points=procedure.interest_points,
                rates=context.rates,
                payments=paid.get(entry.pk),
            )
        except LookupError:
            logger.warning("no base rate for the interest of entry %s", entry.pk)
            return
        if amount <= 0:
            continue
        ledger_book(
            account=arrears.account,
            kind=LedgerEntry.Kind.INTEREST,
            amount=amount,
            booked_on=context.as_of,
            key=interest_key(entry, last_day),
            text=_("Default interest on %(item)s, %(first)s to %(last)s")
            % {"item": entry.reference or entry.text, "first": start.isoformat(), "last": last_day.isoformat()},
            reference=entry.reference,
            due_date=context.as_of + dt.timedelta(days=procedure.payment_days),
        )
    ledger_clear(account=arrears.account)


def disconnection_threshold(*, account: Account, as_of: dt.date) -> Decimal:
    """EnWG §41f: twice the monthly instalment, or a sixth of the yearly bill
    where there is no instalment (0 when neither is known)."""
    instalment = Instalment.objects.filter(account=account, due_date__lte=as_of).order_by("-due_date").first()
    if instalment is not None:
        return instalment.amount * 2
    yearly = (
        LedgerEntry.objects.filter(
            account=account,
            kind=LedgerEntry.Kind.INVOICE,
            booked_on__gt=as_of - dt.timedelta(days=365),
            booked_on__lte=as_of,
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    return (Decimal(str(yearly)) / 6).quantize(Decimal("0.01"))


def disconnection_allowed(
    *, account: Account, arrears_amount: Decimal, procedure: DunningProcedure, utilities: list[str], as_of: dt.date
) -> tuple[bool, str]:
    """Whether a disconnection may be threatened (and later carried out) on
    `as_of`; the reason when not. Disputed amounts are never in the arrears."""
    if account.customer.customer_type != CustomerType.HOUSEHOLD:
        return False, _("not a household customer")
    if not any(utility in (*ENERGY, Utility.WATER, Utility.INTERNET) for utility in utilities):
        return False, _("no supply that can be interrupted")
    if arrears_amount < procedure.disconnection_minimum:
        return False, _("undisputed arrears below %(minimum)s EUR") % {
            "minimum": f"{procedure.disconnection_minimum:.2f}"
        }
    if any(utility in ENERGY for utility in utilities):
        threshold = disconnection_threshold(account=account, as_of=as_of)
        if arrears_amount < threshold:
            message = _("undisputed arrears below twice the monthly instalment or a sixth of the yearly bill")
            return False, f"{message} ({threshold:.2f} EUR)"
    return True, ""


def _disconnection_utility(utilities: list[str]) -> str:
    for utility in (Utility.ELECTRICITY, Utility.GAS, Utility.WATER, Utility.INTERNET):
        if utility in utilities:
            return utility
    return utilities[0] if utilities else Utility.ELECTRICITY


def earliest_disconnection(*, threat_sent_on: dt.date, procedure: DunningProcedure, as_of: dt.date) -> dt.date:
    """At least the procedure's weeks after the threat, and announced the
    procedure's working days ahead (German public holidays left out)."""
    return max(
        threat_sent_on + dt.timedelta(weeks=procedure.disconnection_weeks_after_threat),
        working_days_add(as_of, procedure.disconnection_notice_working_days),
    )


def _disconnection_check(
    case: DunningCase, arrears: AccountArrears, procedure: DunningProcedure, utilities: list[str], context: _Context
) -> RunLine | None:
    """A threat at least the legal wait old, with the conditions still met,
    puts the account on the disconnection work list (once per case)."""
    if case.pk is None:
        return None
    threat = DunningNotice.objects.filter(case=case, disconnection_threat=True).order_by("sent_on").first()
    if threat is None:
        return None
    if context.as_of < threat.sent_on + dt.timedelta(weeks=procedure.disconnection_weeks_after_threat):
        return None
    allowed, _reason = disconnection_allowed(
        account=arrears.account,
        arrears_amount=arrears.amount,
        procedure=procedure,
        utilities=utilities,
        as_of=context.as_of,
    )
    if not allowed:
        return None
    utility = _disconnection_utility(utilities)
    if DisconnectionOrder.objects.filter(case=case, utility=utility).exists():
        return None
    if not context.dry_run:
        DisconnectionOrder.objects.create(
            case=case,
            account=arrears.account,
            utility=utility,
            threat=threat,
            arrears=arrears.amount,
            earliest_on=earliest_disconnection(threat_sent_on=threat.sent_on, procedure=procedure, as_of=context.as_of),
        )
    return RunLine(
        account=arrears.account.number,
        action="disconnection",
        detail=_("due for disconnection: waits for a supervisor"),
    )


def _recipient_with_address(account: Account):
    recipient = account.customer.as_recipient()
    address = "\n".join(
        part
        for part in (
            account.customer.display_name,
            f"{account.street} {account.house_number}".strip(),
            account.address_extra,
            f"{account.postcode} {account.city}".strip(),
        )
        if part
    )
    return dataclasses.replace(recipient, postal_address=address)


def pay_now_url() -> str:
    return settings.SITE_URL + reverse("arrears:pay")


def _notice_send(
    case: DunningCase,
    level: DunningLevel,
    arrears: AccountArrears,
    procedure: DunningProcedure,
    utilities: list[str],
    context: _Context,
) -> DunningNotice:
    from arrears.documents import notice_pdf

    as_of = context.as_of
    account = arrears.account
    deadline = as_of + dt.timedelta(days=procedure.payment_days)
    fee = ZERO
    if level.fee > 0:
        _entry, created = ledger_book(
            account=account,
            kind=LedgerEntry.Kind.FEE,
            amount=level.fee,
            booked_on=as_of,
            key=f"dunning-fee:{case.pk}:{level.number}",
            text=_("Dunning fee, reminder level %(level)s") % {"level": level.number},
            due_date=deadline,
        )
        fee += level.fee
    if level.charges_flat_fee and procedure.flat_fee > 0:
        for item in arrears.due:
            if item.entry.kind != LedgerEntry.Kind.INVOICE or item.entry.invoice_id is None:
                continue
            _entry, created = ledger_book(
                account=account,
                kind=LedgerEntry.Kind.FEE,
                amount=procedure.flat_fee,
                booked_on=as_of,
                key=f"flat-fee:{item.entry.invoice_id}",
                text=_("Flat fee for late payment (BGB §288(5)), invoice %(number)s")
                % {"number": item.entry.reference},
                reference=item.entry.reference,
                due_date=deadline,
            )
            if created:
                fee += procedure.flat_fee
    interest = (
        LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.INTEREST, due_date__gte=as_of).aggregate(
            total=Sum("amount")
        )["total"]
        or ZERO
    )
    threat = False
    if level.disconnection_threat:
        threat, _why = disconnection_allowed(
            account=account, arrears_amount=arrears.amount, procedure=procedure, utilities=utilities, as_of=as_of
        )
    channels = [
        channel
        for channel, on in (
            (Channel.EMAIL, level.by_email),
            (Channel.LETTER, level.by_letter),
            (Channel.SMS, level.by_sms),
        )
        if on
    ] or [Channel.EMAIL]
    try:
        with transaction.atomic():
            notice = DunningNotice.objects.create(
                case=case,
                level=level.number,
                sent_on=as_of,
                overdue_amount=arrears.amount,
                fee=fee,
                interest=Decimal(str(interest)),
                deadline=deadline,
                items=[item.as_json() for item in arrears.due],
                channels=list(channels),
                disconnection_threat=threat,
            )
    except IntegrityError:
        return DunningNotice.objects.get(case=case, level=level.number)
    DunningCase.objects.filter(pk=case.pk).update(level=level.number, skip_reason="")
    case.level = level.number
    presented = _represent(case, notice, arrears, procedure, as_of)
    if presented is not None:
        notice.debit_presented_on = presented
        notice.save(update_fields=["debit_presented_on"])
    content = notice_pdf(notice=notice, level=level, procedure=procedure, utility=_disconnection_utility(utilities))
    with translation.override(account.customer.language):
        filename = _("reminder-%(account)s-level-%(level)s.pdf") % {"account": account.number, "level": level.number}
    notice.letter.save(filename, ContentFile(content), save=True)
    message_context = {
        "customer": account.customer,
        "account": account,
        "notice": notice,
        "level_name": level.name(account.customer.language),
        "level_text": level.text(account.customer.language),
        "total": notice.total,
        "pay_url": pay_now_url(),
        "plan_url": settings.SITE_URL + reverse("arrears:plan_new"),
        "dispute_url": settings.SITE_URL + reverse("support:ticket_new"),
        "threat": threat,
        "presented_on": presented,
    }
    for channel in channels:
        try:
            message = message_send(
                recipient=_recipient_with_address(account),
                template="dunning_notice_sms" if channel == Channel.SMS else "dunning_notice",
                context=message_context,
                channel=channel,
                attachments=[] if channel == Channel.SMS else [Attachment(filename=filename, content=content)],
            )
        except NoAddressForChannel:
            continue
        if channel == Channel.EMAIL:
            notice.message = message
            notice.save(update_fields=["message"])
    return notice


def _represent(
    case: DunningCase, notice: DunningNotice, arrears: AccountArrears, procedure: DunningProcedure, as_of: dt.date
) -> dt.date | None:
    """Present the overdue amount again by direct debit where a mandate
    exists, the last return allows it and attempts are left."""
    account = arrears.account
    if account.payment_method != PaymentMethod.SEPA:
        return None
    mandate = SepaMandate.objects.filter(account=account, status=SepaMandate.Status.ACTIVE).first()
    if mandate is None:
        return None
    from payments.models import SepaCollection

    last_return = (
        SepaCollection.objects.filter(account=account, status=SepaCollection.Status.RETURNED).order_by("-id").first()
    )
    if last_return is not None and last_return.return_reason_code in NO_RETRY_REASONS:
        return None
    attempts = DunningNotice.objects.filter(case=case, debit_presented_on__isnull=False).count()
    if attempts >= procedure.debit_attempts:
        return None
    collection = sepa_collection_request(
        account=account,
        mandate=mandate,
        items=[(item.entry, item.open_amount) for item in arrears.due],
        as_of=as_of,
        tag=f"D{notice.level}",
    )
    return collection.collection_date if collection is not None else None


def _plan_instalments_collect(*, as_of: dt.date) -> None:
    """Instalments of active plans on accounts with a mandate are presented by
    direct debit, each once, for the first collection date on or after it is due."""
    from arrears.models import PlanInstalment
    from payments.services.sepa import collection_date_for

    horizon = collection_date_for(as_of=as_of)
    rows = (
        PlanInstalment.objects.filter(
            plan__status=PaymentPlan.Status.ACTIVE,
            plan__account__payment_method=PaymentMethod.SEPA,
            collected_on__isnull=True,
            due_date__lte=horizon,
            due_date__gte=as_of,
        )
        .select_related("plan__account")
        .order_by("plan_id", "number")
    )
    from arrears.services.plans import plan_progress

    for instalment in rows:
        plan = instalment.plan
        mandate = SepaMandate.objects.filter(account=plan.account, status=SepaMandate.Status.ACTIVE).first()
        if mandate is None:
            continue
        progress = plan_progress(plan=plan, as_of=as_of)
        state = next((row for row in progress.instalments if row.instalment.pk == instalment.pk), None)
        if state is None or state.open <= 0:
            continue
        left = state.open
        items = []
        from billing.queries.bills import entries_with_open_amounts, entry_open

        for entry in entries_with_open_amounts(plan.entries.all()).order_by("due_date", "id"):
            open_amount = entry_open(entry)
            if open_amount <= 0 or left <= 0:
                continue
            part = min(open_amount, left)
            items.append((entry, part))
            left -= part
        if not items:
            continue
        with transaction.atomic():
            collection = sepa_collection_request(
                account=plan.account,
                mandate=mandate,
                items=items,
                as_of=as_of,
                tag=f"P{plan.pk}-{instalment.number}",
                not_before=instalment.due_date,
            )
            if collection is not None:
                type(instalment).objects.filter(pk=instalment.pk).update(collected_on=collection.collection_date)
