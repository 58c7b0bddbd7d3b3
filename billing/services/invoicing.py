"""Making bills: which period is due, computing it, holding it for review or
issuing it with a number, booking it on the ledger, and correcting it with a
credit note.

`bills_make` bills a chunk of accounts: it loads everything in a few queries
(`billing.queries.inputs`), computes each bill with the pure
`billing.calculation`, and saves the chunk in one short transaction that
also takes the invoice numbers. One bill per account and period, whatever
runs twice: the database refuses a second live bill for the same account and
period start, and a chunk that meets one falls back to account by account.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from celery import shared_task
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, BillingPreferences
from billing.calculation import (
    BillCalculation,
    BoundValue,
    CalculationError,
    Labels,
    RegisterUse,
    SupplyInput,
    bill_calculate,
    days_in,
    register_consumption,
)
from billing.models import (
    BillingSettings,
    BillRun,
    BillRunItem,
    Instalment,
    Invoice,
    InvoiceLine,
    InvoiceReading,
    LedgerEntry,
)
from billing.models.settings import LEGAL_MIN_PAYMENT_TERMS_DAYS
from billing.queries.inputs import READS_BEFORE_DAYS, AccountInputs, SharedInputs, inputs_load, shared_load
from billing.services.delivery import invoice_deliver
from billing.services.ledger import ledger_clear
from core import clock
from core.sequences import sequence_take
from meters.models import Read, Utility
from meters.readings import NoRegisterValue, reads_for_value, value_from_reads
from supply.models import ServiceAgreement
from supply.services.termination import contract_terms

logger = logging.getLogger(__name__)

ONE_DAY = dt.timedelta(days=1)
ZERO = Decimal("0.00")
FREQUENCY_MONTHS = {
    BillingPreferences.Frequency.MONTHLY: 1,
    BillingPreferences.Frequency.QUARTERLY: 3,
    BillingPreferences.Frequency.HALF_YEARLY: 6,
    BillingPreferences.Frequency.ANNUAL: 12,
}
Status = BillRunItem.Status
# The final bill goes out within six weeks of the end of supply (EnWG §40b).
FINAL_BILL_WITHIN_DAYS = 42


class InvoiceStateError(Exception):
    """The invoice is not in a state that allows the action."""


@dataclass(frozen=True)
class BillPlan:
    period_start: dt.date
    period_end: dt.date
    kind: str


@dataclass(frozen=True)
class BillOutcome:
    account_id: int
    status: str
    invoice_id: int | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    gross_total: Decimal | None = None
    reason: str = ""


# --- Periods ---------------------------------------------------------------------------------------------------


def calendar_period(day: dt.date, *, months: int) -> tuple[dt.date, dt.date]:
    """The calendar month, quarter, half-year or year holding `day`."""
    first_month = (day.month - 1) // months * months + 1
    first = dt.date(day.year, first_month, 1)
    return first, first + relativedelta(months=months) - ONE_DAY


def bill_plan_for(
    *,
    frequency: str,
    agreements: list[ServiceAgreement],
    last_billed_end: dt.date | None,
    as_of: dt.date,
    final_reads_in: set[int] | None = None,
    final_read_wait_days: int = 0,
) -> BillPlan | None:
    """The period an account is due to be billed for on `as_of`, or None.

    Billing continues the day after the last bill (or at the first agreement's
    start) and runs to the end of that calendar period; when every agreement
    has ended by then, the final bill ends on the last day of supply. A period
    is due from the day after its last day (when its end reading, taken at
    00:00 of that day, can exist): the nightly run on D bills periods ending
    before D.

    The final bill waits for the final reads: it is due once every agreement
    it ends has its reads at 00:00 of the day after its end date E
    (`final_reads_in`, actual or the estimate recorded after the wait), and
    at the latest on E + `final_read_wait_days` + 2, with the bill's own
    estimate then."""
    start = last_billed_end + ONE_DAY if last_billed_end else None
    relevant = [a for a in agreements if (start is None or a.end_date is None or a.end_date >= start)]
    relevant = [a for a in relevant if a.start_date <= as_of]
    if not relevant:
        return None
    first_supply = min(a.start_date for a in relevant)
    first = max(start, first_supply) if start else first_supply
    _first, period_end = calendar_period(first, months=FREQUENCY_MONTHS[frequency])
    kind = Invoice.Kind.INVOICE
    if all(a.end_date is not None for a in relevant):
        last_supply = max(a.end_date for a in relevant)
        if last_supply <= period_end:
            period_end, kind = last_supply, Invoice.Kind.FINAL
    if period_end >= as_of:
        return None
    if kind == Invoice.Kind.FINAL and as_of <= period_end + dt.timedelta(days=final_read_wait_days + 1):
        reads_in = final_reads_in or set()
        if any(a.pk not in reads_in for a in relevant):
            return None
    return BillPlan(first, period_end, kind)


def _next_cancellation(*, agreement: ServiceAgreement, as_of: dt.date) -> dict:
    terms = contract_terms(agreement=agreement, as_of=as_of)
    return {
        "minimum_term_months": terms.minimum_term_months,
        "notice_period_weeks": terms.notice_period_weeks,
        "earliest_end": terms.earliest_end.isoformat(),
        "next_cancellation_date": terms.next_cancellation_date.isoformat(),
    }


# --- Computing one account's bill ---------------------------------------------------------------------------------


@dataclass
class Draft:
    """A computed bill not yet saved."""

    inputs: AccountInputs
    plan: BillPlan
    calculation: BillCalculation
    readings: list[dict]
    details: dict
    language: str
    hold_reasons: list[str]
    instalments_total: Decimal
    instalment_ids: list[int]


def _language(inputs: AccountInputs) -> str:
    return inputs.preferences.invoice_language or inputs.account.customer.language or "de"


# Line descriptions name the register only where a meter has more than one rate.
RATE_LABELS = {
    "1-0:1.8.1": gettext_lazy("HT (peak rate)"),
    "1-0:1.8.2": gettext_lazy("NT (off-peak rate)"),
    "1-0:2.8.0": gettext_lazy("feed-in"),
}


def _labels() -> Labels:
    return Labels(
        consumption=_("Consumption %(register)s").replace("%(register)s", "{register}"),
        consumption_plain=_("Consumption"),
        standing_charge=_("Standing charge"),
        monthly_fee=_("Monthly fee"),
        days=_("days"),
        month=_("months"),
    )


def _bound(*, register, reads, moment, annual, start_from_previous) -> BoundValue:
    if start_from_previous is not None:
        value, method, source = start_from_previous
        return BoundValue(moment, value, method, method.startswith("estimated"), source)
    try:
        found = value_from_reads(reads=reads, moment=moment, digits=register.digits, annual_consumption=annual)
    except NoRegisterValue:
        # The chunk loaded reads from a year before the period; an older last read is looked up alone.
        found = value_from_reads(
            reads=reads_for_value(register=register, moment=moment),
            moment=moment,
            digits=register.digits,
            annual_consumption=annual,
        )
    return BoundValue(moment, found.value, found.method, found.estimated, found.source)


def _last_actual_before(reads, moment: dt.datetime) -> dt.datetime | None:
    taken = [row.taken_at for row in reads if row.source != Read.Source.ESTIMATED and row.taken_at <= moment]
    return taken[-1] if taken else None


def _previous_year(*, register, reads, start: dt.date, end: dt.date) -> Decimal | None:
    try:
        first = value_from_reads(
            reads=reads, moment=clock.start_of_day(start - relativedelta(years=1)), digits=register.digits
        )
        last = value_from_reads(
            reads=reads, moment=clock.start_of_day(end + ONE_DAY - relativedelta(years=1)), digits=register.digits
        )
    except NoRegisterValue:
        return None
    if first.estimated or last.estimated:
        return None
    return register_consumption(start=first.value, end=last.value, digits=register.digits)


def _supply_input(
    *, agreement: ServiceAgreement, inputs: AccountInputs, shared: SharedInputs, plan: BillPlan, readings: list
) -> tuple[SupplyInput, list[dict], dict]:
    start = max(plan.period_start, agreement.start_date)
    end = min(plan.period_end, agreement.end_date or plan.period_end)
    supply_point = agreement.supply_point
    previous = inputs.previous
    continues = previous is not None and previous.period_end + ONE_DAY == start
    uses = []
    oldest_actual: dt.datetime | None = None
    comparison = []
    if supply_point.utility != Utility.INTERNET:
        for register in inputs.registers.get(supply_point.pk, []):
            metered = _register_use(
                register=register,
                agreement=agreement,
                shared=shared,
                start=start,
                end=end,
                previous_end_values=previous.end_values if continues else None,
            )
            if metered is None:
                continue
            use, actual, last_year = metered
            if actual is not None and (oldest_actual is None or actual < oldest_actual):
                oldest_actual = actual
            uses.append(use)
            readings.append({"register": register, "previous_year": last_year})
            comparison.append(
                {
                    "supply_point": supply_point.identifier,
                    "meter_serial": use.meter_serial,
                    "obis": use.obis,
                    "unit": use.unit,
                    "last_year": str(last_year) if last_year is not None else None,
                }
            )
    gas = None
    if supply_point.utility == Utility.GAS:
        gas = shared.gas_factors_on(supply_point_id=supply_point.pk, network_area=supply_point.network_area, day=end)
    supply = SupplyInput(
        utility=supply_point.utility,
        supply_point=supply_point.identifier,
        tariff_code=agreement.tariff.code,
        tariff_name=agreement.tariff.name_in(_language(inputs)),
        start=start,
        end=end,
        versions=shared.versions_between(agreement.tariff_id, start, end),
        vat_rates=shared.vat_between(supply_point.utility, start, end),
        registers=uses,
        gas_factors=gas,
    )
    detail = _supply_detail(agreement=agreement, supply=supply, plan=plan, oldest_actual=oldest_actual)
    return supply, comparison, detail


def _register_use(
    *,
    register,
    agreement: ServiceAgreement,
    shared: SharedInputs,
    start: dt.date,
    end: dt.date,
    previous_end_values: dict | None,
) -> tuple[RegisterUse, dt.datetime | None, Decimal | None] | None:
    """The register's values at the bounds of the days [start, end] its meter
    was installed, the last actual read before an estimated end value, and
    the consumption of the same days a year before; None when the meter was
    not installed then. The start continues from the previous bill's end
    values (`previous_end_values`) where that bill ended the day before."""
    meter = register.meter
    first = max(start, meter.installed_on)
    last = min(end, meter.removed_on - ONE_DAY) if meter.removed_on else end
    if first > last:
        return None
    reads = shared.reads.get(register.pk, [])
    annual = agreement.expected_annual_consumption
    begin = _bound(
        register=register,
        reads=reads,
        moment=clock.start_of_day(first),
        annual=annual,
        start_from_previous=previous_end_values.get((meter.serial, register.obis))
        if previous_end_values is not None and first == start
        else None,
    )
    finish = _bound(
        register=register,
        reads=reads,
        moment=clock.start_of_day(last + ONE_DAY),
        annual=annual,
        start_from_previous=None,
    )
    actual = _last_actual_before(reads, finish.at) if finish.estimated else None
    use = RegisterUse(
        meter_serial=meter.serial,
        obis=register.obis,
        unit=register.unit,
        digits=register.digits,
        start=begin,
        end=finish,
        label=str(RATE_LABELS.get(register.obis, "")),
    )
    return use, actual, _previous_year(register=register, reads=reads, start=first, end=last)


def _supply_detail(
    *, agreement: ServiceAgreement, supply: SupplyInput, plan: BillPlan, oldest_actual: dt.datetime | None
) -> dict:
    """What the bill shows of the supply: address, tariff, period, meters, contract, gas factors."""
    premise = agreement.supply_point.premise
    gas = supply.gas_factors
    return {
        "utility": supply.utility,
        "supply_point": supply.supply_point,
        "address": f"{premise.street} {premise.house_number}, {premise.postcode} {premise.city}",
        "tariff_code": supply.tariff_code,
        "tariff_name": supply.tariff_name,
        "start": supply.start.isoformat(),
        "end": supply.end.isoformat(),
        "meters": sorted({use.meter_serial for use in supply.registers}),
        "contract": _next_cancellation(agreement=agreement, as_of=plan.period_end),
        "gas_factors": {"state_number": str(gas.state_number), "calorific_value": str(gas.calorific_value)}
        if gas
        else None,
        "oldest_actual_read": oldest_actual.isoformat() if oldest_actual else None,
    }


def _review(*, draft: Draft, rules: BillingSettings, as_of: dt.date) -> list[str]:
    """Why the bill waits for an agent (bill shock guard); empty when it may go out."""
    reasons = []
    gross = draft.calculation.gross_total
    active = any(a.status != ServiceAgreement.Status.ENDED for a in draft.inputs.agreements)
    if gross < 0 and rules.hold_negative:
        reasons.append(_("The bill is negative."))
    if gross == 0 and active and rules.hold_zero:
        reasons.append(_("The bill is zero although the supply is active."))
    previous = draft.inputs.previous
    if previous is not None and previous.gross_total > 0 and gross > 0:
        days_now = Decimal(days_in(draft.plan.period_start, draft.plan.period_end))
        days_before = Decimal(days_in(previous.period_start, previous.period_end))
        if gross / days_now > rules.review_factor * previous.gross_total / days_before:
            reasons.append(
                _("The amount is more than %(factor)s times that of the previous period.")
                % {"factor": f"{rules.review_factor.normalize():f}"}
            )
    limit = clock.start_of_day(draft.plan.period_end + ONE_DAY) - dt.timedelta(days=rules.review_estimate_max_days)
    for supply in draft.details["supplies"]:
        oldest = supply.get("oldest_actual_read")
        if oldest and dt.datetime.fromisoformat(oldest) < limit:
            reasons.append(
                _("The bill is estimated from a reading older than %(days)d days.")
                % {"days": rules.review_estimate_max_days}
            )
            break
    return reasons


def bill_draft(*, inputs: AccountInputs, shared: SharedInputs, plan: BillPlan, rules: BillingSettings, as_of: dt.date):
    """Compute the bill of one account for a planned period (no database writes)."""
    language = _language(inputs)
    agreements = [
        a
        for a in inputs.agreements
        if a.start_date <= plan.period_end and (a.end_date is None or a.end_date >= plan.period_start)
    ]
    supplies, comparison, details, readings = [], [], [], []
    with translation.override(language):
        for agreement in agreements:
            supply, compared, detail = _supply_input(
                agreement=agreement, inputs=inputs, shared=shared, plan=plan, readings=readings
            )
            supplies.append(supply)
            comparison.extend(compared)
            details.append(detail)
        calculation = bill_calculate(supplies=supplies, labels=_labels())
    for row, result in zip(comparison, calculation.registers, strict=True):
        row["this_period"] = str(result.consumption)
    kind = plan.kind
    instalments = []
    if inputs.preferences.budget_billing and kind != Invoice.Kind.FINAL:
        kind = Invoice.Kind.SETTLEMENT
    if kind in (Invoice.Kind.SETTLEMENT, Invoice.Kind.FINAL):
        instalments = [i for i in inputs.instalments if i.due_date <= plan.period_end]
    if kind == Invoice.Kind.SETTLEMENT and not instalments and plan.kind == Invoice.Kind.INVOICE:
        kind = Invoice.Kind.INVOICE
    draft = Draft(
        inputs=inputs,
        plan=BillPlan(plan.period_start, plan.period_end, kind),
        calculation=calculation,
        readings=readings,
        details={
            "supplies": details,
            "comparison": comparison,
            "vat_summary": [
                {"rate": str(rate), "net": str(net), "vat": str(vat)}
                for rate, (net, vat) in calculation.vat_summary.items()
            ],
            "instalments": [{"due_date": i.due_date.isoformat(), "amount": str(i.amount)} for i in instalments],
        },
        language=language,
        hold_reasons=[],
        instalments_total=sum((i.amount for i in instalments), ZERO),
        instalment_ids=[i.pk for i in instalments],
    )
    with translation.override(language):
        draft.hold_reasons = _review(draft=draft, rules=rules, as_of=as_of)
    return draft


# --- Saving ------------------------------------------------------------------------------------------------------


def _terms(inputs: AccountInputs, rules: BillingSettings) -> int:
    return max(
        inputs.preferences.payment_terms_days or rules.payment_terms_days,
        LEGAL_MIN_PAYMENT_TERMS_DAYS,
    )


def numbers_take(*, prefix: str, year: int, count: int, rules: BillingSettings) -> list[str]:
    """`count` consecutive numbers of the series (prefix, year), under a row
    lock in the caller's transaction: a rollback gives them back, so the
    series has no gaps."""
    if count == 0:
        return []
    first = sequence_take(name=f"invoice:{prefix}:{year}", count=count)
    return [rules.number_format.format(prefix=prefix, year=year, number=n) for n in range(first, first + count)]


def _supplier(rules: BillingSettings) -> dict:
    return {
        "name": rules.supplier_name,
        "street": rules.supplier_street,
        "postcode": rules.supplier_postcode,
        "city": rules.supplier_city,
        "country": rules.supplier_country,
        "vat_id": rules.supplier_vat_id,
        "tax_number": rules.supplier_tax_number,
        "register_court": rules.register_court,
        "hotline": rules.hotline,
        "email": rules.support_email,
        "website": rules.website,
        "creditor_id": rules.creditor_id,
        "bank_name": rules.bank_name,
        "iban": rules.iban,
        "bic": rules.bic,
        "arbitration_board": rules.arbitration_board,
    }


def _invoice_from(draft: Draft, *, rules: BillingSettings, bill_run: BillRun | None) -> Invoice:
    account = draft.inputs.account
    customer = account.customer
    calc = draft.calculation
    return Invoice(
        account=account,
        kind=draft.plan.kind,
        status=Invoice.Status.HELD,
        period_start=draft.plan.period_start,
        period_end=draft.plan.period_end,
        net_total=calc.net_total,
        vat_total=calc.vat_total,
        gross_total=calc.gross_total,
        instalments_total=draft.instalments_total,
        bill_run=bill_run,
        language=draft.language,
        customer_name=customer.display_name,
        customer_address="\n".join(account.billing_address_lines),
        customer_vat_id=customer.vat_id,
        is_business=customer.is_business,
        supplier=_supplier(rules),
        details=draft.details,
        estimated=calc.estimated,
        hold_reasons=draft.hold_reasons,
        delivery_channel=draft.inputs.preferences.delivery_channel,
    )


def _lines_of(invoice: Invoice, draft: Draft) -> list[InvoiceLine]:
    return [
        InvoiceLine(
            invoice=invoice,
            position=position,
            kind=line.kind,
            description=line.description,
            utility=line.utility,
            supply_point=line.supply_point,
            meter_serial=line.meter_serial,
            obis=line.obis,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            net_amount=line.net_amount,
            vat_rate=line.vat_rate,
            period_start=line.period_start,
            period_end=line.period_end,
            tariff_code=line.tariff_code,
            price_valid_from=line.price_valid_from,
        )
        for position, line in enumerate(draft.calculation.lines, start=1)
    ]


def _readings_of(invoice: Invoice, draft: Draft) -> list[InvoiceReading]:
    rows = []
    for result, extra in zip(draft.calculation.registers, draft.readings, strict=True):
        use = result.use
        factors = result.gas_factors
        rows.append(
            InvoiceReading(
                invoice=invoice,
                supply_point=result.supply_point,
                meter_serial=use.meter_serial,
                obis=use.obis,
                unit=use.unit,
                start_at=use.start.at,
                start_value=use.start.value,
                start_method=use.start.method,
                start_source=use.start.source,
                end_at=use.end.at,
                end_value=use.end.value,
                end_method=use.end.method,
                end_source=use.end.source,
                consumption=result.consumption,
                state_number=factors.state_number if factors else None,
                calorific_value=factors.calorific_value if factors else None,
                billed_quantity=result.billed_quantity,
                billed_unit=result.billed_unit,
                previous_year_consumption=extra["previous_year"],
            )
        )
    return rows


def _issue_fields(invoice: Invoice, *, number: str, as_of: dt.date, terms: int) -> None:
    invoice.status = Invoice.Status.ISSUED
    invoice.number = number
    invoice.issue_date = as_of
    invoice.due_date = as_of + dt.timedelta(days=max(terms, LEGAL_MIN_PAYMENT_TERMS_DAYS))
    invoice.issued_at = timezone.now()


def _ledger_entries(invoice: Invoice) -> list[LedgerEntry]:
    """The bookings of an issued bill: its gross total, and for a settlement
    the credit of the instalments it settles."""
    entries = [
        LedgerEntry(
            account_id=invoice.account_id,
            kind=LedgerEntry.Kind.INVOICE,
            amount=invoice.gross_total,
            booked_on=invoice.issue_date,
            due_date=invoice.due_date,
            invoice=invoice,
            text=_("Bill %(number)s") % {"number": invoice.number},
            reference=invoice.number,
            key=f"invoice:{invoice.pk}",
        )
    ]
    if invoice.instalments_total:
        entries.append(
            LedgerEntry(
                account_id=invoice.account_id,
                kind=LedgerEntry.Kind.INSTALMENT_CREDIT,
                amount=-invoice.instalments_total,
                booked_on=invoice.issue_date,
                due_date=invoice.due_date,
                invoice=invoice,
                text=_("Instalments credited on %(number)s") % {"number": invoice.number},
                reference=invoice.number,
                key=f"instalment-credit:{invoice.pk}",
            )
        )
    return entries


@shared_task(
    name="billing.tasks.deliver_invoice",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def deliver_invoice(invoice_id: int) -> int | None:
    """Send an issued invoice or credit note on the customer's channel; the
    outbox message's id, or None when it went out already (idempotent)."""
    message = invoice_deliver(invoice_id=invoice_id)
    return message.pk if message else None


def _deliver_on_commit(invoice_ids: list[int]) -> None:
    if not invoice_ids or not getattr(settings, "BILLING_DELIVER_ON_ISSUE", True):
        return

    def send():
        for invoice_id in invoice_ids:
            deliver_invoice.delay(invoice_id)

    transaction.on_commit(send)


def _save(
    drafts: list[Draft], *, as_of: dt.date, bill_run: BillRun | None, rules: BillingSettings
) -> list[BillOutcome]:
    """Save a chunk's bills in one transaction: numbers, invoices, lines,
    readings, ledger. Raises IntegrityError when any period is billed already."""
    outcomes = []
    with transaction.atomic():
        invoices = [_invoice_from(d, rules=rules, bill_run=bill_run) for d in drafts]
        issuing = [(inv, d) for inv, d in zip(invoices, drafts, strict=True) if not inv.hold_reasons]
        numbers = numbers_take(prefix=rules.invoice_prefix, year=as_of.year, count=len(issuing), rules=rules)
        for (invoice, draft), number in zip(issuing, numbers, strict=True):
            _issue_fields(invoice, number=number, as_of=as_of, terms=_terms(draft.inputs, rules))
        Invoice.objects.bulk_create(invoices)
        lines, readings, entries = [], [], []
        for invoice, draft in zip(invoices, drafts, strict=True):
            lines.extend(_lines_of(invoice, draft))
            readings.extend(_readings_of(invoice, draft))
            if invoice.is_issued:
                entries.extend(_ledger_entries(invoice))
        InvoiceLine.objects.bulk_create(lines, batch_size=2000)
        InvoiceReading.objects.bulk_create(readings, batch_size=2000)
        LedgerEntry.objects.bulk_create(entries, batch_size=2000)
        settled = {}
        for invoice, draft in zip(invoices, drafts, strict=True):
            if invoice.is_issued and draft.instalment_ids:
                settled[invoice.pk] = draft.instalment_ids
        for invoice_id, ids in settled.items():
            Instalment.objects.filter(pk__in=ids, settled_by__isnull=True).update(settled_by_id=invoice_id)
        with_credits = set(
            LedgerEntry.objects.filter(account_id__in=[inv.account_id for inv in invoices], amount__lt=0)
            .values_list("account_id", flat=True)
            .distinct()
        )
        for invoice in invoices:
            if invoice.is_issued and invoice.account_id in with_credits:
                ledger_clear(account=invoice.account)
        _deliver_on_commit([inv.pk for inv in invoices if inv.is_issued])
    for invoice in invoices:
        outcomes.append(
            BillOutcome(
                account_id=invoice.account_id,
                status=Status.BILLED if invoice.is_issued else Status.HELD,
                invoice_id=invoice.pk,
                period_start=invoice.period_start,
                period_end=invoice.period_end,
                gross_total=invoice.gross_total,
                reason=" ".join(invoice.hold_reasons),
            )
        )
    return outcomes


# --- Bills for a chunk of accounts ------------------------------------------------------------------------------


def final_read_wait_days() -> int:
    """How long a final bill waits for the final reads: FINAL_READ_WAIT_DAYS,
    but never so long that it misses the six weeks after the end date (EnWG
    §40b); the run two days after the wait issues it."""
    return min(settings.FINAL_READ_WAIT_DAYS, FINAL_BILL_WITHIN_DAYS - 2)


def _plan(inputs: AccountInputs, as_of: dt.date) -> BillPlan | None:
    previous = inputs.previous
    return bill_plan_for(
        frequency=inputs.preferences.frequency,
        agreements=inputs.agreements,
        last_billed_end=previous.period_end if previous else None,
        as_of=as_of,
        final_reads_in=inputs.final_reads_in,
        final_read_wait_days=final_read_wait_days(),
    )


def bills_make(
    *, account_ids: list[int], as_of: dt.date, bill_run: BillRun | None = None, dry_run: bool = False
) -> list[BillOutcome]:
    """Bill every account of the chunk whose period is due on `as_of` (see the module)."""
    rules = BillingSettings.current()
    inputs = inputs_load(account_ids=account_ids)
    plans = {pk: _plan(item, as_of) for pk, item in inputs.items()}
    starts = [plan.period_start for plan in plans.values() if plan is not None]
    outcomes: dict[int, BillOutcome] = {}
    for pk in account_ids:
        if pk not in inputs:
            outcomes[pk] = BillOutcome(pk, Status.FAILED, reason=_("The account does not exist."))
        elif plans[pk] is None:
            outcomes[pk] = BillOutcome(pk, Status.SKIPPED, reason=_("No billing period is due."))
    drafts: list[Draft] = []
    if starts:
        reads_from = clock.start_of_day(min(starts) - relativedelta(years=1) - dt.timedelta(days=READS_BEFORE_DAYS))
        shared = shared_load(inputs=inputs, reads_from=reads_from)
        for pk, plan in plans.items():
            if plan is None:
                continue
            try:
                draft = bill_draft(inputs=inputs[pk], shared=shared, plan=plan, rules=rules, as_of=as_of)
            except (CalculationError, NoRegisterValue) as error:
                outcomes[pk] = BillOutcome(
                    pk, Status.FAILED, period_start=plan.period_start, period_end=plan.period_end, reason=str(error)
                )
                continue
            minimum = rules.minimum_bill_amount
            if minimum and abs(draft.calculation.gross_total) < minimum and plan.kind != Invoice.Kind.FINAL:
                outcomes[pk] = BillOutcome(
                    pk,
                    Status.SKIPPED,
                    period_start=plan.period_start,
                    period_end=plan.period_end,
                    gross_total=draft.calculation.gross_total,
                    reason=_("The bill is below the minimum amount of %(amount)s EUR.") % {"amount": minimum},
                )
                continue
            drafts.append(draft)
    if dry_run:
        for draft in drafts:
            pk = draft.inputs.account.pk
            outcomes[pk] = BillOutcome(
                pk,
                Status.HELD if draft.hold_reasons else Status.BILLED,
                period_start=draft.plan.period_start,
                period_end=draft.plan.period_end,
                gross_total=draft.calculation.gross_total,
                reason=" ".join(draft.hold_reasons),
            )
    elif drafts:
        try:
            saved = _save(drafts, as_of=as_of, bill_run=bill_run, rules=rules)
        except IntegrityError:
            # Some period is billed already (a second run or worker): account by account.
            saved = []
            for draft in drafts:
                try:
                    saved.extend(_save([draft], as_of=as_of, bill_run=bill_run, rules=rules))
                except IntegrityError as error:
                    saved.append(_already_billed(draft, error=error))
        for outcome in saved:
            outcomes[outcome.account_id] = outcome
    return [outcomes[pk] for pk in account_ids]


def _already_billed(draft: Draft, *, error: IntegrityError) -> BillOutcome:
    existing = Invoice.objects.filter(
        account=draft.inputs.account,
        period_start=draft.plan.period_start,
        status__in=Invoice.LIVE_STATES,
        kind__in=Invoice.BILL_KINDS,
    ).first()
    if existing is None:
        logger.error("bill for account %s not saved: %s", draft.inputs.account.pk, error)
        return BillOutcome(
            draft.inputs.account.pk,
            Status.FAILED,
            period_start=draft.plan.period_start,
            period_end=draft.plan.period_end,
            gross_total=draft.calculation.gross_total,
            reason=_("The bill could not be saved: %(error)s") % {"error": error},
        )
    return BillOutcome(
        draft.inputs.account.pk,
        Status.SKIPPED,
        invoice_id=existing.pk if existing else None,
        period_start=draft.plan.period_start,
        period_end=draft.plan.period_end,
        gross_total=existing.gross_total if existing else None,
        reason=_("This period is billed already."),
    )


def bill_account(*, account: Account, as_of: dt.date) -> BillOutcome:
    """Bill one account the same way a run does."""
    return bills_make(account_ids=[account.pk], as_of=as_of)[0]


def bill_plan(*, account: Account, as_of: dt.date) -> BillPlan | None:
    """Which period (and kind of bill) is due for the account on `as_of`."""
    return _plan(inputs_load(account_ids=[account.pk])[account.pk], as_of)


def accounts_to_bill(*, as_of: dt.date) -> list[int]:
    """Accounts a run on `as_of` looks at: every account with supply that has
    started; whether a period is due is decided per account when billing."""
    return list(
        ServiceAgreement.objects.filter(
            status__in=(
                ServiceAgreement.Status.ACTIVE,
                ServiceAgreement.Status.ENDING,
                ServiceAgreement.Status.ENDED,
            ),
            start_date__lte=as_of,
        )
        .values_list("account_id", flat=True)
        .distinct()
        .order_by("account_id")
    )


# --- Review and corrections -----------------------------------------------------------------------------------


def _locked(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def invoice_release(*, invoice: Invoice, user, as_of: dt.date) -> Invoice:
    """An agent lets a held bill go out: it gets its number, dates and ledger entry."""
    rules = BillingSettings.current()
    with transaction.atomic():
        invoice = _locked(invoice)
        if not invoice.is_held:
            raise InvoiceStateError(_("Only a held bill can be released."))
        preferences = BillingPreferences.objects.filter(account_id=invoice.account_id).first()
        terms = (preferences.payment_terms_days if preferences else None) or rules.payment_terms_days
        (number,) = numbers_take(prefix=rules.invoice_prefix, year=as_of.year, count=1, rules=rules)
        _issue_fields(invoice, number=number, as_of=as_of, terms=terms)
        invoice.released_by = user
        invoice.save(update_fields=["status", "number", "issue_date", "due_date", "issued_at", "released_by"])
        LedgerEntry.objects.bulk_create(_ledger_entries(invoice))
        due_dates = [row["due_date"] for row in invoice.details.get("instalments", [])]
        if due_dates:
            Instalment.objects.filter(
                account_id=invoice.account_id, due_date__in=due_dates, settled_by__isnull=True
            ).update(settled_by=invoice)
        ledger_clear(account=invoice.account)
        _deliver_on_commit([invoice.pk])
    return invoice


def invoice_discard(*, invoice: Invoice, user) -> Invoice:
    """A held bill is thrown away (the reads were wrong); the period can be billed again."""
    with transaction.atomic():
        invoice = _locked(invoice)
        if not invoice.is_held:
            raise InvoiceStateError(_("Only a held bill can be discarded."))
        invoice.status = Invoice.Status.DISCARDED
        invoice.released_by = user
        invoice.save(update_fields=["status", "released_by"])
    return invoice


# A credit note copies these of the bill it cancels and negates its amounts; so do its lines.
CREDIT_NOTE_COPIES = (
    "period_start",
    "period_end",
    "language",
    "customer_name",
    "customer_address",
    "customer_vat_id",
    "is_business",
    "estimated",
    "delivery_channel",
)
CREDIT_NOTE_NEGATES = ("net_total", "vat_total", "gross_total", "instalments_total")
CREDIT_LINE_COPIES = (
    "position",
    "kind",
    "description",
    "utility",
    "supply_point",
    "meter_serial",
    "obis",
    "unit",
    "unit_price",
    "vat_rate",
    "period_start",
    "period_end",
    "tariff_code",
    "price_valid_from",
)
CREDIT_LINE_NEGATES = ("quantity", "net_amount")


def invoice_cancel(*, invoice: Invoice, user, as_of: dt.date, reason: str) -> Invoice:
    """Cancel an issued bill with a credit note (own number, refers to the
    original, lines mirrored), booked and cleared against the original."""
    rules = BillingSettings.current()
    with transaction.atomic():
        invoice = _locked(invoice)
        if not invoice.is_issued or invoice.is_credit_note:
            raise InvoiceStateError(_("Only an issued bill can be cancelled."))
        (number,) = numbers_take(prefix=rules.credit_note_prefix, year=as_of.year, count=1, rules=rules)
        note = Invoice.objects.create(
            account_id=invoice.account_id,
            number=number,
            kind=Invoice.Kind.CREDIT_NOTE,
            status=Invoice.Status.ISSUED,
            issue_date=as_of,
            due_date=as_of,
            cancels=invoice,
            supplier=_supplier(rules),
            details={**invoice.details, "cancels": invoice.number, "reason": reason},
            issued_at=timezone.now(),
            released_by=user,
            **_mirrored(invoice, copies=CREDIT_NOTE_COPIES, negates=CREDIT_NOTE_NEGATES),
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(invoice=note, **_mirrored(line, copies=CREDIT_LINE_COPIES, negates=CREDIT_LINE_NEGATES))
            for line in invoice.lines.order_by("position")
        )
        entries = _credit_note_entries(invoice=invoice, note=note, as_of=as_of)
        if invoice.instalments_total:
            invoice.settled_instalments.update(settled_by=None)
        LedgerEntry.objects.bulk_create(entries)
        invoice.status = Invoice.Status.CANCELLED
        invoice.save(update_fields=["status"])
        original = LedgerEntry.objects.filter(key=f"invoice:{invoice.pk}").first()
        ledger_clear(account=invoice.account, prefer=[original] if original else None)
        _deliver_on_commit([note.pk])
    return note


def _mirrored(source: Invoice | InvoiceLine, *, copies: tuple[str, ...], negates: tuple[str, ...]) -> dict[str, object]:
    """The fields of a credit note (or its line) taken from the cancelled bill (or line)."""
    return {
        **{name: getattr(source, name) for name in copies},
        **{name: -getattr(source, name) for name in negates},
    }


def _credit_note_entries(*, invoice: Invoice, note: Invoice, as_of: dt.date) -> list[LedgerEntry]:
    """The credit note's ledger entries: the bill's amount back and, where the
    bill credited instalments, that credit reversed."""
    entries = [
        LedgerEntry(
            account_id=invoice.account_id,
            kind=LedgerEntry.Kind.CREDIT_NOTE,
            amount=-invoice.gross_total,
            booked_on=as_of,
            invoice=note,
            text=_("Credit note %(number)s cancelling %(original)s")
            % {"number": note.number, "original": invoice.number},
            reference=note.number,
            key=f"credit-note:{note.pk}",
        )
    ]
    if invoice.instalments_total:
        entries.append(
            LedgerEntry(
                account_id=invoice.account_id,
                kind=LedgerEntry.Kind.INSTALMENT_CREDIT,
                amount=invoice.instalments_total,
                booked_on=as_of,
                invoice=note,
                text=_("Instalments credited on %(number)s reversed") % {"number": invoice.number},
                reference=note.number,
                key=f"instalment-credit-reversed:{note.pk}",
            )
        )
    return entries


def invoice_rebill(*, invoice: Invoice, user, as_of: dt.date, reason: str = "") -> BillOutcome:
    """Bill the period again from the current reads: a held bill is discarded,
    an issued one cancelled with a credit note; the customer gets both."""
    later = Invoice.objects.filter(
        account_id=invoice.account_id,
        status__in=Invoice.LIVE_STATES,
        kind__in=Invoice.BILL_KINDS,
        period_start__gt=invoice.period_start,
    )
    if later.exists():
        raise InvoiceStateError(_("A later bill exists: correct the latest bill first."))
    with transaction.atomic():
        if invoice.is_held:
            invoice_discard(invoice=invoice, user=user)
        else:
            invoice_cancel(invoice=invoice, user=user, as_of=as_of, reason=reason or _("Corrected reads"))
        return bills_make(account_ids=[invoice.account_id], as_of=max(as_of, invoice.period_end))[0]
