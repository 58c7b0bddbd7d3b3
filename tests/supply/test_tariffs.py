"""Tariff versions by date, register prices, adding a version (checks, the
notice rule, price-change notices) and the offer's yearly estimate."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import translation

from core.models import OutboxMessage
from meters.models import Utility
from supply.models import ServiceAgreement, TariffPrice, TariffVersion
from supply.services.agreements import supply_import
from supply.services.tariffs import (
    NoPriceOnDate,
    PriceChangeTooSoon,
    TariffVersionRefused,
    tariff_version_add,
    unit_price,
    version_on,
    yearly_estimate,
)
from tests.accounts.factories import AccountFactory, CustomerFactory
from tests.supply.factories import PREMISE, market_location_id, request_for, tariff_make, version_add

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 27)
# Six weeks after AS_OF: the first day new prices may apply to customers already supplied.
EARLIEST = dt.date(2027, 1, 8)


def supplied(tariff, *, account=None, n=1, status=ServiceAgreement.Status.ACTIVE) -> ServiceAgreement:
    """An agreement under `tariff` (imported as ACTIVE, then put into `status`)."""
    agreement = supply_import(
        account=account or AccountFactory(),
        premise=PREMISE,
        request=request_for(tariff, n=n, start_date=dt.date(2026, 1, 1)),
        as_of=AS_OF,
    )
    if status != ServiceAgreement.Status.ACTIVE:
        ServiceAgreement.objects.filter(pk=agreement.pk).update(status=status)
    return agreement


def notices() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template="price_change_notice").order_by("id"))


# --- Version and price selection ------------------------------------------------


def test_no_version_before_the_first_one_starts():
    tariff = tariff_make(valid_from=dt.date(2026, 1, 1))

    with pytest.raises(NoPriceOnDate):
        version_on(tariff=tariff, day=dt.date(2025, 12, 31))


def test_the_version_in_force_is_the_latest_one_started_on_or_before_the_day():
    tariff = tariff_make(valid_from=dt.date(2026, 1, 1), unit_prices={"*": "0.300000"})
    version_add(tariff=tariff, valid_from=dt.date(2026, 7, 1), unit_prices={"*": "0.320000"})

    def price_on(day):
        return unit_price(version=version_on(tariff=tariff, day=day), obis="1-0:1.8.0")

    assert price_on(dt.date(2026, 1, 1)) == Decimal("0.300000")
    assert price_on(dt.date(2026, 6, 30)) == Decimal("0.300000")
    assert price_on(dt.date(2026, 7, 1)) == Decimal("0.320000")
    assert price_on(dt.date(2030, 1, 1)) == Decimal("0.320000")


def test_a_register_price_beats_the_price_for_every_register():
    tariff = tariff_make(unit_prices={"*": "0.300000", "1-0:1.8.1": "0.320000", "1-0:1.8.2": "0.240000"})
    version = version_on(tariff=tariff, day=dt.date(2026, 3, 1))

    assert unit_price(version=version, obis="1-0:1.8.1") == Decimal("0.320000")
    assert unit_price(version=version, obis="1-0:1.8.2") == Decimal("0.240000")
    assert unit_price(version=version, obis="1-0:1.8.0") == Decimal("0.300000")


def test_a_register_without_its_own_price_and_no_star_price_has_no_price():
    tariff = tariff_make(unit_prices={"1-0:1.8.1": "0.320000", "1-0:1.8.2": "0.240000"})
    version = version_on(tariff=tariff, day=dt.date(2026, 3, 1))

    with pytest.raises(NoPriceOnDate):
        unit_price(version=version, obis="1-0:1.8.0")


# --- Adding a version: the checks -----------------------------------------------


def test_a_version_is_added_with_its_prices():
    tariff = tariff_make()

    version = tariff_version_add(
        tariff=tariff,
        valid_from=dt.date(2027, 3, 1),
        standing_charge_per_year=Decimal("132.00"),
        unit_prices={"*": Decimal("0.3125"), "1-0:1.8.2": Decimal("0.254321")},
        as_of=AS_OF,
    )

    assert version.standing_charge_per_year == Decimal("132.00")
    assert {p.obis: p.unit_price for p in version.prices.all()} == {
        "*": Decimal("0.312500"),
        "1-0:1.8.2": Decimal("0.254321"),
    }
    assert version_on(tariff=tariff, day=dt.date(2027, 3, 1)) == version


def test_a_second_version_on_the_same_date_is_refused_by_the_service():
    tariff = tariff_make(valid_from=dt.date(2026, 1, 1))

    with pytest.raises(TariffVersionRefused, match="overlapping versions are refused") as refused:
        tariff_version_add(
            tariff=tariff,
            valid_from=dt.date(2026, 1, 1),
            standing_charge_per_year=Decimal("99.00"),
            unit_prices={"*": Decimal("0.1")},
            as_of=AS_OF,
        )

    assert refused.value.field == "valid_from"
    assert TariffVersion.objects.filter(tariff=tariff).count() == 1


def test_a_second_version_on_the_same_date_is_refused_by_the_database():
    tariff = tariff_make(valid_from=dt.date(2026, 1, 1))

    with pytest.raises(IntegrityError), transaction.atomic():
        TariffVersion.objects.create(tariff=tariff, valid_from=dt.date(2026, 1, 1), standing_charge_per_year=1)


def test_a_negative_unit_price_is_refused_by_the_database():
    version = version_on(tariff=tariff_make(), day=dt.date(2026, 1, 1))

    with pytest.raises(IntegrityError), transaction.atomic():
        TariffPrice.objects.create(version=version, obis="1-0:1.8.1", unit_price=Decimal("-0.01"))


@pytest.mark.parametrize(
    ("utility", "amounts", "field", "message"),
    [
        (Utility.INTERNET, {"unit_prices": {}}, "monthly_fee", "needs a monthly fee"),
        (
            Utility.INTERNET,
            {"monthly_fee": Decimal("30.00"), "unit_prices": {"*": Decimal("0.1")}},
            "unit_prices",
            "no prices per unit",
        ),
        (
            Utility.INTERNET,
            {"monthly_fee": Decimal("30.00"), "standing_charge_per_year": Decimal("1.00"), "unit_prices": {}},
            "standing_charge_per_year",
            "not a standing charge",
        ),
        (Utility.ELECTRICITY, {"unit_prices": {"*": Decimal("0.3")}}, "standing_charge_per_year", "standing charge"),
        (
            Utility.ELECTRICITY,
            {"standing_charge_per_year": Decimal("120"), "unit_prices": {}},
            "unit_prices",
            "at least one",
        ),
        (
            Utility.GAS,
            {
                "standing_charge_per_year": Decimal("120"),
                "monthly_fee": Decimal("10"),
                "unit_prices": {"*": Decimal("0.1")},
            },
            "monthly_fee",
            "not a monthly fee",
        ),
        (
            Utility.WATER,
            {"standing_charge_per_year": Decimal("120"), "unit_prices": {"*": Decimal("-0.01")}},
            "unit_prices",
            "must not be negative",
        ),
        (
            Utility.ELECTRICITY,
            {"standing_charge_per_year": Decimal("120"), "unit_prices": {"*": Decimal("0.3000001")}},
            "unit_prices",
            "at most 6 decimals",
        ),
        (
            Utility.ELECTRICITY,
            {"standing_charge_per_year": Decimal("120.001"), "unit_prices": {"*": Decimal("0.3")}},
            "standing_charge_per_year",
            "at most 2 decimals",
        ),
        (
            Utility.ELECTRICITY,
            {"standing_charge_per_year": Decimal("-1"), "unit_prices": {"*": Decimal("0.3")}},
            "standing_charge_per_year",
            "must not be negative",
        ),
        (
            Utility.ELECTRICITY,
            {"standing_charge_per_year": Decimal("120"), "unit_prices": {"HT": Decimal("0.3")}},
            "unit_prices",
            "is not a register",
        ),
        (
            Utility.ELECTRICITY,
            {"standing_charge_per_year": Decimal("120"), "unit_prices": {"*": Decimal("NaN")}},
            "unit_prices",
            "must be a number",
        ),
        (
            Utility.ELECTRICITY,
            {"standing_charge_per_year": Decimal("120"), "unit_prices": {"*": Decimal("1000000")}},
            "unit_prices",
            "too large",
        ),
    ],
)
def test_a_version_with_the_wrong_prices_for_its_utility_is_refused(utility, amounts, field, message):
    tariff = tariff_make(
        code="T",
        utility=utility,
        standing_charge_per_year=None if utility == Utility.INTERNET else "100.00",
        monthly_fee="30.00" if utility == Utility.INTERNET else None,
    )

    with pytest.raises(TariffVersionRefused, match=message) as refused:
        tariff_version_add(tariff=tariff, valid_from=dt.date(2027, 6, 1), as_of=AS_OF, **amounts)

    assert refused.value.field == field
    assert TariffVersion.objects.filter(tariff=tariff).count() == 1


# --- The notice rule ------------------------------------------------------------


def test_new_prices_inside_the_notice_period_are_refused_with_the_earliest_date():
    tariff = tariff_make()
    supplied(tariff)

    with translation.override("en"), pytest.raises(PriceChangeTooSoon) as refused:
        tariff_version_add(
            tariff=tariff,
            valid_from=EARLIEST - dt.timedelta(days=1),
            standing_charge_per_year=Decimal("130.00"),
            unit_prices={"*": Decimal("0.35")},
            as_of=AS_OF,
        )

    assert refused.value.earliest == EARLIEST
    assert refused.value.field == "valid_from"
    assert "6 weeks ahead" in str(refused.value)
    assert "Jan. 8, 2027" in str(refused.value)
    assert TariffVersion.objects.filter(tariff=tariff).count() == 1
    assert notices() == []


def test_the_notice_message_is_translated():
    tariff = tariff_make()
    supplied(tariff)

    with translation.override("de"), pytest.raises(PriceChangeTooSoon) as refused:
        tariff_version_add(
            tariff=tariff,
            valid_from=AS_OF,
            standing_charge_per_year=Decimal("130.00"),
            unit_prices={"*": Decimal("0.35")},
            as_of=AS_OF,
        )

    assert "8. Januar 2027" in str(refused.value)


def test_new_prices_exactly_at_the_end_of_the_notice_period_are_allowed():
    tariff = tariff_make()
    supplied(tariff)

    version = tariff_version_add(
        tariff=tariff,
        valid_from=EARLIEST,
        standing_charge_per_year=Decimal("130.00"),
        unit_prices={"*": Decimal("0.35")},
        as_of=AS_OF,
    )

    assert version.valid_from == EARLIEST


@override_settings(PRICE_CHANGE_NOTICE_WEEKS=8)
def test_the_notice_period_is_configurable():
    tariff = tariff_make()
    supplied(tariff)

    with pytest.raises(PriceChangeTooSoon) as refused:
        tariff_version_add(
            tariff=tariff,
            valid_from=EARLIEST,
            standing_charge_per_year=Decimal("130.00"),
            unit_prices={"*": Decimal("0.35")},
            as_of=AS_OF,
        )

    assert refused.value.earliest == dt.date(2027, 1, 22)


def test_a_requested_agreement_counts_as_supplied():
    tariff = tariff_make()
    supplied(tariff, status=ServiceAgreement.Status.REQUESTED)

    with pytest.raises(PriceChangeTooSoon):
        tariff_version_add(
            tariff=tariff,
            valid_from=AS_OF,
            standing_charge_per_year=Decimal("130.00"),
            unit_prices={"*": Decimal("0.35")},
            as_of=AS_OF,
        )


@pytest.mark.parametrize(
    "status", [ServiceAgreement.Status.CANCELLED, ServiceAgreement.Status.REJECTED, ServiceAgreement.Status.ENDED]
)
def test_a_tariff_whose_agreements_are_over_takes_prices_from_any_date(status):
    tariff = tariff_make()
    supplied(tariff, status=status)

    tariff_version_add(
        tariff=tariff,
        valid_from=AS_OF,
        standing_charge_per_year=Decimal("130.00"),
        unit_prices={"*": Decimal("0.35")},
        as_of=AS_OF,
    )

    assert notices() == []


def test_an_agreement_ending_before_the_new_prices_is_not_affected():
    tariff = tariff_make()
    agreement = supplied(tariff)
    ServiceAgreement.objects.filter(pk=agreement.pk).update(
        status=ServiceAgreement.Status.ENDING, end_date=dt.date(2026, 12, 31)
    )

    tariff_version_add(
        tariff=tariff,
        valid_from=dt.date(2027, 1, 1),
        standing_charge_per_year=Decimal("130.00"),
        unit_prices={"*": Decimal("0.35")},
        as_of=AS_OF,
    )

    assert notices() == []


def test_a_tariff_without_agreements_takes_prices_from_any_date_even_in_the_past():
    tariff = tariff_make(valid_from=dt.date(2026, 1, 1))

    tariff_version_add(
        tariff=tariff,
        valid_from=dt.date(2020, 1, 1),
        standing_charge_per_year=Decimal("100.00"),
        unit_prices={"*": Decimal("0.25")},
        as_of=AS_OF,
    )

    assert version_on(tariff=tariff, day=dt.date(2020, 6, 1)).valid_from == dt.date(2020, 1, 1)
    assert notices() == []


# --- Price-change notices -------------------------------------------------------


def test_every_affected_customer_is_told_once_in_their_language(django_capture_on_commit_callbacks, mailoutbox):
    tariff = tariff_make(unit_prices={"*": "0.300000"})
    german = AccountFactory(customer=CustomerFactory(language="de", email="max@example.com"))
    english = AccountFactory(customer=CustomerFactory(language="en", email="jane@example.com"))
    second_german_account = AccountFactory(customer=german.customer)
    supplied(tariff, account=german, n=1)
    supplied(tariff, account=second_german_account, n=2)
    supplied(tariff, account=english, n=3)
    supplied(tariff_make(code="OTHER"), n=4)

    with django_capture_on_commit_callbacks(execute=True):
        tariff_version_add(
            tariff=tariff,
            valid_from=EARLIEST,
            standing_charge_per_year=Decimal("132.00"),
            unit_prices={"*": Decimal("0.32")},
            as_of=AS_OF,
        )

    sent = notices()
    assert [(m.to_address, m.language) for m in sent] == [("max@example.com", "de"), ("jane@example.com", "en")]
    # Budget-billing customers also hear about their new instalment, in a mail of its own.
    subjects = {m.subject for m in sent}
    assert sorted(mail.to[0] for mail in mailoutbox if mail.subject in subjects) == [
        "jane@example.com",
        "max@example.com",
    ]
    german_body, english_body = sent[0].body, sent[1].body
    # Both of Max's supplies are in his one notice.
    assert market_location_id(1) in german_body and market_location_id(2) in german_body
    assert market_location_id(3) not in german_body
    assert "8. Januar 2027" in german_body
    assert "0,3000" in german_body and "0,3200" in german_body
    assert "Jan. 8, 2027" in english_body
    assert "0.3000" in english_body and "0.3200" in english_body
    assert "120.00" in english_body and "132.00" in english_body
    # Gross prices at 19 % VAT: 0.32 x 1.19 = 0.3808.
    assert "0.3808" in english_body
    assert "cancel your contract" in english_body
    assert "Electricity Basic" in sent[1].subject


def test_a_customer_on_two_rate_prices_sees_each_register():
    tariff = tariff_make(unit_prices={"1-0:1.8.1": "0.320000", "1-0:1.8.2": "0.240000"})
    supplied(tariff, account=AccountFactory(customer=CustomerFactory(language="en")))

    tariff_version_add(
        tariff=tariff,
        valid_from=EARLIEST,
        standing_charge_per_year=Decimal("120.00"),
        unit_prices={"1-0:1.8.1": Decimal("0.34"), "1-0:1.8.2": Decimal("0.25")},
        as_of=AS_OF,
    )

    (notice,) = notices()
    assert "Price per unit, register 1-0:1.8.1 (EUR per kWh)" in notice.body
    assert "0.3200" in notice.body and "0.3400" in notice.body
    assert "0.2400" in notice.body and "0.2500" in notice.body


def test_an_internet_customer_is_told_the_monthly_fee():
    tariff = tariff_make(code="FIBRE", utility=Utility.INTERNET, standing_charge_per_year=None, monthly_fee="33.60")
    supplied(tariff, account=AccountFactory(customer=CustomerFactory(language="en")))

    tariff_version_add(tariff=tariff, valid_from=EARLIEST, monthly_fee=Decimal("35.00"), unit_prices={}, as_of=AS_OF)

    (notice,) = notices()
    assert "Monthly fee (EUR per month)" in notice.body
    assert "33.60" in notice.body and "35.00" in notice.body
    # 35.00 x 1.19 = 41.65
    assert "41.65" in notice.body


def test_a_refused_version_sends_no_notice():
    tariff = tariff_make()
    supplied(tariff)

    with pytest.raises(TariffVersionRefused):
        tariff_version_add(
            tariff=tariff, valid_from=EARLIEST, standing_charge_per_year=None, unit_prices={}, as_of=AS_OF
        )

    assert notices() == []


# --- The offer's yearly estimate ------------------------------------------------


def test_yearly_estimate_for_electricity():
    tariff = tariff_make(standing_charge_per_year="120.00", unit_prices={"*": "0.300000"})

    estimate = yearly_estimate(tariff=tariff, consumption=Decimal("2500"), day=dt.date(2026, 6, 1))

    # 120.00 + 2500 x 0.30 = 870.00 net; 19 % VAT = 165.30
    assert (estimate.net, estimate.vat, estimate.gross, estimate.vat_rate) == (
        Decimal("870.00"),
        Decimal("165.30"),
        Decimal("1035.30"),
        Decimal("0.1900"),
    )


def test_yearly_estimate_for_two_rate_prices_uses_their_mean():
    tariff = tariff_make(
        standing_charge_per_year="150.00", unit_prices={"1-0:1.8.1": "0.320000", "1-0:1.8.2": "0.240000"}
    )

    estimate = yearly_estimate(tariff=tariff, consumption=Decimal("3000"), day=dt.date(2026, 6, 1))

    # 150.00 + 3000 x (0.32 + 0.24) / 2 = 150.00 + 840.00 = 990.00; VAT 188.10
    assert (estimate.net, estimate.vat, estimate.gross) == (Decimal("990.00"), Decimal("188.10"), Decimal("1178.10"))


def test_yearly_estimate_for_water_at_7_percent():
    tariff = tariff_make(
        code="WASSER", utility=Utility.WATER, standing_charge_per_year="96.00", unit_prices={"*": "2.150000"}
    )

    estimate = yearly_estimate(tariff=tariff, consumption=Decimal("120"), day=dt.date(2026, 6, 1))

    # 96.00 + 120 x 2.15 = 354.00; 7 % = 24.78
    assert (estimate.net, estimate.vat, estimate.gross) == (Decimal("354.00"), Decimal("24.78"), Decimal("378.78"))


def test_yearly_estimate_for_gas_in_the_reduced_vat_period():
    tariff = tariff_make(
        code="GAS",
        utility=Utility.GAS,
        valid_from=dt.date(2023, 1, 1),
        standing_charge_per_year="156.00",
        unit_prices={"*": "0.095000"},
    )

    estimate = yearly_estimate(tariff=tariff, consumption=Decimal("12000"), day=dt.date(2023, 6, 1))

    # 156.00 + 12000 x 0.095 = 1296.00; 7 % = 90.72
    assert (estimate.net, estimate.vat, estimate.gross) == (Decimal("1296.00"), Decimal("90.72"), Decimal("1386.72"))


def test_yearly_estimate_for_internet_is_twelve_monthly_fees():
    tariff = tariff_make(code="FIBRE", utility=Utility.INTERNET, standing_charge_per_year=None, monthly_fee="33.60")

    estimate = yearly_estimate(tariff=tariff, consumption=None, day=dt.date(2026, 6, 1))

    # 12 x 33.60 = 403.20; 19 % = 76.608 -> 76.61
    assert (estimate.net, estimate.vat, estimate.gross) == (Decimal("403.20"), Decimal("76.61"), Decimal("479.81"))


def test_yearly_estimate_rounds_the_energy_cost_half_up_to_the_cent():
    tariff = tariff_make(standing_charge_per_year="0.00", unit_prices={"*": "0.123455"})

    estimate = yearly_estimate(tariff=tariff, consumption=Decimal("1"), day=dt.date(2026, 6, 1))

    # 1 x 0.123455 = 0.12 (half up at the cent); VAT 0.0228 -> 0.02
    assert (estimate.net, estimate.vat, estimate.gross) == (Decimal("0.12"), Decimal("0.02"), Decimal("0.14"))


def test_a_register_price_that_is_dropped_shows_the_price_it_falls_back_to():
    tariff = tariff_make(unit_prices={"*": "0.300000", "1-0:1.8.2": "0.240000"})
    supplied(tariff, account=AccountFactory(customer=CustomerFactory(language="en")))

    tariff_version_add(
        tariff=tariff,
        valid_from=EARLIEST,
        standing_charge_per_year=Decimal("120.00"),
        unit_prices={"*": Decimal("0.32")},
        as_of=AS_OF,
    )

    (notice,) = notices()
    night = notice.body.split("register 1-0:1.8.2")[1]
    assert "until now: 0.2400 net" in night
    assert "0.3200 net" in night
