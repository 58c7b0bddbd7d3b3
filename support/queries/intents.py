"""Answers to routine questions from the signed-in customer's own data.

Every answer takes the customer and reads only their accounts and supplies;
it is written in the language asked for (the customer's language). An answer
is a short summary, a few facts (label: value), links to act on and, for
meter readings, the registers whose reading form the help page shows inline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account, BillingPreferences, Customer
from billing.models import Invoice, LedgerEntry
from billing.queries.inputs import BILLABLE_STATES
from billing.services.invoicing import bill_plan_for
from billing.services.ledger import account_balance, open_debits
from core.formats import money_format
from core.money import round_money
from metering.queries.reads import RegisterPanel, customer_reading_agreements, register_panel, submit_refusal
from meters.models import Utility
from outages.pages import CustomerInterruption, customer_interruptions
from payments.models import Payment
from supply.models import ServiceAgreement
from supply.queries import tariff_offer
from supply.services.tariffs import NoPriceOnDate, NoVatRateOnDate
from support.classifier import Intent

ONE_DAY = dt.timedelta(days=1)
UNIT_PRICE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass
class DataAnswer:
    """What the assistant shows for a routine question."""

    intent: str
    summary: str
    facts: list[Fact] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    # Registers to show with their reading form (submit a reading).
    panels: list[RegisterPanel] = field(default_factory=list)

    def as_text(self) -> str:
        """The answer as plain text, for the conversation log and agents."""
        lines = [self.summary]
        lines.extend(f"{fact.label}: {fact.value}" for fact in self.facts)
        return "\n".join(lines)


def _date(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _money(amount: Decimal) -> str:
    return money_format(amount, language=translation.get_language() or "de")


def _accounts(customer: Customer) -> list[Account]:
    return list(Account.objects.filter(customer=customer).order_by("number", "id"))


def _account_label(account: Account, *, several: bool) -> str:
    return _("Account %(number)s") % {"number": account.number} if several else _("Your account")


# --- balance and due dates -------------------------------------------------------------------------------------------


def _balance_sentence(balance: Decimal) -> str:
    if balance > 0:
        return _("you owe %(amount)s") % {"amount": _money(balance)}
    if balance < 0:
        return _("you have a credit of %(amount)s") % {"amount": _money(-balance)}
    return _("settled, nothing is open")


def _next_due(account: Account, *, today: dt.date) -> tuple[dt.date, Decimal, bool] | None:
    """The earliest open debit's due day, what is open on that day and whether it is overdue."""
    open_items = open_debits(account=account)
    if not open_items:
        return None
    due_days = [(entry.due_date or entry.booked_on, left) for entry, left in open_items]
    first = min(day for day, _left in due_days)
    amount = round_money(sum((left for day, left in due_days if day == first), Decimal("0.00")))
    return first, amount, first < today


def balance_answer(*, customer: Customer, as_of: dt.datetime) -> DataAnswer:
    """The balance of each of the customer's accounts and the next amount due."""
    today = timezone.localtime(as_of).date()
    accounts = _accounts(customer)
    if not accounts:
        return DataAnswer(Intent.BALANCE, _("You have no customer account with us yet."))
    several = len(accounts) > 1
    facts: list[Fact] = []
    sentences = []
    for account in accounts:
        balance = round_money(account_balance(account=account, as_of=today))
        label = _account_label(account, several=several)
        facts.append(Fact(_("Balance (%(account)s)") % {"account": label}, _balance_sentence(balance)))
        due = _next_due(account, today=today) if balance > 0 else None
        if due is not None:
            day, amount, overdue = due
            text = _("%(amount)s, due on %(date)s") % {"amount": _money(amount), "date": _date(day)}
            if overdue:
                text = _("%(amount)s, overdue since %(date)s") % {"amount": _money(amount), "date": _date(day)}
            facts.append(Fact(_("Next amount due (%(account)s)") % {"account": label}, text))
        sentences.append(
            _("The balance of account %(number)s is %(amount)s.")
            % {"number": account.number, "amount": _money(balance)}
        )
    return DataAnswer(Intent.BALANCE, " ".join(sentences), facts)


def next_due_date_answer(*, customer: Customer, as_of: dt.datetime) -> DataAnswer:
    """When the next amount is due (and how much), with the balance beside it."""
    today = timezone.localtime(as_of).date()
    accounts = _accounts(customer)
    if not accounts:
        return DataAnswer(Intent.NEXT_DUE_DATE, _("You have no customer account with us yet."))
    several = len(accounts) > 1
    facts: list[Fact] = []
    sentences = []
    for account in accounts:
        label = _account_label(account, several=several)
        balance = round_money(account_balance(account=account, as_of=today))
        due = _next_due(account, today=today)
        if due is None:
            sentences.append(_("Nothing is due on account %(number)s.") % {"number": account.number})
        else:
            day, amount, overdue = due
            values = {"amount": _money(amount), "date": _date(day), "number": account.number}
            if overdue:
                sentences.append(_("%(amount)s on account %(number)s was due on %(date)s and is overdue.") % values)
            else:
                sentences.append(_("%(amount)s on account %(number)s is due on %(date)s.") % values)
            facts.append(Fact(_("Next due date (%(account)s)") % {"account": label}, _date(day)))
        facts.append(Fact(_("Balance (%(account)s)") % {"account": label}, _balance_sentence(balance)))
    return DataAnswer(Intent.NEXT_DUE_DATE, " ".join(sentences), facts)


def last_payment_answer(*, customer: Customer, as_of: dt.datetime) -> DataAnswer:
    """The last payment booked on each account, and payments still being processed."""
    today = timezone.localtime(as_of).date()
    accounts = _accounts(customer)
    if not accounts:
        return DataAnswer(Intent.LAST_PAYMENT, _("You have no customer account with us yet."))
    several = len(accounts) > 1
    facts: list[Fact] = []
    sentences = []
    for account in accounts:
        label = _account_label(account, several=several)
        entry = (
            LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.PAYMENT, booked_on__lte=today)
            .order_by("-booked_on", "-id")
            .first()
        )
        if entry is None:
            sentences.append(
                _("We have not received a payment on account %(number)s yet.") % {"number": account.number}
            )
        else:
            payment = Payment.objects.filter(ledger_entry=entry).first()
            values = {"amount": _money(-entry.amount), "date": _date(entry.booked_on), "number": account.number}
            sentences.append(_("We received %(amount)s on account %(number)s on %(date)s.") % values)
            value = _("%(amount)s on %(date)s") % values
            if payment is not None:
                value = f"{value} ({payment.get_method_display()})"
            facts.append(Fact(_("Last payment (%(account)s)") % {"account": label}, value))
        pending = Payment.objects.filter(account=account, status=Payment.Status.PENDING).order_by("-received_on", "-id")
        for payment in pending[:3]:
            facts.append(
                Fact(
                    _("Being processed (%(account)s)") % {"account": label},
                    _("%(amount)s from %(date)s")
                    % {"amount": _money(payment.amount), "date": _date(payment.received_on)},
                )
            )
    return DataAnswer(Intent.LAST_PAYMENT, " ".join(sentences), facts)


# --- the next bill --------------------------------------------------------------------------------------------------


def _last_billed_end(account: Account) -> dt.date | None:
    last = (
        Invoice.objects.filter(account=account, status__in=Invoice.LIVE_STATES, kind__in=Invoice.BILL_KINDS)
        .order_by("-period_end", "-id")
        .values_list("period_end", flat=True)
        .first()
    )
    return last


def next_bill_answer(*, customer: Customer, as_of: dt.datetime) -> DataAnswer:
    """When the next bill comes: the end of the current calendar billing
    period (monthly, quarterly, half-yearly or annual, from the account's
    billing preferences) after the last bill, or the end of supply for the final bill."""
    today = timezone.localtime(as_of).date()
    accounts = _accounts(customer)
    several = len(accounts) > 1
    facts: list[Fact] = []
    sentences = []
    for account in accounts:
        label = _account_label(account, several=several)
        agreements = list(
            ServiceAgreement.objects.filter(account=account, status__in=BILLABLE_STATES).order_by("start_date", "id")
        )
        preferences = BillingPreferences.objects.filter(account=account).first() or BillingPreferences(account=account)
        # Asked for the next period whenever it ends: the plan's "due on" check is not wanted here.
        plan = bill_plan_for(
            frequency=preferences.frequency,
            agreements=agreements,
            last_billed_end=_last_billed_end(account),
            as_of=dt.date.max,
        )
        if plan is None:
            if agreements:
                sentences.append(
                    _("Account %(number)s is billed in full; no further bill is due.") % {"number": account.number}
                )
            continue
        values = {
            "number": account.number,
            "start": _date(plan.period_start),
            "end": _date(plan.period_end),
            "date": _date(plan.period_end + ONE_DAY),
        }
        if plan.period_end < today:
            sentences.append(
                _("The bill for account %(number)s for %(start)s to %(end)s is being prepared and comes shortly.")
                % values
            )
        elif plan.kind == Invoice.Kind.FINAL:
            sentences.append(
                _("Your final bill for account %(number)s covers %(start)s to %(end)s; it comes after %(date)s.")
                % values
            )
        else:
            sentences.append(
                _("Your next bill for account %(number)s covers %(start)s to %(end)s; it comes after %(date)s.")
                % values
            )
        facts.append(Fact(_("Billing (%(account)s)") % {"account": label}, preferences.get_frequency_display()))
        facts.append(
            Fact(_("Next billing period (%(account)s)") % {"account": label}, f"{values['start']} – {values['end']}")
        )
        if preferences.budget_billing and preferences.budget_amount:
            facts.append(
                Fact(
                    _("Monthly instalment (%(account)s)") % {"account": label},
                    _money(preferences.budget_amount),
                )
            )
    if not sentences:
        return DataAnswer(Intent.NEXT_BILL, _("You have no supply with us yet, so no bill is planned."))
    return DataAnswer(Intent.NEXT_BILL, " ".join(sentences), facts)


# --- meter readings -----------------------------------------------------------------------------------------------


def _reading_panels(customer: Customer, *, as_of: dt.datetime) -> list[RegisterPanel]:
    day = timezone.localtime(as_of).date()
    panels = []
    for agreement in customer_reading_agreements(customer=customer):
        if submit_refusal(agreement, day=day):
            continue
        for meter in agreement.supply_point.meters.all():
            if meter.removed_on is None and meter.installed_on <= day:
                panels.extend(
                    register_panel(agreement=agreement, register=register, as_of=as_of)
                    for register in meter.registers.all()
                )
    return panels


def _read_facts(panels: list[RegisterPanel]) -> list[Fact]:
    facts = []
    for panel in panels:
        register = panel.register
        label = f"{panel.label} · {register.meter.serial}"
        if panel.last_read is None:
            facts.append(Fact(label, _("no reading yet")))
            continue
        value = formats.number_format(panel.last_read.value.normalize(), force_grouping=True)
        when = _date(timezone.localtime(panel.last_read.taken_at).date())
        facts.append(
            Fact(
                label,
                _("%(value)s %(unit)s on %(date)s")
                % {"value": value, "unit": register.get_unit_display(), "date": when},
            )
        )
    return facts


def _reads_link() -> Link:
    return Link(_("Open the meter readings page"), reverse("reads:reads"))


def last_reads_answer(*, customer: Customer, as_of: dt.datetime) -> DataAnswer:
    """The last reading of each register the customer reads now, and how to send a new one."""
    panels = _reading_panels(customer, as_of=as_of)
    if not panels:
        return DataAnswer(Intent.LAST_READS, _("You have no meter with us that you can read at the moment."))
    return DataAnswer(
        Intent.LAST_READS,
        _("These are your latest meter readings. You can send a new reading below or on the meter readings page."),
        _read_facts(panels),
        [_reads_link()],
        panels,
    )


def submit_read_answer(*, customer: Customer, as_of: dt.datetime) -> DataAnswer:
    """The reading forms of the customer's registers, right in the answer."""
    panels = _reading_panels(customer, as_of=as_of)
    if not panels:
        return DataAnswer(Intent.SUBMIT_READ, _("You have no meter with us that you can read at the moment."))
    return DataAnswer(
        Intent.SUBMIT_READ,
        _(
            "Enter the reading shown on your meter below (all digits before the decimal point). "
            "We check it at once against your previous reading."
        ),
        _read_facts(panels),
        [_reads_link()],
        panels,
    )


# --- tariff and prices ----------------------------------------------------------------------------------------------


def tariff_prices_answer(*, customer: Customer, as_of: dt.datetime) -> DataAnswer:
    """The tariff of each live supply and its prices today, gross (VAT included) with net beside."""
    today = timezone.localtime(as_of).date()
    agreements = list(
        ServiceAgreement.objects.filter(account__customer=customer, status__in=ServiceAgreement.LIVE_STATES)
        .select_related("tariff", "supply_point__premise")
        .order_by("start_date", "id")
    )
    if not agreements:
        return DataAnswer(Intent.TARIFF_PRICES, _("You have no supply with us yet."))
    facts: list[Fact] = []
    names = []
    for agreement in agreements:
        tariff = agreement.tariff
        utility = agreement.supply_point.get_utility_display()
        names.append(f"{utility}: {tariff.name_in(translation.get_language() or 'de')}")
        day = max(today, agreement.start_date)
        try:
            offer = tariff_offer(tariff=tariff, consumption=agreement.expected_annual_consumption, day=day)
        except (NoPriceOnDate, NoVatRateOnDate):
            facts.append(Fact(utility, _("Prices are not available right now.")))
            continue
        unit = _("month") if tariff.utility == Utility.INTERNET else _unit(tariff.utility)
        for price in offer.unit_prices:
            label = _("%(utility)s: price per %(unit)s") % {"utility": utility, "unit": unit}
            if price.label:
                label = f"{label} ({price.label})"
            facts.append(Fact(label, _gross_net(_unit_price(price.gross), _unit_price(price.net))))
        if offer.standing_charge is not None:
            facts.append(
                Fact(
                    _("%(utility)s: standing charge per year") % {"utility": utility},
                    _gross_net(offer.standing_charge.gross, offer.standing_charge.net),
                )
            )
        if offer.monthly_fee is not None:
            facts.append(
                Fact(
                    _("%(utility)s: monthly fee") % {"utility": utility},
                    _gross_net(offer.monthly_fee.gross, offer.monthly_fee.net),
                )
            )
    summary = _("Your tariffs: %(tariffs)s. Prices include VAT; net prices in brackets.") % {
        "tariffs": "; ".join(names)
    }
    return DataAnswer(Intent.TARIFF_PRICES, summary, facts)


def _unit(utility: str) -> str:
    return "m³" if utility == Utility.WATER else "kWh"


def _unit_price(price: Decimal) -> Decimal:
    """A unit price with at least four decimals, more only where it has them."""
    shown = price.quantize(UNIT_PRICE_PLACES)
    return shown if shown == price else price.normalize()


def _gross_net(gross: Decimal, net: Decimal) -> str:
    return _("%(gross)s (%(net)s net)") % {"gross": _money(gross), "net": _money(net)}


# --- outages and bank details -----------------------------------------------------------------------------------------


def outage_answer(*, customer: Customer, as_of: dt.datetime) -> DataAnswer:
    """The interruptions in the register going on or planned at the
    customer's supplies (their postcodes, supply points and utilities); when
    none is known, what to check and where to report no supply."""
    known = customer_interruptions(accounts=_accounts(customer), now=as_of)
    report = Link(_("Report no supply at my address"), reverse("outages:report_new"))
    status = Link(_("Supply status"), reverse("status"))
    if not known:
        return DataAnswer(
            Intent.OUTAGE,
            _(
                "We know of no interruption at your addresses at the moment. If you have no supply, please check "
                "your fuses and ask your neighbours; then report it here, or call our fault hotline %(hotline)s "
                "(day and night)."
            )
            % {"hotline": settings.COMPANY_HOTLINE},
            [Fact(_("Fault hotline"), settings.COMPANY_HOTLINE)],
            [report, status, Link(_("What to do in an outage"), reverse("help:article", args=["outage-what-to-do"]))],
        )
    facts = [_outage_fact(row) for row in known]
    current = [row for row in known if not row.upcoming]
    summary = (
        _("We know of an interruption at your address and are working on it; you do not need to report it.")
        if current
        else _("Planned work will interrupt your supply; we tell you before it starts.")
    )
    return DataAnswer(
        Intent.OUTAGE,
        summary,
        [*facts, Fact(_("Fault hotline"), settings.COMPANY_HOTLINE)],
        [status, report],
    )


def _outage_fact(row: CustomerInterruption) -> Fact:
    interruption = row.interruption
    values = {
        "utility": interruption.get_utility_display(),
        "start": formats.date_format(timezone.localtime(interruption.started_at), "SHORT_DATETIME_FORMAT"),
        "status": interruption.get_status_display(),
    }
    if interruption.expected_end_at is not None:
        values["end"] = formats.date_format(timezone.localtime(interruption.expected_end_at), "SHORT_DATETIME_FORMAT")
        text = _("%(status)s since %(start)s, expected end %(end)s") % values
    else:
        text = _("%(status)s since %(start)s, end not known yet") % values
    if row.upcoming:
        text = (
            _("planned from %(start)s until %(end)s") % values
            if "end" in values
            else _("planned from %(start)s") % values
        )
    return Fact(f"{values['utility']} · {'; '.join(row.addresses)}", text)


def change_bank_details_answer(*, customer: Customer, as_of: dt.datetime) -> DataAnswer:
    """How to change the bank details, with the mandate we use now."""
    facts = [
        Fact(
            _("Direct debit (account %(number)s)") % {"number": mandate.account.number},
            f"{mandate.masked_iban} · {_('Mandate reference')} {mandate.reference}",
        )
        for account in Account.objects.filter(customer=customer).prefetch_related("mandates").order_by("number", "id")
        for mandate in account.mandates.all()
        if mandate.is_active
    ]
    return DataAnswer(
        Intent.CHANGE_BANK_DETAILS,
        _(
            "To change your bank details, send us the new IBAN and the account holder (link below); "
            "for a direct debit we need a new SEPA mandate, which you confirm online. The change applies to "
            "the next collection that has not been announced yet."
        ),
        facts,
        [
            Link(_("How to change bank details"), reverse("help:article", args=["bank-details-change"])),
            Link(_("Send us your new bank details"), reverse("support:ticket_new")),
        ],
    )


ANSWERS: dict[str, Callable[..., DataAnswer]] = {
    Intent.BALANCE: balance_answer,
    Intent.NEXT_DUE_DATE: next_due_date_answer,
    Intent.LAST_PAYMENT: last_payment_answer,
    Intent.NEXT_BILL: next_bill_answer,
    Intent.LAST_READS: last_reads_answer,
    Intent.SUBMIT_READ: submit_read_answer,
    Intent.TARIFF_PRICES: tariff_prices_answer,
    Intent.OUTAGE: outage_answer,
    Intent.CHANGE_BANK_DETAILS: change_bank_details_answer,
}


def data_answer(*, intent: str, customer: Customer, language: str, as_of: dt.datetime) -> DataAnswer | None:
    """The answer from the customer's data for a routine intent, in `language`; None for other intents."""
    answer = ANSWERS.get(intent)
    if answer is None:
        return None
    with translation.override(language):
        return answer(customer=customer, as_of=as_of)
