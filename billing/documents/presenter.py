"""An issued invoice or credit note as prepared text for templates: the PDF
and the bill page in the portal show the same figures, formatted for the
reader's language (German style for de: 1.234,56 €).

Everything comes from the invoice's own rows and snapshots (supplier,
customer, lines, readings, details), never from today's tariffs or
addresses, so the document reads the same whenever it is rendered. The
only live lookup is the account's active direct-debit mandate, for the
payment note.

`InvoiceView.steps` answer "why is my bill this amount": each supply's net
amount, the VAT per rate, the instalments already paid, the amount due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DateField, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import formats, timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from accounts.models import SepaMandate
from billing.models import Invoice, InvoiceLine, InvoiceReading, LedgerEntry
from core import clock
from core.formats import money_format, percent_format, quantity_format
from core.money import round_money
from meters.models import MARKET_LOCATION_UTILITIES, Read, Unit, Utility
from meters.readings import ValueMethod
from supply.queries import register_label

ZERO = Decimal("0.00")
UNIT_LABELS = {Unit.KWH.value: Unit.KWH.label, Unit.M3.value: Unit.M3.label, "kWh": Unit.KWH.label}
# Unit prices are shown with at least four decimals (a hundredth of a cent).
UNIT_PRICE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class PartyView:
    name: str
    address_lines: list[str]
    vat_id: str = ""
    tax_number: str = ""
    register: str = ""
    hotline: str = ""
    email: str = ""
    website: str = ""


@dataclass(frozen=True)
class GasView:
    """m³ x state number x calorific value = kWh, as billed."""

    cubic_metres: str
    state_number: str
    calorific_value: str
    kwh: str


@dataclass(frozen=True)
class ReadingView:
    meter_serial: str
    obis: str
    label: str
    unit: str
    start_date: str
    start_value: str
    start_method: str
    end_date: str
    end_value: str
    end_method: str
    consumption: str
    estimated: bool
    gas: GasView | None
    billed: str
    billed_unit: str


@dataclass(frozen=True)
class LineView:
    position: int
    description: str
    period: str
    quantity: str
    unit: str
    unit_price: str
    net: str
    vat_rate: str


@dataclass(frozen=True)
class PriceView:
    label: str
    valid_from: str
    unit_price: str


@dataclass(frozen=True)
class ContractView:
    minimum_term: str
    notice_period: str
    next_cancellation_date: str


@dataclass(frozen=True)
class SupplyView:
    utility: str
    identifier_label: str
    identifier: str
    address: str
    tariff: str
    period: str
    meters: list[str]
    contract: ContractView | None
    readings: list[ReadingView]
    lines: list[LineView]
    prices: list[PriceView]
    net: str


@dataclass(frozen=True)
class VatRow:
    rate: str
    net: str
    vat: str
    gross: str


@dataclass(frozen=True)
class ComparisonView:
    label: str
    unit: str
    this_period: str
    last_year: str
    # "+12 %" / "−5 %"; empty without last year's figure.
    change: str
    this_value: Decimal
    last_value: Decimal | None


@dataclass(frozen=True)
class Step:
    label: str
    amount: str


@dataclass(frozen=True)
class PaymentView:
    """How the amount due is settled: one sentence and the facts under it."""

    text: str
    facts: list[tuple[str, str]]


@dataclass(frozen=True)
class BookingView:
    """A ledger entry outside the bill (a fee, interest, a compensation credit)."""

    date: str
    text: str
    reference: str
    amount: str
    is_credit: bool


@dataclass(frozen=True)
class InvoiceView:
    language: str
    title: str
    number: str
    kind: str
    is_credit_note: bool
    cancels: str
    # Why a credit note cancels its invoice.
    reason: str
    issue_date: str
    due_date: str
    period: str
    account_number: str
    supplier: PartyView
    customer: PartyView
    amount_due_label: str
    amount_due: str
    is_credit: bool
    net_total: str
    vat_total: str
    gross_total: str
    instalments_total: str
    has_instalments: bool
    instalments: list[tuple[str, str]]
    estimated: bool
    supplies: list[SupplyView]
    vat_rows: list[VatRow]
    comparisons: list[ComparisonView]
    chart_svg: SafeString
    steps: list[Step]
    payment: PaymentView
    arbitration_board: str
    is_energy: bool
    # An order invoice (or its credit note): its lines, with no supply, reading or comparison.
    is_order: bool = False
    order: str = ""
    order_lines: list[LineView] = field(default_factory=list)
    # Consumption bills: the fees, interest and credits booked on the account
    # since the previous bill; settled with the balance, not part of the totals.
    other_bookings: list[BookingView] = field(default_factory=list)


def _date(value: dt.date | dt.datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return formats.date_format(value, "DATE_FORMAT")


def _period(start, end) -> str:
    return _("%(start)s to %(end)s") % {"start": _date(start), "end": _date(end)}


def _money(amount: Decimal | str, language: str) -> str:
    return money_format(Decimal(amount), language=language)


def _unit(unit: str) -> str:
    return str(UNIT_LABELS.get(unit, unit))


def _number(value: Decimal) -> str:
    return formats.number_format(Decimal(value).normalize(), use_l10n=True, force_grouping=True)


def _unit_price(price: Decimal, language: str) -> str:
    shown = price.quantize(UNIT_PRICE_PLACES)
    return money_format(shown if shown == price else price.normalize(), language=language)


def _method(method: str, source: str = "") -> str:
    """How a value was obtained, and by whom when it is a reading ("read (customer)")."""
    try:
        label = str(ValueMethod(method).label)
    except ValueError:
        label = method
    if source and source in Read.Source.values:
        return f"{label} ({Read.Source(source).label})"
    return label


def _is_estimated(method: str) -> bool:
    return method in (ValueMethod.ESTIMATED_HISTORY, ValueMethod.ESTIMATED_PROFILE)


def _title(invoice: Invoice) -> str:
    return {
        Invoice.Kind.INVOICE: _("Invoice"),
        Invoice.Kind.SETTLEMENT: _("Settlement bill"),
        Invoice.Kind.FINAL: _("Final bill"),
        Invoice.Kind.CREDIT_NOTE: _("Credit note (cancellation)"),
        Invoice.Kind.ORDER: _("Invoice for your order"),
    }[Invoice.Kind(invoice.kind)]


def _supplier(invoice: Invoice) -> PartyView:
    data = invoice.supplier
    return PartyView(
        name=data.get("name", ""),
        address_lines=[
            line
            for line in (data.get("street", ""), f"{data.get('postcode', '')} {data.get('city', '')}".strip())
            if line
        ],
        vat_id=data.get("vat_id", ""),
        tax_number=data.get("tax_number", ""),
        register=data.get("register_court", ""),
        hotline=data.get("hotline", ""),
        email=data.get("email", ""),
        website=data.get("website", ""),
    )


def _customer(invoice: Invoice) -> PartyView:
    return PartyView(
        name=invoice.customer_name,
        address_lines=[line for line in invoice.customer_address.splitlines() if line.strip()],
        vat_id=invoice.customer_vat_id if invoice.is_business else "",
    )


def _reading(reading: InvoiceReading) -> ReadingView:
    unit = _unit(reading.unit)
    gas = None
    if reading.state_number is not None and reading.calorific_value is not None:
        gas = GasView(
            cubic_metres=quantity_format(reading.consumption),
            state_number=_number(reading.state_number),
            calorific_value=_number(reading.calorific_value),
            kwh=quantity_format(reading.billed_quantity),
        )
    return ReadingView(
        meter_serial=reading.meter_serial,
        obis=reading.obis,
        label=register_label(reading.obis),
        unit=unit,
        start_date=_date(reading.start_at),
        start_value=quantity_format(reading.start_value),
        start_method=_method(reading.start_method, reading.start_source),
        end_date=_date(reading.end_at),
        end_value=quantity_format(reading.end_value),
        end_method=_method(reading.end_method, reading.end_source),
        consumption=quantity_format(reading.consumption),
        estimated=_is_estimated(reading.start_method) or _is_estimated(reading.end_method),
        gas=gas,
        billed=quantity_format(reading.billed_quantity),
        billed_unit=_unit(reading.billed_unit),
    )


def _line(line: InvoiceLine, language: str) -> LineView:
    return LineView(
        position=line.position,
        description=line.description,
        period=_period(line.period_start, line.period_end),
        quantity=quantity_format(line.quantity),
        unit=_unit(line.unit),
        unit_price=_unit_price(line.unit_price, language),
        net=_money(line.net_amount, language),
        vat_rate=percent_format(line.vat_rate, language=language),
    )


def _prices(lines: list[InvoiceLine], language: str) -> list[PriceView]:
    """The unit prices the lines apply, once each, in the order they first appear."""
    seen: dict[tuple, PriceView] = {}
    for line in lines:
        key = (line.kind, line.obis, line.price_valid_from, line.unit_price)
        if key in seen:
            continue
        if line.kind == InvoiceLine.Kind.CONSUMPTION:
            label = _("Price per %(unit)s, %(register)s") % {"unit": _unit(line.unit), "register": line.obis}
        elif line.kind == InvoiceLine.Kind.STANDING_CHARGE:
            label = _("Standing charge per day")
        else:
            label = _("Monthly fee")
        seen[key] = PriceView(
            label=label, valid_from=_date(line.price_valid_from), unit_price=_unit_price(line.unit_price, language)
        )
    return list(seen.values())


def _contract(contract: dict | None) -> ContractView | None:
    if not contract:
        return None
    months = int(contract.get("minimum_term_months") or 0)
    weeks = int(contract.get("notice_period_weeks") or 0)
    minimum = (
        translation.ngettext("%(months)s month", "%(months)s months", months) % {"months": months}
        if months
        else _("none")
    )
    return ContractView(
        minimum_term=minimum,
        notice_period=translation.ngettext("%(weeks)s week", "%(weeks)s weeks", weeks) % {"weeks": weeks},
        next_cancellation_date=_date(contract.get("next_cancellation_date")),
    )


def _identifier_label(utility: str) -> str:
    if utility in MARKET_LOCATION_UTILITIES:
        return _("Market location id")
    if utility == Utility.INTERNET:
        return _("Line id")
    return _("Connection id")


def _utility(utility: str) -> str:
    try:
        return str(Utility(utility).label)
    except ValueError:
        return utility


def _supplies(invoice: Invoice, lines: list[InvoiceLine], readings: list[InvoiceReading], language: str):
    views = []
    for supply in invoice.details.get("supplies") or []:
        point = supply["supply_point"]
        utility = supply["utility"]
        own_lines = [line for line in lines if line.supply_point == point]
        tariff = supply.get("tariff_name", "")
        if supply.get("tariff_code"):
            tariff = f"{tariff} ({supply['tariff_code']})"
        views.append(
            SupplyView(
                utility=_utility(utility),
                identifier_label=_identifier_label(utility),
                identifier=point,
                address=supply.get("address", ""),
                tariff=tariff,
                period=_period(supply["start"], supply["end"]),
                meters=list(supply.get("meters") or []),
                contract=_contract(supply.get("contract")),
                readings=[_reading(reading) for reading in readings if reading.supply_point == point],
                lines=[_line(line, language) for line in own_lines],
                prices=_prices(own_lines, language),
                net=_money(sum((line.net_amount for line in own_lines), ZERO), language),
            )
        )
    return views


def _vat_rows(lines: list[InvoiceLine], language: str) -> list[VatRow]:
    """VAT per rate on the sum of that rate's lines, rounded once (as billed)."""
    nets: dict[Decimal, Decimal] = {}
    for line in lines:
        nets[line.vat_rate] = nets.get(line.vat_rate, ZERO) + line.net_amount
    rows = []
    for rate, net in sorted(nets.items()):
        vat = round_money(net * rate)
        rows.append(
            VatRow(
                rate=percent_format(rate, language=language),
                net=_money(net, language),
                vat=_money(vat, language),
                gross=_money(net + vat, language),
            )
        )
    return rows


def _change(this: Decimal, last: Decimal | None, language: str) -> str:
    if last is None or last == 0:
        return ""
    change = ((this - last) * 100 / last).quantize(Decimal(1))
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    return sign + percent_format(abs(change) / 100, language=language)


def _comparisons(invoice: Invoice, language: str) -> list[ComparisonView]:
    """Each register's consumption against the same period last year (none on a credit note)."""
    if invoice.is_credit_note:
        return []
    views = []
    for row in invoice.details.get("comparison") or []:
        this = Decimal(row["this_period"])
        last = None if row.get("last_year") is None else Decimal(row["last_year"])
        views.append(
            ComparisonView(
                label=register_label(row["obis"]),
                unit=_unit(row["unit"]),
                this_period=quantity_format(this),
                last_year=quantity_format(last) if last is not None else "",
                change=_change(this, last, language),
                this_value=this,
                last_value=last,
            )
        )
    return views


CHART_WIDTH = 480
CHART_LABEL_WIDTH = 150
CHART_BAR_HEIGHT = 14
CHART_GROUP_GAP = 12
THIS_FILL = "#1f5f8b"
LAST_FILL = "#b8c4ce"


def comparison_chart_svg(comparisons: list[ComparisonView]) -> SafeString:
    """Horizontal bars, last year's (grey) above this period's (blue), one
    pair per register, each labelled with its figure; empty without data.
    Presentation attributes only (no style, no script), so it passes the CSP
    on web pages and renders in WeasyPrint."""
    if not comparisons:
        return SafeString("")
    largest = max(max(c.this_value, c.last_value or Decimal(0)) for c in comparisons) or Decimal(1)
    span = CHART_WIDTH - CHART_LABEL_WIDTH - 90
    group = 2 * CHART_BAR_HEIGHT + CHART_GROUP_GAP
    height = group * len(comparisons) + 4
    parts = []
    for index, comparison in enumerate(comparisons):
        top = 2 + index * group
        bars = (
            (comparison.last_value, comparison.last_year, LAST_FILL, _("same period last year")),
            (comparison.this_value, comparison.this_period, THIS_FILL, _("this period")),
        )
        parts.append(
            format_html(
                '<text x="0" y="{}" font-size="10" fill="#1d1d1b">{}</text>'
                '<text x="0" y="{}" font-size="8" fill="#555555">{}</text>',
                top + CHART_BAR_HEIGHT - 3,
                comparison.label,
                top + 2 * CHART_BAR_HEIGHT - 3,
                comparison.unit,
            )
        )
        for offset, (value, shown, fill, name) in enumerate(bars):
            y = top + offset * CHART_BAR_HEIGHT
            width = 0 if value is None else int(span * value / largest)
            text = shown if value is not None else _("no figure")
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} {}</title></rect>'
                    '<text x="{}" y="{}" font-size="9" fill="#1d1d1b">{} {}</text>',
                    CHART_LABEL_WIDTH,
                    y + 1,
                    width,
                    CHART_BAR_HEIGHT - 2,
                    fill,
                    name,
                    text,
                    comparison.unit,
                    CHART_LABEL_WIDTH + width + 4,
                    y + CHART_BAR_HEIGHT - 4,
                    text,
                    comparison.unit if value is not None else "",
                )
            )
    body = format_html_join("", "{}", ((part,) for part in parts))
    return format_html(
        '<svg class="comparison-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}"'
        ' role="img" aria-label="{}">{}</svg>',
        CHART_WIDTH,
        height,
        CHART_WIDTH,
        height,
        _("Consumption compared with the same period last year"),
        body,
    )


def _mandate(invoice: Invoice) -> SepaMandate | None:
    if not invoice.account.pays_by_direct_debit:
        return None
    return (
        SepaMandate.objects.filter(account_id=invoice.account_id, status=SepaMandate.Status.ACTIVE)
        .order_by("-created_at", "-id")
        .first()
    )


def _payment(invoice: Invoice, language: str) -> PaymentView:
    amount = invoice.amount_due
    shown = _money(abs(amount), language)
    supplier = invoice.supplier
    if amount == 0:
        return PaymentView(text=_("Nothing is due: the instalments paid cover this bill."), facts=[])
    if invoice.is_credit_note:
        return PaymentView(
            text=_(
                "The credit of %(amount)s is set against the cancelled bill; what you paid on it and is not "
                "owed otherwise we pay back or offset within two weeks."
            )
            % {"amount": shown},
            facts=[],
        )
    mandate = _mandate(invoice)
    if amount < 0:
        if mandate is not None:
            text = _(
                "We pay the credit of %(amount)s into the account of your direct-debit mandate (%(iban)s) "
                "within two weeks."
            ) % {
                "amount": shown,
                "iban": mandate.masked_iban,
            }
        else:
            text = _("We offset the credit of %(amount)s against open amounts or pay it out within two weeks.") % {
                "amount": shown
            }
        return PaymentView(text=text, facts=[])
    if mandate is not None:
        return PaymentView(
            text=_("We collect %(amount)s by SEPA direct debit on %(date)s, not before.")
            % {"amount": shown, "date": _date(invoice.due_date)},
            facts=[
                (_("Your IBAN"), mandate.masked_iban),
                (_("Mandate reference"), mandate.reference),
                (_("Mandate signed on"), _date(mandate.signed_date)),
                (_("Creditor identifier"), supplier.get("creditor_id") or mandate.creditor_id),
            ],
        )
    return PaymentView(
        text=_("Please transfer %(amount)s by %(date)s, quoting the invoice number.")
        % {"amount": shown, "date": _date(invoice.due_date)},
        facts=[
            (_("Account holder"), supplier.get("name", "")),
            (_("IBAN"), supplier.get("iban", "")),
            (_("BIC"), supplier.get("bic", "")),
            (_("Bank"), supplier.get("bank_name", "")),
            (_("Reference"), invoice.number or ""),
        ],
    )


def _steps(invoice: Invoice, supplies: list[SupplyView], vat_rows: list[VatRow], language: str) -> list[Step]:
    steps = [
        Step(label=f"{supply.utility} {supply.identifier}: {_('net amount')}", amount=supply.net) for supply in supplies
    ]
    if not supplies:
        steps.append(Step(label=_("Net amount"), amount=_money(invoice.net_total, language)))
    steps += [Step(label=_("VAT %(rate)s") % {"rate": row.rate}, amount=row.vat) for row in vat_rows]
    steps.append(Step(label=_("Total (gross)"), amount=_money(invoice.gross_total, language)))
    if invoice.instalments_total:
        steps.append(Step(label=_("Less instalments paid"), amount=_money(-invoice.instalments_total, language)))
    steps.append(Step(label=_amount_due_label(invoice.amount_due), amount=_money(abs(invoice.amount_due), language)))
    return steps


# Bookings a bill lists as "other bookings": not invoices, credit notes,
# instalments or payments, but what the customer owes or gets besides.
OTHER_BOOKING_KINDS = (LedgerEntry.Kind.FEE, LedgerEntry.Kind.INTEREST)


def _other_bookings(invoice: Invoice, language: str) -> list[BookingView]:
    """The account's fees, interest and credits booked after its previous
    consumption bill (the first bill: since the account began) up to this
    bill's issue date, in one query. Only booked_on dates up to the issue
    date count, so the same bill always lists the same entries; a bill that
    was cancelled later still marks where its successor's list starts."""
    if invoice.kind not in Invoice.BILL_KINDS:
        return []
    until = invoice.issue_date or clock.today()
    earlier = Q(issue_date__lt=until)
    if invoice.pk is not None:
        earlier |= Q(issue_date=until, pk__lt=invoice.pk)
    previous = (
        Invoice.objects.filter(
            account_id=OuterRef("account_id"),
            kind__in=Invoice.BILL_KINDS,
            status__in=(Invoice.Status.ISSUED, Invoice.Status.CANCELLED),
            issue_date__isnull=False,
        )
        .filter(earlier)
        .order_by("-issue_date", "-pk")
        .values("issue_date")[:1]
    )
    entries = (
        LedgerEntry.objects.filter(account_id=invoice.account_id, kind__in=OTHER_BOOKING_KINDS, booked_on__lte=until)
        .annotate(since=Coalesce(Subquery(previous), Value(dt.date.min), output_field=DateField()))
        .filter(booked_on__gt=F("since"))
        .order_by("booked_on", "pk")
    )
    return [
        BookingView(
            date=_date(entry.booked_on),
            text=entry.text,
            reference=entry.reference,
            amount=_money(entry.amount, language),
            is_credit=entry.amount < 0,
        )
        for entry in entries
    ]


def _amount_due_label(amount: Decimal) -> str:
    return _("Your credit") if amount < 0 else _("Amount due")


def invoice_view(*, invoice: Invoice, language: str | None = None) -> InvoiceView:
    """The invoice as prepared text in `language` (default: the invoice's).
    Lines and readings: use `prefetch_related("lines", "readings")` for lists."""
    language = language or invoice.language
    with translation.override(language):
        lines = sorted(invoice.lines.all(), key=lambda line: line.position)
        readings = sorted(invoice.readings.all(), key=lambda r: (r.supply_point, r.meter_serial, r.obis, r.pk))
        supplies = _supplies(invoice, lines, readings, language)
        vat_rows = _vat_rows(lines, language)
        comparisons = _comparisons(invoice, language)
        cancels = invoice.cancels
        is_order = invoice.is_order or (cancels is not None and cancels.is_order)
        return InvoiceView(
            language=language,
            title=_title(invoice),
            number=invoice.number or "",
            kind=invoice.api_kind,
            is_credit_note=invoice.is_credit_note,
            cancels=(
                _("Cancels invoice %(number)s of %(date)s")
                % {"number": cancels.number, "date": _date(cancels.issue_date)}
                if cancels is not None
                else ""
            ),
            reason=invoice.details.get("reason", "") if invoice.is_credit_note else "",
            issue_date=_date(invoice.issue_date),
            due_date=_date(invoice.due_date),
            period=_period(invoice.period_start, invoice.period_end),
            account_number=invoice.account.number,
            supplier=_supplier(invoice),
            customer=_customer(invoice),
            amount_due_label=_amount_due_label(invoice.amount_due),
            amount_due=_money(abs(invoice.amount_due), language),
            is_credit=invoice.amount_due < 0,
            net_total=_money(invoice.net_total, language),
            vat_total=_money(invoice.vat_total, language),
            gross_total=_money(invoice.gross_total, language),
            instalments_total=_money(invoice.instalments_total, language),
            has_instalments=bool(invoice.instalments_total),
            instalments=[]
            if invoice.is_credit_note
            else [
                (_date(row["due_date"]), _money(row["amount"], language))
                for row in invoice.details.get("instalments") or []
            ],
            estimated=invoice.estimated,
            supplies=supplies,
            vat_rows=vat_rows,
            comparisons=comparisons,
            chart_svg=comparison_chart_svg(comparisons),
            steps=_steps(invoice, supplies, vat_rows, language),
            payment=_payment(invoice, language),
            arbitration_board=invoice.supplier.get("arbitration_board", ""),
            is_energy=not is_order and any(line.utility in MARKET_LOCATION_UTILITIES for line in lines),
            is_order=is_order,
            order=invoice.details.get("order", "") if is_order else "",
            order_lines=[_line(line, language) for line in lines] if is_order else [],
            other_bookings=_other_bookings(invoice, language),
        )
