"""Loading what bills need, for many accounts at once.

A bill run handles accounts in chunks; `inputs_load` reads everything a chunk
needs in a fixed number of queries (accounts, preferences, agreements,
registers, reads, prices, VAT rates, gas factors, the previous bills), so
that billing one account and billing 100,000 run the same code."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max

from accounts.models import Account, BillingPreferences
from billing.calculation import GasFactors, PriceVersion
from billing.models import Instalment, Invoice, InvoiceReading
from core import clock
from meters.models import GasConversionFactor, Read, Register
from meters.readings import COUNTED_QUALITIES, READ_ROW_FIELDS, ReadRow
from supply.models import ServiceAgreement, TariffVersion, VatRate
from supply.services.termination import takes_final_read

# Reads loaded before the earliest period start: a year of history for
# estimates plus a margin for the last read before the period.
READS_BEFORE_DAYS = 400
BILLABLE_STATES = (
    ServiceAgreement.Status.ACTIVE,
    ServiceAgreement.Status.ENDING,
    ServiceAgreement.Status.ENDED,
)


@dataclass(frozen=True)
class PreviousBill:
    invoice_id: int
    period_start: dt.date
    period_end: dt.date
    gross_total: Decimal
    # (meter serial, OBIS) -> (end value, how it was obtained, who read it)
    end_values: dict[tuple[str, str], tuple[Decimal, str, str]]


@dataclass
class AccountInputs:
    account: Account
    preferences: BillingPreferences
    agreements: list[ServiceAgreement]
    previous: PreviousBill | None
    # supply point id -> registers (with their meter)
    registers: dict[int, list[Register]] = field(default_factory=dict)
    instalments: list[Instalment] = field(default_factory=list)
    # Agreements with an end date whose every register has its final read
    # (actual or estimated) at 00:00 of the day after the end date.
    final_reads_in: set[int] = field(default_factory=set)


@dataclass
class SharedInputs:
    """Reference data for a chunk: prices, VAT rates, gas factors, reads."""

    versions: dict[int, list[tuple[int, PriceVersion]]]
    vat_rates: dict[str, list[tuple[dt.date, Decimal]]]
    gas_factors: list[GasConversionFactor]
    reads: dict[int, list[ReadRow]]

    def vat_between(self, utility: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, Decimal]]:
        rates = self.vat_rates.get(utility, [])
        in_force = [rate for rate in rates if rate[0] <= start][-1:]
        return in_force + [rate for rate in rates if start < rate[0] <= end]

    def versions_between(self, tariff_id: int, start: dt.date, end: dt.date) -> list[PriceVersion]:
        versions = [version for _pk, version in self.versions.get(tariff_id, [])]
        in_force = [version for version in versions if version.valid_from <= start][-1:]
        return in_force + [version for version in versions if start < version.valid_from <= end]

    def version_ids(self, tariff_id: int) -> dict[dt.date, int]:
        return {version.valid_from: pk for pk, version in self.versions.get(tariff_id, [])}

    def gas_factors_on(self, *, supply_point_id: int, network_area: str, day: dt.date) -> GasFactors | None:
        """The supply point's own factors valid on `day`, else its network area's."""

        def latest(rows):
            rows = [row for row in rows if row.valid_from <= day]
            return max(rows, key=lambda row: (row.valid_from, row.pk), default=None)

        own = latest(row for row in self.gas_factors if row.supply_point_id == supply_point_id)
        if own is None and network_area:
            own = latest(
                row for row in self.gas_factors if row.supply_point_id is None and row.network_area == network_area
            )
        return GasFactors(own.state_number, own.calorific_value) if own is not None else None


def _previous_bills(account_ids: list[int]) -> dict[int, PreviousBill]:
    live = Invoice.objects.filter(
        account_id__in=account_ids, status__in=Invoice.LIVE_STATES, kind__in=Invoice.BILL_KINDS
    )
    latest = dict(live.values("account_id").annotate(last=Max("period_start")).values_list("account_id", "last"))
    if not latest:
        return {}
    rows = [
        row
        for row in live.filter(period_start__in=set(latest.values())).values(
            "id", "account_id", "period_start", "period_end", "gross_total"
        )
        if latest.get(row["account_id"]) == row["period_start"]
    ]
    ends: dict[int, dict[tuple[str, str], tuple[Decimal, str, str]]] = defaultdict(dict)
    for invoice_id, serial, obis, value, method, source in InvoiceReading.objects.filter(
        invoice_id__in=[row["id"] for row in rows]
    ).values_list("invoice_id", "meter_serial", "obis", "end_value", "end_method", "end_source"):
        ends[invoice_id][(serial, obis)] = (value, method, source)
    return {
        row["account_id"]: PreviousBill(
            row["id"], row["period_start"], row["period_end"], row["gross_total"], ends.get(row["id"], {})
        )
        for row in rows
    }


def inputs_load(*, account_ids: list[int]) -> dict[int, AccountInputs]:
    """Everything about the accounts that bills need (except reads and prices: `shared_load`)."""
    accounts = Account.objects.filter(pk__in=account_ids).select_related("customer")
    preferences = {p.account_id: p for p in BillingPreferences.objects.filter(account_id__in=account_ids)}
    agreements: dict[int, list[ServiceAgreement]] = defaultdict(list)
    for agreement in (
        ServiceAgreement.objects.filter(account_id__in=account_ids, status__in=BILLABLE_STATES)
        .select_related("supply_point__premise", "tariff")
        .order_by("start_date", "id")
    ):
        agreements[agreement.account_id].append(agreement)
    previous = _previous_bills(account_ids)
    supply_point_ids = {a.supply_point_id for rows in agreements.values() for a in rows}
    registers: dict[int, list[Register]] = defaultdict(list)
    for register in (
        Register.objects.filter(meter__supply_point_id__in=supply_point_ids)
        .select_related("meter")
        .order_by("meter__installed_on", "meter_id", "obis", "id")
    ):
        registers[register.meter.supply_point_id].append(register)
    instalments: dict[int, list[Instalment]] = defaultdict(list)
    for instalment in Instalment.objects.filter(account_id__in=account_ids, settled_by__isnull=True).order_by(
        "due_date", "id"
    ):
        instalments[instalment.account_id].append(instalment)
    final_reads_in = _final_reads_in([a for rows in agreements.values() for a in rows], registers)
    result = {}
    for account in accounts:
        own = agreements.get(account.pk, [])
        result[account.pk] = AccountInputs(
            account=account,
            preferences=preferences.get(account.pk) or BillingPreferences(account=account),
            agreements=own,
            previous=previous.get(account.pk),
            registers={a.supply_point_id: registers.get(a.supply_point_id, []) for a in own},
            instalments=instalments.get(account.pk, []),
            final_reads_in={a.pk for a in own if a.pk in final_reads_in},
        )
    return result


def _final_reads_in(agreements: list[ServiceAgreement], registers: dict[int, list[Register]]) -> set[int]:
    """The agreements with an end date whose final reads are all in, in one query."""
    wanted: dict[int, list[tuple[int, dt.datetime]]] = {}
    for agreement in agreements:
        if agreement.end_date is None:
            continue
        moment = clock.start_of_day(agreement.end_date + dt.timedelta(days=1))
        wanted[agreement.pk] = [
            (register.pk, moment)
            for register in registers.get(agreement.supply_point_id, [])
            if takes_final_read(register, end_date=agreement.end_date)
        ]
    pairs = {pair for rows in wanted.values() for pair in rows}
    found: set[tuple[int, dt.datetime]] = set()
    if pairs:
        found = set(
            Read.objects.filter(
                register_id__in={register_id for register_id, _moment in pairs},
                taken_at__in={moment for _register_id, moment in pairs},
                quality__in=COUNTED_QUALITIES,
            ).values_list("register_id", "taken_at")
        )
    return {pk for pk, rows in wanted.items() if all(pair in found for pair in rows)}


def shared_load(*, inputs: dict[int, AccountInputs], reads_from: dt.datetime) -> SharedInputs:
    """Prices, VAT rates and gas factors for the chunk, and the counted reads
    of its registers from `reads_from` on."""
    tariff_ids = {a.tariff_id for item in inputs.values() for a in item.agreements}
    versions: dict[int, list[tuple[int, PriceVersion]]] = defaultdict(list)
    for version in (
        TariffVersion.objects.filter(tariff_id__in=tariff_ids).prefetch_related("prices").order_by("valid_from", "id")
    ):
        versions[version.tariff_id].append(
            (
                version.pk,
                PriceVersion(
                    valid_from=version.valid_from,
                    standing_charge_per_year=version.standing_charge_per_year,
                    monthly_fee=version.monthly_fee,
                    unit_prices={price.obis: price.unit_price for price in version.prices.all()},
                ),
            )
        )
    vat_rates: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for utility, valid_from, rate in VatRate.objects.order_by("valid_from", "id").values_list(
        "utility", "valid_from", "rate"
    ):
        vat_rates[utility].append((valid_from, rate))
    supply_points = {
        a.supply_point for item in inputs.values() for a in item.agreements if a.supply_point.utility == "GAS"
    }
    gas_factors = []
    if supply_points:
        areas = {sp.network_area for sp in supply_points if sp.network_area}
        gas_factors = list(
            GasConversionFactor.objects.filter(supply_point__in=supply_points)
            | GasConversionFactor.objects.filter(supply_point__isnull=True, network_area__in=areas)
        )
    register_ids = [r.pk for item in inputs.values() for rows in item.registers.values() for r in rows]
    reads: dict[int, list[ReadRow]] = defaultdict(list)
    if register_ids:
        for register_id, *values in (
            Read.objects.filter(register_id__in=register_ids, quality__in=COUNTED_QUALITIES, taken_at__gte=reads_from)
            .order_by("register_id", "taken_at", "id")
            .values_list("register_id", *READ_ROW_FIELDS)
        ):
            reads[register_id].append(ReadRow(*values))
    return SharedInputs(versions=versions, vat_rates=vat_rates, gas_factors=gas_factors, reads=reads)
