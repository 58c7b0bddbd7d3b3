"""Customer documents as PDF (WeasyPrint): the contract summary that goes
with the welcome mail when supply starts.

The template gets prepared text only (amounts already formatted for the
customer's language, German style for de: 1.234,56 €), so it holds no
arithmetic. The PDF has no external resources: the stylesheet is read from
the template directory and the fonts are the system's (DejaVu).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _

from accounts.models import BillingPreferences, SepaMandate
from core.formats import money_format, percent_format, quantity_format
from core.money import CENT, round_money
from meters.models import MARKET_LOCATION_UTILITIES, Meter, Register, Unit, Utility
from meters.queries import gas_factors_on
from supply.models import ServiceAgreement, TariffVersion
from supply.services.tariffs import unit_price, vat_rate_on, version_on, yearly_estimate

TEMPLATE = "supply/documents/contract_summary.html"
# Unit prices are shown with at least four decimals (a hundredth of a cent).
UNIT_PRICE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class PriceRow:
    label: str
    net: str
    gross: str


@dataclass(frozen=True)
class Term:
    minimum_term_months: int
    minimum_term_end: dt.date | None
    notice_period_weeks: int
    next_end: dt.date
    notice_by: dt.date


def _unit_price_shown(price: Decimal) -> Decimal:
    """At least four decimals, more only where the price has them."""
    shown = price.quantize(UNIT_PRICE_PLACES)
    return shown if shown == price else price.normalize()


def _minimum_term_end(start: dt.date, months: int) -> dt.date:
    """The last day of a term of `months` from `start` (BGB §188): the day
    before the start's day of the month, `months` later; where that month is
    too short, its last day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    if start.day > last_day:
        return dt.date(year, month, last_day)
    return dt.date(year, month, start.day) - dt.timedelta(days=1)


def contract_term(*, start_date: dt.date, minimum_term_months: int, notice_period_weeks: int, as_of: dt.date) -> Term:
    """The minimum term runs from the start date for the given months; after
    it the contract can end on any day with the notice period. The next possible end is the later of
    the minimum term's end and the end of a notice given on `as_of` (or on the
    start date, if supply has not started yet)."""
    notice = dt.timedelta(weeks=notice_period_weeks)
    minimum_end = _minimum_term_end(start_date, minimum_term_months) if minimum_term_months else None
    earliest_by_notice = max(as_of, start_date) + notice
    next_end = max(minimum_end, earliest_by_notice) if minimum_end else earliest_by_notice
    return Term(
        minimum_term_months=minimum_term_months,
        minimum_term_end=minimum_end,
        notice_period_weeks=notice_period_weeks,
        next_end=next_end,
        notice_by=next_end - notice,
    )


def _billed_unit(utility: str) -> str:
    """The unit prices are per: kWh for electricity and gas (gas meters count
    m³, converted with the state number and calorific value), m³ for water."""
    return str(Unit.M3.label if utility == Utility.WATER else Unit.KWH.label)


def _price_rows(
    *, agreement: ServiceAgreement, version: TariffVersion, registers: list[Register], rate: Decimal, language: str
) -> list[PriceRow]:
    def row(label: str, net: Decimal, places: Decimal) -> PriceRow:
        gross = round_money(net * (1 + rate), places=places)
        return PriceRow(
            label=label, net=money_format(net, language=language), gross=money_format(gross, language=language)
        )

    if agreement.supply_point.utility == Utility.INTERNET:
        return [row(_("Monthly fee"), version.monthly_fee or Decimal("0.00"), CENT)]
    rows = []
    unit = _billed_unit(agreement.supply_point.utility)
    for register in registers:
        price = _unit_price_shown(unit_price(version=version, obis=register.obis))
        places = Decimal(1).scaleb(price.as_tuple().exponent)
        rows.append(
            row(
                _("Price per %(unit)s (register %(obis)s)") % {"unit": unit, "obis": register.obis},
                price,
                places,
            )
        )
    rows.append(row(_("Standing charge per year"), version.standing_charge_per_year or Decimal("0.00"), CENT))
    return rows


def _current_meter(agreement: ServiceAgreement) -> Meter | None:
    return (
        Meter.objects.filter(supply_point=agreement.supply_point, removed_on__isnull=True)
        .prefetch_related("registers")
        .order_by("-installed_on", "-id")
        .first()
    )


def _payment(agreement: ServiceAgreement) -> dict[str, str]:
    account = agreement.account
    if not account.pays_by_direct_debit:
        return {"method": account.get_payment_method_display()}
    mandate = account.mandates.filter(status=SepaMandate.Status.ACTIVE).order_by("-created_at", "-id").first()
    if mandate is None:
        return {"method": account.get_payment_method_display()}
    return {
        "method": account.get_payment_method_display(),
        "iban": mandate.masked_iban,
        "mandate_reference": mandate.reference,
        "creditor_id": mandate.creditor_id,
    }


def _billing(agreement: ServiceAgreement) -> BillingPreferences:
    preferences = BillingPreferences.objects.filter(account=agreement.account).first()
    return preferences or BillingPreferences(account=agreement.account)


def _context(*, agreement: ServiceAgreement, language: str, as_of: dt.date) -> dict:
    supply_point = agreement.supply_point
    tariff = agreement.tariff
    start = agreement.start_date
    version = version_on(tariff=tariff, day=start)
    rate = vat_rate_on(utility=tariff.utility, day=start)
    meter = _current_meter(agreement)
    registers = sorted(meter.registers.all(), key=lambda register: (register.obis, register.pk)) if meter else []
    estimate = None
    if agreement.expected_annual_consumption is not None and supply_point.utility != Utility.INTERNET:
        yearly = yearly_estimate(tariff=tariff, consumption=agreement.expected_annual_consumption, day=start)
        estimate = {
            "consumption": quantity_format(agreement.expected_annual_consumption),
            "unit": _billed_unit(supply_point.utility),
            "net": money_format(yearly.net, language=language),
            "gross": money_format(yearly.gross, language=language),
        }
    gas = None
    if supply_point.utility == Utility.GAS:
        factors = gas_factors_on(supply_point=supply_point, day=start)
        if factors is not None:
            gas = {
                "state_number": formats.number_format(factors.state_number, use_l10n=True),
                "calorific_value": formats.number_format(factors.calorific_value, use_l10n=True),
                "valid_from": factors.valid_from,
            }
    preferences = _billing(agreement)
    return {
        "language": language,
        "as_of": as_of,
        "company": {
            "name": settings.COMPANY_NAME,
            "address": settings.COMPANY_ADDRESS,
            "hotline": settings.COMPANY_HOTLINE,
            "email": settings.COMPANY_EMAIL,
        },
        "customer": agreement.account.customer,
        "account": agreement.account,
        "agreement": agreement,
        "supply_point": supply_point,
        "is_market_location": supply_point.utility in MARKET_LOCATION_UTILITIES,
        "is_energy": supply_point.utility in (Utility.ELECTRICITY, Utility.GAS),
        "is_internet": supply_point.utility == Utility.INTERNET,
        "meter": meter,
        "registers": registers,
        "tariff_name": tariff.name_in(language),
        "tariff": tariff,
        "price_valid_from": version.valid_from,
        "vat_rate": percent_format(rate, language=language),
        "price_change_notice_weeks": settings.PRICE_CHANGE_NOTICE_WEEKS,
        "prices": _price_rows(agreement=agreement, version=version, registers=registers, rate=rate, language=language),
        "estimate": estimate,
        "term": contract_term(
            start_date=start,
            minimum_term_months=tariff.minimum_term_months,
            notice_period_weeks=tariff.notice_period_weeks,
            as_of=as_of,
        ),
        "billing": preferences,
        "payment": _payment(agreement),
        "gas": gas,
    }


def contract_summary_pdf(*, agreement: ServiceAgreement, language: str, as_of: dt.date) -> bytes:
    """The contract summary for `agreement` as an A4 PDF in `language`:
    supplier, customer and account, premise and supply point, meter and
    registers, tariff with net and gross prices valid on the start date and
    the VAT rate, term and notice with the next possible end date, billing
    frequency and budget billing, payment method, gas conversion factors,
    consumer rights and (energy) the arbitration board."""
    with translation.override(language):
        html = render_to_string(TEMPLATE, _context(agreement=agreement, language=language, as_of=as_of))
    import weasyprint  # loaded when a PDF is made, not at start-up

    return weasyprint.HTML(string=html).write_pdf()
