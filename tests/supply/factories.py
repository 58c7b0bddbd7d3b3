"""Tariffs and service agreements for tests, built through the real services
where a service exists (supply set-up, confirmation, import)."""

import datetime as dt
import io
import re
from decimal import Decimal

from pypdf import PdfReader

from accounts.models import Account
from meters.identifiers import market_location_check_digit
from meters.models import Utility
from meters.services import PremiseData
from supply.models import ServiceAgreement, Tariff, TariffPrice, TariffVersion
from supply.services.agreements import SupplyRequest, agreement_confirm, supply_import, supply_setup_submit
from tests.accounts.factories import AccountFactory

PREMISE = PremiseData(street="Lindenstraße", house_number="12", postcode="10969", city="Berlin")


def market_location_id(n: int) -> str:
    """A valid market location id (11 digits, BDEW check digit) for any n."""
    first_ten = f"5{n:09d}"
    return f"{first_ten}{market_location_check_digit(first_ten)}"


def tariff_make(
    *,
    code: str = "STROM-BASIS",
    utility: str = Utility.ELECTRICITY,
    customer_type: str = "HOUSEHOLD",
    name_de: str = "Strom Basis",
    name_en: str = "Electricity Basic",
    valid_from: dt.date = dt.date(2026, 1, 1),
    standing_charge_per_year: str | None = "120.00",
    monthly_fee: str | None = None,
    unit_prices: dict[str, str] | None = None,
    minimum_term_months: int = 12,
    notice_period_weeks: int = 4,
    is_offered: bool = True,
) -> Tariff:
    tariff = Tariff.objects.create(
        code=code,
        name_de=name_de,
        name_en=name_en,
        utility=utility,
        customer_type=customer_type,
        minimum_term_months=minimum_term_months,
        notice_period_weeks=notice_period_weeks,
        is_offered=is_offered,
    )
    version_add(
        tariff=tariff,
        valid_from=valid_from,
        standing_charge_per_year=standing_charge_per_year,
        monthly_fee=monthly_fee,
        unit_prices={"*": "0.300000"} if unit_prices is None and utility != Utility.INTERNET else unit_prices or {},
    )
    return tariff


def version_add(
    *,
    tariff: Tariff,
    valid_from: dt.date,
    standing_charge_per_year: str | None = "120.00",
    monthly_fee: str | None = None,
    unit_prices: dict[str, str],
) -> TariffVersion:
    version = TariffVersion.objects.create(
        tariff=tariff,
        valid_from=valid_from,
        standing_charge_per_year=Decimal(standing_charge_per_year) if standing_charge_per_year else None,
        monthly_fee=Decimal(monthly_fee) if monthly_fee else None,
    )
    for obis, price in unit_prices.items():
        TariffPrice.objects.create(version=version, obis=obis, unit_price=Decimal(price))
    return version


def request_for(
    tariff: Tariff,
    *,
    n: int = 1,
    start_date: dt.date = dt.date(2026, 12, 1),
    meter_serial: str | None = None,
    start_reads: dict[str, Decimal] | None = None,
    expected_annual_consumption: Decimal | None = Decimal("2500"),
) -> SupplyRequest:
    metered = tariff.utility != Utility.INTERNET
    identifier = market_location_id(n) if tariff.utility in (Utility.ELECTRICITY, Utility.GAS) else f"LINE-{n}"
    return SupplyRequest(
        utility=tariff.utility,
        supply_point_id=identifier,
        tariff=tariff,
        start_date=start_date,
        start_reason="MOVE_IN",
        meter_serial=(meter_serial or f"1ESY{n:08d}") if metered else "",
        start_reads=start_reads if start_reads is not None else ({"1-0:1.8.0": Decimal("1234.5")} if metered else {}),
        expected_annual_consumption=expected_annual_consumption if metered else None,
    )


def agreement_requested(
    *,
    account: Account | None = None,
    tariff: Tariff | None = None,
    as_of: dt.date = dt.date(2026, 11, 27),
    **request_options,
) -> ServiceAgreement:
    account = account or AccountFactory()
    tariff = tariff or Tariff.objects.filter(code="STROM-BASIS").first() or tariff_make()
    (agreement,) = supply_setup_submit(
        account=account, premise=PREMISE, requests=[request_for(tariff, **request_options)], as_of=as_of
    )
    return agreement


def supplied(
    n: int = 1,
    *,
    account: Account | None = None,
    start_date: dt.date = dt.date(2026, 1, 1),
    start_read: str = "1000",
    annual: str | None = "3650",
    utility: str = Utility.ELECTRICITY,
    as_of: dt.date | None = None,
    language: str = "en",
) -> ServiceAgreement:
    """An ACTIVE supply imported with its start read (electricity unless told)."""
    code = {Utility.ELECTRICITY: "STROM-BASIS", Utility.GAS: "GAS-BASIS", Utility.WATER: "WASSER"}[utility]
    tariff = Tariff.objects.filter(code=code).first() or tariff_make(code=code, utility=utility)
    obis = {Utility.ELECTRICITY: "1-0:1.8.0", Utility.GAS: "7-0:3.0.0", Utility.WATER: "8-0:1.0.0"}[utility]
    request = request_for(
        tariff,
        n=n,
        start_date=start_date,
        start_reads={obis: Decimal(start_read)},
        expected_annual_consumption=Decimal(annual) if annual else None,
    )
    return supply_import(
        account=account or AccountFactory(customer__language=language),
        premise=PREMISE,
        request=request,
        as_of=as_of or start_date,
    )


def agreement_confirmed(**options) -> ServiceAgreement:
    return agreement_confirm(agreement=agreement_requested(**options))


def pdf_text(content: bytes) -> str:
    """The text of every page of a PDF, whitespace collapsed; a word broken
    after its hyphen at a line end (e.g. a web address) is joined again."""
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    return re.sub(r"(?<=\w)- (?=[a-z])", "-", text)
