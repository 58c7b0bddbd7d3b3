import datetime as dt
from decimal import Decimal

import pytest
import weasyprint
from django.utils import translation

from accounts.models import BillingPreferences, PaymentMethod
from core.formats import money_format, percent_format
from meters.models import GasConversionFactor, Utility
from supply.documents import contract_summary_pdf, contract_term
from tests.accounts.factories import AccountFactory, CustomerFactory, SepaMandateFactory
from tests.supply.factories import agreement_requested, pdf_text, tariff_make, version_add

pytestmark = pytest.mark.django_db

START = dt.date(2026, 12, 1)


def german(text) -> str:
    with translation.override("de"):
        return str(text)


def summary(agreement, *, language="de", as_of=START) -> str:
    content = contract_summary_pdf(agreement=agreement, language=language, as_of=as_of)
    assert content.startswith(b"%PDF")
    return pdf_text(content)


@pytest.fixture
def sepa_account():
    mandate = SepaMandateFactory(
        reference="OLD-MANDATE-7",
        account__customer=CustomerFactory(first_name="Erika", last_name="Mustermann"),
        account__number="100000016",
        account__street="Heidestraße",
        account__house_number="17",
        account__postcode="51147",
        account__city="Köln",
    )
    return mandate.account


def test_the_summary_holds_every_contract_content_in_german(sepa_account, settings):
    settings.COMPANY_NAME = "Stadtwerke Köln-Süd GmbH"
    settings.COMPANY_ADDRESS = "Am Werk 5, 50667 Köln"
    settings.COMPANY_HOTLINE = "0221 998877"
    settings.COMPANY_EMAIL = "kundenservice@swks.example"
    tariff = tariff_make(
        name_de="Strom Basis", standing_charge_per_year="1234.56", minimum_term_months=12, notice_period_weeks=4
    )
    version_add(
        tariff=tariff, valid_from=dt.date(2027, 3, 1), standing_charge_per_year="999.99", unit_prices={"*": "0.4"}
    )
    agreement = agreement_requested(account=sepa_account, tariff=tariff, n=5, meter_serial="1ESY1160012345")

    text = summary(agreement)

    for expected in (
        "Stadtwerke Köln-Süd GmbH",
        "Am Werk 5, 50667 Köln",
        "0221 998877",
        "kundenservice@swks.example",
        "Erika Mustermann",
        "100000016",
        "Heidestraße 17 51147 Köln",  # billing address
        "Lindenstraße 12, 10969 Berlin",  # premise
        agreement.supply_point.identifier,
        "1ESY1160012345",
        "1-0:1.8.0",
        "Strom Basis (STROM-BASIS)",
        "1. Januar 2026",
        "0,3000 €",  # price per kWh, net
        "0,3570 €",  # gross with 19 %
        "1.234,56 €",  # standing charge per year, net
        "1.469,13 €",  # gross
        "19 %",
        "1. Dezember 2026",  # start
        "30. November 2027",  # end of the minimum term = next possible end
        "2. November 2027",  # notice must reach us by
        german(BillingPreferences.Frequency.ANNUAL.label),  # no preferences saved: annual
        "SEPA-Lastschrift",
        "DE89 •••• •••• 3000",
        "OLD-MANDATE-7",
        "Schlichtungsstelle Energie e.V., Friedrichstraße 133, 10117 Berlin",
        "www.schlichtungsstelle-energie.de",
    ):
        assert expected in text, expected
    assert "0,4000 €" not in text and "999,99 €" not in text  # the later price version is not the one agreed
    assert "DE89370400440532013000" not in text


def test_the_summary_is_in_english_for_an_english_customer(sepa_account):
    agreement = agreement_requested(account=sepa_account, tariff=tariff_make(standing_charge_per_year="1234.56"))

    text = summary(agreement, language="en")

    assert "Contract summary" in text
    assert "Electricity Basic (STROM-BASIS)" in text
    assert "€0.3000" in text and "€0.3570" in text and "€1,234.56" in text
    assert "Market location id" in text
    assert "SEPA direct debit" in text
    assert "Next possible end date" in text
    assert "Nov. 30, 2027" in text


def test_register_prices_billing_preferences_and_bank_transfer_are_shown():
    account = AccountFactory(payment_method=PaymentMethod.TRANSFER)
    BillingPreferences.objects.create(account=account, frequency="MONTHLY", budget_billing=False)
    tariff = tariff_make(code="STROM-HTNT", unit_prices={"1-0:1.8.1": "0.350000", "1-0:1.8.2": "0.254321"})
    agreement = agreement_requested(
        account=account,
        tariff=tariff,
        start_reads={"1-0:1.8.1": Decimal("100"), "1-0:1.8.2": Decimal("50")},
    )

    text = summary(agreement)

    assert "1-0:1.8.1" in text and "1-0:1.8.2" in text
    assert "0,3500 €" in text and "0,4165 €" in text
    assert "0,254321 €" in text and "0,302642 €" in text  # six decimals are kept, net and gross
    assert german(BillingPreferences.Frequency.MONTHLY.label) in text
    assert german(PaymentMethod.TRANSFER.label) in text
    assert "IBAN" not in text


def test_gas_shows_the_conversion_factors_and_the_vat_rate_of_the_start_date():
    tariff = tariff_make(
        code="GAS-BASIS",
        utility=Utility.GAS,
        valid_from=dt.date(2022, 1, 1),
        standing_charge_per_year="150.00",
        unit_prices={"*": "0.100000"},
    )
    agreement = agreement_requested(
        tariff=tariff,
        as_of=dt.date(2023, 1, 10),
        start_date=dt.date(2023, 1, 1),
        start_reads={"7-0:3.0.0": Decimal("4711")},
    )
    GasConversionFactor.objects.create(
        supply_point=agreement.supply_point,
        valid_from=dt.date(2022, 10, 1),
        state_number=Decimal("0.9636"),
        calorific_value=Decimal("11.235"),
    )

    text = summary(agreement, as_of=dt.date(2023, 1, 10))

    assert "7 %" in text  # gas was taxed at 7 % from 2022-10-01 to 2024-03-31
    assert "0,1000 €" in text and "0,1070 €" in text
    assert "150,00 €" in text and "160,50 €" in text
    assert "0,9636" in text and "11,235" in text
    assert "Schlichtungsstelle Energie" in text


def test_gas_without_factors_says_the_bill_will_show_them():
    tariff = tariff_make(code="GAS-BASIS", utility=Utility.GAS, unit_prices={"*": "0.100000"})
    agreement = agreement_requested(tariff=tariff, start_reads={"7-0:3.0.0": Decimal("4711")})

    text = summary(agreement, language="en")

    assert "has not yet given the conversion factors" in text


def test_internet_shows_the_monthly_fee_and_no_meter_or_energy_arbitration():
    tariff = tariff_make(code="NET-100", utility=Utility.INTERNET, standing_charge_per_year=None, monthly_fee="1000.00")
    agreement = agreement_requested(tariff=tariff, n=9)

    text = summary(agreement)

    assert "1.000,00 €" in text and "1.190,00 €" in text
    assert "LINE-9" in text
    assert "1ESY" not in text and "1-0:1.8.0" not in text  # no meter
    assert "Schlichtungsstelle Energie" not in text


def test_the_pdf_loads_nothing_from_outside(monkeypatch, sepa_account):
    fetched = []
    monkeypatch.setattr(weasyprint.urls.URLFetcher, "fetch", lambda self, url, *args, **kw: fetched.append(url))
    agreement = agreement_requested(account=sepa_account)

    summary(agreement)

    assert fetched == []


# --- Formatting and the term ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "language", "expected"),
    [
        (Decimal("1234.56"), "de", "1.234,56 €"),
        (Decimal("1234.56"), "en", "€1,234.56"),
        (Decimal("0.3"), "de", "0,30 €"),
        (Decimal("1234567.8"), "de", "1.234.567,80 €"),
        (Decimal("0.285714"), "de", "0,285714 €"),
        (Decimal("-5.00"), "de", "-5,00 €"),
    ],
)
def test_money_is_formatted_for_the_language(amount, language, expected):
    assert money_format(amount, language=language) == expected


@pytest.mark.parametrize(
    ("rate", "language", "expected"),
    [(Decimal("0.1900"), "de", "19 %"), (Decimal("0.0700"), "en", "7%"), (Decimal("0.0550"), "de", "5,5 %")],
)
def test_vat_rates_are_shown_as_percent(rate, language, expected):
    assert percent_format(rate, language=language) == expected


@pytest.mark.parametrize(
    ("start", "months", "weeks", "as_of", "minimum_end", "next_end", "notice_by"),
    [
        # Inside the minimum term: it ends on the day before the start day, months later.
        (
            dt.date(2026, 12, 1),
            12,
            4,
            dt.date(2026, 12, 1),
            dt.date(2027, 11, 30),
            dt.date(2027, 11, 30),
            dt.date(2027, 11, 2),
        ),
        # A month without the start's day ends the term on its last day (BGB §188(3)).
        (
            dt.date(2027, 1, 31),
            1,
            2,
            dt.date(2027, 1, 31),
            dt.date(2027, 2, 28),
            dt.date(2027, 2, 28),
            dt.date(2027, 2, 14),
        ),
        (
            dt.date(2028, 3, 1),
            12,
            4,
            dt.date(2028, 3, 1),
            dt.date(2029, 2, 28),
            dt.date(2029, 2, 28),
            dt.date(2029, 1, 31),
        ),
        # After the minimum term: any day, with the notice period from today.
        (
            dt.date(2024, 1, 1),
            12,
            4,
            dt.date(2026, 6, 10),
            dt.date(2024, 12, 31),
            dt.date(2026, 7, 8),
            dt.date(2026, 6, 10),
        ),
        # Too late for the minimum term's end: notice from today.
        (
            dt.date(2026, 1, 1),
            12,
            6,
            dt.date(2026, 12, 1),
            dt.date(2026, 12, 31),
            dt.date(2027, 1, 12),
            dt.date(2026, 12, 1),
        ),
        # No minimum term.
        (dt.date(2026, 12, 1), 0, 2, dt.date(2026, 11, 20), None, dt.date(2026, 12, 15), dt.date(2026, 12, 1)),
    ],
)
def test_the_next_possible_end_date(start, months, weeks, as_of, minimum_end, next_end, notice_by):
    term = contract_term(start_date=start, minimum_term_months=months, notice_period_weeks=weeks, as_of=as_of)

    assert (term.minimum_term_end, term.next_end, term.notice_by) == (minimum_end, next_end, notice_by)
