"""Budget billing (Abschlag): the monthly instalment, raising it each month,
the customer's own amount within limits and the adjustment after a price change.

- The amount is the customer's own amount when they set one. Otherwise it is
  last year's cost: the last bill's gross per day x 365 / 12, brought to
  today's prices (x the yearly estimate at today's prices / at the prices of
  that bill's last day); supplies that started after that bill add their
  expected yearly cost. Without a bill: the expected yearly cost of the
  supplies (`yearly_estimate`, gross) / 12. Whole euros, half up; at least
  1 EUR while there is supply.
- Every month, on BillingSettings.instalment_day, each account with budget
  billing and a supply on that day gets one Instalment and one ledger debit
  (key "instalment:<account>:<date>"); the settlement bill credits them.
- The amounts are computed for many accounts at once from a few queries, so
  the monthly run, the pages and the price-change notices share one rule.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, localcontext

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Account, BillingPreferences
from accounts.services import billing_preferences_change, billing_preferences_locked
from billing.models import BillingSettings, Instalment, Invoice, LedgerEntry
from core import communications
from core.money import round_money
from supply.models import ServiceAgreement, TariffVersion, VatRate
from supply.services.tariffs import yearly_estimate_at

WHOLE_EURO = Decimal(1)
ZERO = Decimal("0.00")
DAYS_PER_YEAR = Decimal(365)
MONTHS_PER_YEAR = Decimal(12)
# The budget_amount column holds 10 digits with 2 decimals.
AMOUNT_LIMIT = Decimal(10) ** 8
# Agreements whose supply has begun (instalments are raised for them) and
# those whose supply is agreed (their expected cost counts for the amount).
SUPPLYING = (ServiceAgreement.Status.ACTIVE, ServiceAgreement.Status.ENDING)
AGREED = (ServiceAgreement.Status.CONFIRMED, *SUPPLYING)
# Bills whose cost is "last year's cost" (a final bill ends a supply).
COST_BILL_KINDS = (Invoice.Kind.INVOICE, Invoice.Kind.SETTLEMENT)
RAISE_CHUNK = 2000
SCHEDULE_MONTHS = 12


class BudgetChangeRefused(ValueError):
    """The instalment cannot be set to that amount; the message says why."""


def whole_euros(amount: Decimal) -> Decimal:
    """An amount rounded half up to whole euros, kept with two decimals."""
    return round_money(amount, places=WHOLE_EURO).quantize(ZERO)


def due_date_in(*, year: int, month: int, settings: BillingSettings) -> dt.date:
    return dt.date(year, month, settings.instalment_day)


def _next_month(day: dt.date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


def _supplies_on(agreement: ServiceAgreement, day: dt.date) -> bool:
    return agreement.start_date <= day and (agreement.end_date is None or agreement.end_date >= day)


@dataclass(frozen=True)
class _LastBill:
    period_start: dt.date
    period_end: dt.date
    gross_total: Decimal

    @property
    def yearly_gross(self) -> Decimal:
        days = Decimal((self.period_end - self.period_start).days + 1)
        with localcontext(prec=40):
            return self.gross_total * DAYS_PER_YEAR / days


@dataclass
class _AccountData:
    budget_billing: bool = True
    own_amount: Decimal | None = None
    agreements: list[ServiceAgreement] = field(default_factory=list)
    last_bill: _LastBill | None = None


class _Prices:
    """Price versions and VAT rates of some tariffs, loaded once."""

    def __init__(self, tariff_ids: Iterable[int]) -> None:
        self.versions: dict[int, list[TariffVersion]] = defaultdict(list)
        for version in (
            TariffVersion.objects.filter(tariff_id__in=set(tariff_ids))
            .prefetch_related("prices")
            .order_by("valid_from", "id")
        ):
            self.versions[version.tariff_id].append(version)
        self.vat_rates: dict[str, list[VatRate]] = defaultdict(list)
        for rate in VatRate.objects.order_by("valid_from", "id"):
            self.vat_rates[rate.utility].append(rate)

    @staticmethod
    def _latest(items, day: dt.date):
        chosen = None
        for item in items:
            if item.valid_from <= day:
                chosen = item
        return chosen

    def yearly_gross(self, agreement: ServiceAgreement, day: dt.date) -> Decimal | None:
        """The agreement's expected yearly cost (gross) at the prices of `day`; None without prices."""
        version = self._latest(self.versions.get(agreement.tariff_id, ()), day)
        rate = self._latest(self.vat_rates.get(agreement.tariff.utility, ()), day)
        if version is None or rate is None:
            return None
        return yearly_estimate_at(
            utility=agreement.tariff.utility,
            version=version,
            vat_rate=rate.rate,
            consumption=agreement.expected_annual_consumption,
        ).gross


class BudgetAmounts:
    """The monthly instalments of many accounts, from a few queries.

    Bills issued up to `as_of` count as last year's cost; `amount_on` gives
    the instalment due on a day (at that day's prices and supplies)."""

    def __init__(self, *, account_ids: Iterable[int], as_of: dt.date) -> None:
        ids = list(account_ids)
        self.as_of = as_of
        self.data: dict[int, _AccountData] = {account_id: _AccountData() for account_id in ids}
        for account_id, budget_billing, own in BillingPreferences.objects.filter(account_id__in=ids).values_list(
            "account_id", "budget_billing", "budget_amount"
        ):
            self.data[account_id].budget_billing = budget_billing
            self.data[account_id].own_amount = own
        agreements = (
            ServiceAgreement.objects.filter(account_id__in=ids, status__in=AGREED)
            .select_related("tariff")
            .order_by("start_date", "id")
        )
        for agreement in agreements:
            self.data[agreement.account_id].agreements.append(agreement)
        last_bill = (
            Invoice.objects.filter(
                account=OuterRef("pk"),
                kind__in=COST_BILL_KINDS,
                status=Invoice.Status.ISSUED,
                issue_date__lte=as_of,
            )
            .order_by("-period_end", "-id")
            .values("pk")[:1]
        )
        bill_ids = [
            bill_id
            for bill_id in Account.objects.filter(pk__in=ids)
            .annotate(last_bill=Subquery(last_bill))
            .values_list("last_bill", flat=True)
            if bill_id is not None
        ]
        for account_id, start, end, gross in Invoice.objects.filter(pk__in=bill_ids).values_list(
            "account_id", "period_start", "period_end", "gross_total"
        ):
            self.data[account_id].last_bill = _LastBill(start, end, gross)
        self.prices = _Prices(a.tariff_id for data in self.data.values() for a in data.agreements)

    def budget_billing(self, account_id: int) -> bool:
        return self.data[account_id].budget_billing

    def own_amount(self, account_id: int) -> Decimal | None:
        return self.data[account_id].own_amount

    def supplied_on(self, account_id: int, day: dt.date) -> list[ServiceAgreement]:
        return [a for a in self.data[account_id].agreements if _supplies_on(a, day)]

    def _expected(self, agreements: list[ServiceAgreement], day: dt.date) -> Decimal | None:
        total = Decimal("0")
        for agreement in agreements:
            gross = self.prices.yearly_gross(agreement, day)
            if gross is None:
                return None
            total += gross
        return total

    def yearly_cost(self, account_id: int, day: dt.date) -> tuple[Decimal, str]:
        """The expected gross cost of a year from `day` and what it is based
        on: "last_bill", "expected" or "none" (no supply on `day`)."""
        supplied = self.supplied_on(account_id, day)
        if not supplied:
            return Decimal("0"), "none"
        bill = self.data[account_id].last_bill
        billed = [a for a in supplied if bill is not None and a.start_date <= bill.period_end]
        if bill is None or not billed:
            return self._expected(supplied, day) or Decimal("0"), "expected"
        added = [a for a in supplied if a.start_date > bill.period_end]
        yearly = bill.yearly_gross
        then, now = self._expected(billed, bill.period_end), self._expected(billed, day)
        if then and now is not None:
            with localcontext(prec=40):
                yearly = yearly * now / then
        return yearly + (self._expected(added, day) or Decimal("0")), "last_bill"

    def computed_on(self, account_id: int, day: dt.date) -> Decimal:
        """The portal's amount for an instalment due on `day`, ignoring the customer's own amount."""
        yearly, basis = self.yearly_cost(account_id, day)
        if basis == "none":
            return ZERO
        with localcontext(prec=40):
            monthly = whole_euros(yearly / MONTHS_PER_YEAR)
        return max(monthly, WHOLE_EURO.quantize(ZERO))

    def amount_on(self, account_id: int, day: dt.date) -> Decimal:
        """The instalment due on `day`: the own amount, else the computed one (0: none is due)."""
        if not self.budget_billing(account_id) or not self.supplied_on(account_id, day):
            return ZERO
        own = self.own_amount(account_id)
        return own if own is not None else self.computed_on(account_id, day)


def instalment_amount(*, account: Account, as_of: dt.date) -> Decimal:
    """The monthly instalment on `as_of`: the customer's own amount when set,
    else from last year's cost or the expected consumption, in whole euros
    (at least 1 EUR with supply; 0 without supply or budget billing)."""
    return BudgetAmounts(account_ids=[account.pk], as_of=as_of).amount_on(account.pk, as_of)


# --- Limits and the customer's own amount ------------------------------------------


@dataclass(frozen=True)
class AmountRange:
    lowest: Decimal
    highest: Decimal


def allowed_range(*, computed: Decimal, settings: BillingSettings) -> AmountRange | None:
    """The amounts a customer may choose around the computed one (None: no supply)."""
    if computed <= 0:
        return None
    one = WHOLE_EURO.quantize(ZERO)
    with localcontext(prec=40):
        lowest = max(one, whole_euros(computed * (100 - settings.budget_lower_percent) / 100))
        highest = max(lowest, whole_euros(computed * (100 + settings.budget_upper_percent) / 100))
    return AmountRange(lowest=lowest, highest=highest)


def _checked_amount(amount: object) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, Decimal) or not amount.is_finite():
        raise BudgetChangeRefused(_("Please enter the monthly instalment as an amount in euros."))
    if amount < 0:
        raise BudgetChangeRefused(_("The monthly instalment must not be negative."))
    if amount >= AMOUNT_LIMIT:
        raise BudgetChangeRefused(_("The monthly instalment is too large."))
    if amount != whole_euros(amount):
        raise BudgetChangeRefused(_("Please enter the monthly instalment in whole euros."))
    return amount.quantize(ZERO)


def budget_amount_change(
    *, account: Account, amount: Decimal | None, by_staff: bool, as_of: dt.date
) -> BillingPreferences:
    """Set the account's own monthly instalment (None: back to the computed one).

    Customers choose within BillingSettings' limits around the computed amount
    (when the company lets them); staff may set any amount of 0 or more."""
    settings = BillingSettings.current()
    if not by_staff and not settings.customer_may_change_budget:
        raise BudgetChangeRefused(_("Please contact us to change your monthly instalment."))
    with transaction.atomic():
        preferences = billing_preferences_locked(account=account)
        if not preferences.budget_billing:
            raise BudgetChangeRefused(_("Budget billing is switched off for this account."))
        if amount is not None:
            amount = _checked_amount(amount)
            if not by_staff:
                computed = BudgetAmounts(account_ids=[account.pk], as_of=as_of).computed_on(account.pk, as_of)
                limits = allowed_range(computed=computed, settings=settings)
                if limits is None:
                    raise BudgetChangeRefused(_("There is no supply on this account to pay instalments for."))
                if not limits.lowest <= amount <= limits.highest:
                    raise BudgetChangeRefused(
                        _("Please choose a monthly instalment between %(lowest)s and %(highest)s EUR.")
                        % {"lowest": limits.lowest, "highest": limits.highest}
                    )
        return billing_preferences_change(account=account, changes={"budget_amount": amount})


# --- What the pages show -----------------------------------------------------


@dataclass(frozen=True)
class ScheduledInstalment:
    due_date: dt.date
    amount: Decimal


@dataclass(frozen=True)
class InstalmentPlan:
    account: Account
    budget_billing: bool
    amount: Decimal
    computed: Decimal
    own_amount: Decimal | None
    basis: str
    limits: AmountRange | None
    customer_may_change: bool
    schedule: list[ScheduledInstalment]
    raised: list[Instalment]

    @property
    def is_own(self) -> bool:
        return self.own_amount is not None


def instalment_plans(*, accounts: list[Account], as_of: dt.date, raised: int = 6) -> list[InstalmentPlan]:
    """Each account's instalment: the amount, how it was found, the range a
    customer may choose, the next instalments and the last ones raised."""
    settings = BillingSettings.current()
    amounts = BudgetAmounts(account_ids=[a.pk for a in accounts], as_of=as_of)
    raised_by_account: dict[int, list[Instalment]] = defaultdict(list)
    recent = Instalment.objects.filter(account__in=accounts, due_date__gt=as_of - dt.timedelta(days=31 * raised))
    for instalment in recent.order_by("-due_date", "-id"):
        if len(raised_by_account[instalment.account_id]) < raised:
            raised_by_account[instalment.account_id].append(instalment)
    due = due_date_in(year=as_of.year, month=as_of.month, settings=settings)
    if due < as_of:
        year, month = _next_month(due)
        due = due_date_in(year=year, month=month, settings=settings)
    due_dates = [due]
    while len(due_dates) < SCHEDULE_MONTHS:
        year, month = _next_month(due_dates[-1])
        due_dates.append(due_date_in(year=year, month=month, settings=settings))
    plans = []
    for account in accounts:
        computed = amounts.computed_on(account.pk, as_of)
        _yearly, basis = amounts.yearly_cost(account.pk, as_of)
        already = {i.due_date for i in raised_by_account[account.pk]}
        schedule = [
            ScheduledInstalment(day, amount)
            for day in due_dates
            if day not in already and (amount := amounts.amount_on(account.pk, day)) > 0
        ]
        plans.append(
            InstalmentPlan(
                account=account,
                budget_billing=amounts.budget_billing(account.pk),
                amount=amounts.amount_on(account.pk, as_of),
                computed=computed,
                own_amount=amounts.own_amount(account.pk),
                basis=basis,
                limits=allowed_range(computed=computed, settings=settings),
                customer_may_change=settings.customer_may_change_budget,
                schedule=schedule,
                raised=raised_by_account[account.pk],
            )
        )
    return plans


# --- Raising the month's instalments -------------------------------------------------


def _instalment_text(*, due_date: dt.date, language: str) -> str:
    with translation.override(language):
        return _("Instalment %(month)s") % {"month": date_format(due_date, "YEAR_MONTH_FORMAT")}


def _candidates(*, due_date: dt.date) -> list[int]:
    """Accounts with budget billing and a supply on `due_date`, without an
    instalment on that date and not already billed for it."""
    billed = Invoice.objects.filter(
        kind__in=Invoice.BILL_KINDS,
        status__in=Invoice.LIVE_STATES,
        period_start__lte=due_date,
        period_end__gte=due_date,
    ).values("account_id")
    return list(
        ServiceAgreement.objects.filter(status__in=SUPPLYING, start_date__lte=due_date)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=due_date))
        .exclude(account__billing_preferences__budget_billing=False)
        .exclude(account__instalments__due_date=due_date)
        .exclude(account_id__in=billed)
        .values_list("account_id", flat=True)
        .distinct()
        .order_by("account_id")
    )


def _raise_chunk(*, account_ids: list[int], due_date: dt.date, as_of: dt.date) -> int:
    amounts = BudgetAmounts(account_ids=account_ids, as_of=as_of)
    languages = dict(Account.objects.filter(pk__in=account_ids).values_list("pk", "customer__language"))
    texts: dict[str, str] = {}
    entries = []
    for account_id in account_ids:
        amount = amounts.amount_on(account_id, due_date)
        if amount <= 0:
            continue
        language = languages[account_id]
        if language not in texts:
            texts[language] = _instalment_text(due_date=due_date, language=language)
        entries.append(
            LedgerEntry(
                account_id=account_id,
                kind=LedgerEntry.Kind.INSTALMENT,
                amount=amount,
                booked_on=due_date,
                due_date=due_date,
                key=f"instalment:{account_id}:{due_date.isoformat()}",
                text=texts[language],
            )
        )
    if not entries:
        return 0
    with transaction.atomic():
        # The ledger's keys and the one-instalment-per-date constraint make a
        # second run (or a second worker) book nothing.
        LedgerEntry.objects.bulk_create(entries, ignore_conflicts=True)
        booked = LedgerEntry.objects.filter(key__in=[e.key for e in entries]).values_list("pk", "account_id", "amount")
        before = Instalment.objects.filter(account_id__in=account_ids, due_date=due_date).count()
        Instalment.objects.bulk_create(
            [
                Instalment(account_id=account_id, due_date=due_date, amount=amount, ledger_entry_id=pk)
                for pk, account_id, amount in booked
            ],
            ignore_conflicts=True,
        )
        return Instalment.objects.filter(account_id__in=account_ids, due_date=due_date).count() - before


def instalments_raise(*, as_of: dt.date) -> int:
    """Raise this month's instalments once their day has come (idempotent):
    one Instalment and one ledger debit per account with budget billing and
    a supply on the due date. Returns how many were raised."""
    settings = BillingSettings.current()
    due_date = due_date_in(year=as_of.year, month=as_of.month, settings=settings)
    if as_of < due_date:
        return 0
    candidates = _candidates(due_date=due_date)
    raised = 0
    for start in range(0, len(candidates), RAISE_CHUNK):
        raised += _raise_chunk(account_ids=candidates[start : start + RAISE_CHUNK], due_date=due_date, as_of=as_of)
    return raised


# --- After a price change ----------------------------------------------------------


def budget_after_price_change(*, version: TariffVersion, as_of: dt.date) -> list[int]:
    """Tell customers whose computed instalment changes with the new prices
    (those with their own amount keep it). Returns the accounts told."""
    account_ids = list(
        ServiceAgreement.objects.filter(tariff_id=version.tariff_id, status__in=AGREED)
        .exclude(end_date__lt=version.valid_from)
        .exclude(account__billing_preferences__budget_billing=False)
        .exclude(account__billing_preferences__budget_amount__isnull=False)
        .values_list("account_id", flat=True)
        .distinct()
        .order_by("account_id")
    )
    if not account_ids:
        return []
    amounts = BudgetAmounts(account_ids=account_ids, as_of=as_of)
    day_before = version.valid_from - dt.timedelta(days=1)
    told = []
    accounts = Account.objects.filter(pk__in=account_ids).select_related("customer").order_by("pk")
    for account in accounts:
        old = amounts.amount_on(account.pk, day_before)
        new = amounts.amount_on(account.pk, version.valid_from)
        if old <= 0 or new <= 0 or old == new:
            continue
        communications.message_send(
            recipient=account.customer.as_recipient(),
            template="budget_amount_changed",
            context={
                "customer": account.customer,
                "account": account,
                "old_amount": old,
                "new_amount": new,
                "valid_from": version.valid_from,
            },
        )
        told.append(account.pk)
    return told


def on_price_version_added(sender, *, version: TariffVersion, as_of: dt.date, **kwargs) -> None:
    """Receiver of supply.services.tariffs.price_version_added."""
    budget_after_price_change(version=version, as_of=as_of)
