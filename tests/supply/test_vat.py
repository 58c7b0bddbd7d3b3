"""VAT rates by utility and date: the German defaults seeded by migration."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from meters.models import Utility
from supply.models import VatRate
from supply.services.tariffs import NoVatRateOnDate, vat_rate_on

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (dt.date(2022, 9, 30), "0.19"),
        (dt.date(2022, 10, 1), "0.07"),
        (dt.date(2023, 6, 15), "0.07"),
        (dt.date(2024, 3, 31), "0.07"),
        (dt.date(2024, 4, 1), "0.19"),
        (dt.date(2026, 11, 27), "0.19"),
    ],
)
def test_gas_was_taxed_at_7_percent_from_october_2022_to_march_2024(day, rate):
    assert vat_rate_on(utility=Utility.GAS, day=day) == Decimal(rate)


@pytest.mark.parametrize(
    ("utility", "rate"),
    [(Utility.ELECTRICITY, "0.19"), (Utility.GAS, "0.19"), (Utility.WATER, "0.07"), (Utility.INTERNET, "0.19")],
)
def test_todays_rates(utility, rate):
    assert vat_rate_on(utility=utility, day=dt.date(2026, 11, 27)) == Decimal(rate)


@pytest.mark.parametrize(
    ("utility", "day", "rate"),
    [
        (Utility.ELECTRICITY, dt.date(2020, 6, 30), "0.19"),
        (Utility.ELECTRICITY, dt.date(2020, 7, 1), "0.16"),
        (Utility.ELECTRICITY, dt.date(2020, 12, 31), "0.16"),
        (Utility.ELECTRICITY, dt.date(2021, 1, 1), "0.19"),
        (Utility.WATER, dt.date(2020, 7, 1), "0.05"),
        (Utility.WATER, dt.date(2021, 1, 1), "0.07"),
    ],
)
def test_the_temporary_cut_in_the_second_half_of_2020(utility, day, rate):
    assert vat_rate_on(utility=utility, day=day) == Decimal(rate)


def test_no_rate_before_the_first_one_is_an_error():
    with pytest.raises(NoVatRateOnDate):
        vat_rate_on(utility=Utility.ELECTRICITY, day=dt.date(2006, 12, 31))


def test_a_new_rate_applies_from_its_date():
    VatRate.objects.create(utility=Utility.ELECTRICITY, valid_from=dt.date(2027, 1, 1), rate=Decimal("0.0700"))

    assert vat_rate_on(utility=Utility.ELECTRICITY, day=dt.date(2026, 12, 31)) == Decimal("0.19")
    assert vat_rate_on(utility=Utility.ELECTRICITY, day=dt.date(2027, 1, 1)) == Decimal("0.07")
    assert vat_rate_on(utility=Utility.GAS, day=dt.date(2027, 1, 1)) == Decimal("0.19")


def test_two_rates_for_one_utility_and_date_are_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        VatRate.objects.create(utility=Utility.GAS, valid_from=dt.date(2024, 4, 1), rate=Decimal("0.1000"))


@pytest.mark.parametrize("rate", ["-0.0100", "1.0000"])
def test_a_rate_outside_0_to_100_percent_is_refused_by_the_database(rate):
    with pytest.raises(IntegrityError), transaction.atomic():
        VatRate.objects.create(utility=Utility.GAS, valid_from=dt.date(2030, 1, 1), rate=Decimal(rate))
