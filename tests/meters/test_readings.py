import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from meters import services
from meters.models import PlausibilityBand, Read, Register, Utility
from meters.profiles import profile_use_between
from meters.readings import (
    EstimateNotNeeded,
    NoRegisterValue,
    ValueMethod,
    Verdict,
    band_for,
    expected_daily_use,
    expected_value_range,
    read_check,
    read_estimate,
    register_value_at,
)
from tests.supply.factories import market_location_id

BERLIN = ZoneInfo("Europe/Berlin")
PREMISE = services.PremiseData(street="Lindenstraße", house_number="12", postcode="10969", city="Berlin")


def at(year, month, day, hour=0, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


NOW = at(2026, 6, 30, 12)


def check(value, *, previous="1000", previous_at=at(2026, 1, 1), taken_at=at(2026, 1, 31), daily="10", **options):
    """30 days at 10 a day: 300 expected, plausible 225 .. 450 (-25 % / +50 %)."""
    arguments = {
        "register_digits": 6,
        "taken_at": taken_at,
        "value": Decimal(value),
        "previous_value": Decimal(previous) if previous is not None else None,
        "previous_taken_at": previous_at if previous is not None else None,
        "expected_daily_use": Decimal(daily) if daily is not None else None,
        "lower_percent": Decimal(25),
        "upper_percent": Decimal(50),
        "now": NOW,
    }
    arguments.update(options)
    return read_check(**arguments)


# --- read_check: the band ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "verdict"),
    [
        ("1225", Verdict.ACCEPTED),  # exactly on the lower edge
        ("1224.999", Verdict.SUSPECT),  # the smallest step below it
        ("1224", Verdict.SUSPECT),  # one unit below it
        ("1300", Verdict.ACCEPTED),
        ("1450", Verdict.ACCEPTED),  # exactly on the upper edge
        ("1450.001", Verdict.SUSPECT),
        ("1451", Verdict.SUSPECT),
    ],
)
def test_consumption_inside_the_band_including_its_edges_is_accepted_and_outside_is_suspect(value, verdict):
    result = check(value)

    assert result.verdict == verdict
    assert result.consumption == Decimal(value) - 1000
    assert (result.expected_low, result.expected_high) == (Decimal("1225"), Decimal("1450"))
    assert (result.reason == "") == (verdict == Verdict.ACCEPTED)


def test_a_suspect_read_says_what_was_expected_in_the_customers_language():
    with translation.override("en"):
        result = check("2000")

    assert result.reason == (
        "This reading means a consumption of 1,000 since the previous reading on 01/01/2026, "
        "but we expected between 225 and 450. Please check the reading and confirm or correct it."
    )


def test_the_band_comes_from_the_percentages_given():
    narrow = check("1300", lower_percent=Decimal(0), upper_percent=Decimal(0))
    wide = check("1100", lower_percent=Decimal(70), upper_percent=Decimal(0))

    assert narrow.verdict == Verdict.ACCEPTED
    assert (narrow.expected_low, narrow.expected_high) == (Decimal("1300"), Decimal("1300"))
    assert check("1300.001", lower_percent=Decimal(0), upper_percent=Decimal(0)).verdict == Verdict.SUSPECT
    assert wide.verdict == Verdict.ACCEPTED
    assert wide.expected_low == Decimal("1090")


def test_a_lower_edge_with_many_decimals_is_rounded_up_and_an_upper_edge_down():
    # 7 days at 1/3 a day: 2.333… expected; -20 % / +40 %: 1.8666… .. 3.2666…
    options = {
        "previous": "100",
        "taken_at": at(2026, 1, 8),
        "daily": Decimal(1) / 3,
        "lower_percent": Decimal(20),
        "upper_percent": Decimal(40),
    }

    verdicts = [check(value, **options).verdict for value in ("101.866", "101.867", "103.266", "103.267")]

    assert verdicts == [Verdict.SUSPECT, Verdict.ACCEPTED, Verdict.ACCEPTED, Verdict.SUSPECT]
    result = check("102", **options)
    assert (result.expected_low, result.expected_high) == (Decimal("101.867"), Decimal("103.266"))


@given(
    daily=st.decimals(min_value=0, max_value=100, places=3),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 400),
    consumption=st.decimals(min_value=0, max_value=60_000, places=3),
)
def test_the_verdict_is_exactly_the_band_with_its_edges(daily, minutes, consumption):
    previous_at = at(2025, 1, 1)
    taken_at = previous_at + dt.timedelta(minutes=minutes)
    expected = daily * Decimal(minutes) / Decimal(24 * 60)

    result = check(
        Decimal(1000) + consumption, previous_at=previous_at, taken_at=taken_at, daily=daily, register_digits=9
    )

    inside = expected * Decimal("0.75") <= consumption <= expected * Decimal("1.5")
    assert result.verdict == (Verdict.ACCEPTED if inside else Verdict.SUSPECT)


def test_without_an_expectation_any_higher_read_is_accepted():
    result = check("999999", daily=None)

    assert result.verdict == Verdict.ACCEPTED
    assert result.consumption == Decimal("998999")
    assert (result.expected_low, result.expected_high) == (None, None)


def test_the_first_read_of_a_register_is_accepted():
    result = check("4711", previous=None)

    assert result.verdict == Verdict.ACCEPTED
    assert result.consumption is None


def test_nothing_used_while_nothing_is_expected_is_accepted_and_any_use_is_suspect():
    assert check("1000", daily="0").verdict == Verdict.ACCEPTED
    assert check("1000.001", daily="0").verdict == Verdict.SUSPECT


@pytest.mark.parametrize(
    ("previous_at", "taken_at", "hours"),
    [(at(2026, 3, 29), at(2026, 3, 30), 23), (at(2026, 10, 25), at(2026, 10, 26), 25)],
    ids=["spring-forward", "fall-back"],
)
def test_the_expected_consumption_counts_real_hours_across_a_dst_change(previous_at, taken_at, hours):
    # 24 a day = 1 an hour, and no tolerance: only the real number of hours is plausible.
    exact = Decimal(1000 + hours)

    result = check(
        exact,
        previous_at=previous_at,
        taken_at=taken_at,
        daily="24",
        lower_percent=Decimal(0),
        upper_percent=Decimal(0),
        now=taken_at,
    )

    assert result.verdict == Verdict.ACCEPTED
    assert result.expected_low == result.expected_high == exact


# --- read_check: hard rules ---------------------------------------------------------------------------------------


def test_a_rollover_at_the_registers_digit_count_is_accepted_and_flagged():
    result = check("12", previous="99999", register_digits=5, daily=None)

    assert result.verdict == Verdict.ACCEPTED
    assert result.rollover is True
    assert result.consumption == Decimal("13")


def test_a_rollover_inside_the_band_is_accepted():
    # 30 days at 0.5 a day: 15 expected, plausible 11.25 .. 22.5.
    result = check("12", previous="99999", register_digits=5, daily="0.5")

    assert (result.verdict, result.rollover, result.consumption) == (Verdict.ACCEPTED, True, Decimal("13"))
    # The plausible values pass the rollover: from 100010.25 - 100000 to 100021.5 - 100000.
    assert (result.expected_low, result.expected_high) == (Decimal("10.250"), Decimal("21.500"))


def test_a_rollover_below_the_band_is_suspect_and_still_a_rollover():
    result = check("5", previous="99999", register_digits=5, daily="0.5")

    assert (result.verdict, result.rollover, result.consumption) == (Verdict.SUSPECT, True, Decimal("6"))


def test_a_wrap_beyond_the_band_is_not_a_rollover_but_a_decreasing_read():
    # 99999 -> 00030 would be 31 units, more than 22.5.
    with translation.override("en"):
        result = check("30", previous="99999", register_digits=5, daily="0.5")

    assert result.verdict == Verdict.REJECTED
    assert result.rollover is False
    assert result.reason.startswith("The reading is lower than the previous reading (99,999 on")


@pytest.mark.parametrize(
    ("previous", "value", "verdict"),
    [
        ("95000.5", "4999.999", Verdict.ACCEPTED),  # 9999.499: less than a tenth of the 5-digit range
        ("95000", "5000", Verdict.REJECTED),  # exactly a tenth
        ("50000", "40000", Verdict.REJECTED),
    ],
)
def test_without_an_expectation_a_wrap_of_less_than_a_tenth_of_the_range_is_a_rollover(previous, value, verdict):
    assert check(value, previous=previous, register_digits=5, daily=None).verdict == verdict


def test_a_read_lower_than_the_previous_one_is_rejected_with_the_previous_reading():
    with translation.override("en"):
        result = check("999.999")

    assert result.verdict == Verdict.REJECTED
    assert result.reason == "The reading is lower than the previous reading (1,000 on 01/01/2026)."
    assert result.consumption is None


def test_after_a_meter_exchange_the_previous_read_is_not_compared():
    result = check("12", previous="54321", meter_exchanged_since_previous=True)

    assert result.verdict == Verdict.ACCEPTED
    assert (result.consumption, result.rollover, result.expected_low) == (None, False, None)


def test_a_read_taken_in_the_future_is_rejected_and_one_taken_now_is_not():
    future = check("1300", taken_at=NOW + dt.timedelta(minutes=1))
    present = check("1300", taken_at=NOW, previous_at=NOW - dt.timedelta(days=30))

    assert future.verdict == Verdict.REJECTED
    assert present.verdict == Verdict.ACCEPTED


@pytest.mark.parametrize(
    ("value", "verdict"),
    [
        ("-0.001", Verdict.REJECTED),
        ("1300.0001", Verdict.REJECTED),
        ("1300.1230", Verdict.ACCEPTED),  # a trailing zero is not a fourth decimal
        ("NaN", Verdict.REJECTED),
        ("Infinity", Verdict.REJECTED),
        ("999999.999", Verdict.SUSPECT),  # the largest value 6 digits show
        ("1000000", Verdict.REJECTED),
    ],
)
def test_values_a_register_cannot_show_are_rejected(value, verdict):
    assert check(value).verdict == verdict


def test_each_rejection_has_a_reason_a_customer_understands():
    with translation.override("en"):
        reasons = {value: check(value).reason for value in ("-1", "1300.0001", "NaN", "1000000")} | {
            "future": check("1300", taken_at=NOW + dt.timedelta(days=1)).reason
        }

    assert reasons == {
        "-1": "A meter reading cannot be negative.",
        "1300.0001": "A meter reading has at most 3 decimal places.",
        "NaN": "Please enter the meter reading as a number.",
        "1000000": "This register shows at most 6 digits before the decimal point.",
        "future": "The reading cannot be taken in the future.",
    }


def test_moments_must_be_aware_and_the_previous_read_earlier():
    with pytest.raises(ValueError):
        check("1300", taken_at=dt.datetime(2026, 1, 31))
    with pytest.raises(ValueError):
        check("1300", previous_at=at(2026, 2, 1))


def test_the_expected_value_range_is_the_one_read_check_applies():
    assert expected_value_range(
        register_digits=6,
        previous_value=Decimal("1000"),
        previous_taken_at=at(2026, 1, 1),
        taken_at=at(2026, 1, 31),
        expected_daily_use=Decimal("10"),
        lower_percent=Decimal(25),
        upper_percent=Decimal(50),
    ) == (Decimal("1225"), Decimal("1450"))
    assert (
        expected_value_range(
            register_digits=6,
            previous_value=Decimal("1000"),
            previous_taken_at=at(2026, 1, 1),
            taken_at=at(2026, 1, 31),
            expected_daily_use=None,
            lower_percent=Decimal(25),
            upper_percent=Decimal(50),
        )
        is None
    )


# --- with the database ------------------------------------------------------------------------------------------


def make_register(*, digits: int = 6, n: int = 1) -> Register:
    premise = services.premise_get_or_create(data=PREMISE)
    point = services.supply_point_get_or_create(
        premise=premise, utility=Utility.ELECTRICITY, identifier=market_location_id(n)
    )
    meter = services.meter_install(supply_point=point, serial=f"1ESY{n:08d}", installed_on=dt.date(2025, 1, 1))
    register = meter.registers.get()
    register.digits = digits
    register.save(update_fields=["digits"])
    return register


def add_read(register, taken_at, value, *, source=Read.Source.SMART, quality=Read.Quality.VALID, **fields) -> Read:
    if source == Read.Source.ESTIMATED:
        fields.setdefault("estimation", Read.Estimation.HISTORY)
    return Read.objects.create(
        register=register, taken_at=taken_at, value=Decimal(value), source=source, quality=quality, **fields
    )


@pytest.fixture
def register(db) -> Register:
    return make_register()


@pytest.mark.django_db
def test_the_band_is_configurable_per_utility():
    PlausibilityBand.objects.create(utility=Utility.GAS, lower_percent=Decimal("10"), upper_percent=Decimal("20"))

    assert band_for(utility=Utility.GAS) == (Decimal("10"), Decimal("20"))
    assert band_for(utility=Utility.ELECTRICITY) == (Decimal("25"), Decimal("50"))


def test_the_average_daily_use_comes_from_valid_actual_reads(register):
    add_read(register, at(2026, 1, 1), "1000")
    add_read(register, at(2026, 1, 11), "1100", source=Read.Source.CUSTOMER)
    add_read(register, at(2026, 1, 21), "1200")
    add_read(register, at(2026, 1, 25), "9999", quality=Read.Quality.SUSPECT)
    add_read(register, at(2026, 1, 26), "5", quality=Read.Quality.REJECTED)
    add_read(register, at(2026, 1, 27), "9000", source=Read.Source.ESTIMATED)

    assert expected_daily_use(register=register, before=at(2026, 2, 1)) == Decimal("10")
    # Reads at or after `before` do not count.
    assert expected_daily_use(register=register, before=at(2026, 1, 21)) == Decimal("10")


def test_the_average_daily_use_counts_a_rollover(register):
    register.digits = 5
    register.save()
    add_read(register, at(2026, 1, 1), "99900")
    add_read(register, at(2026, 1, 11), "50")

    assert expected_daily_use(register=register, before=at(2026, 2, 1)) == Decimal("15")


def test_there_is_no_average_without_a_week_of_history_or_older_than_a_year(register):
    add_read(register, at(2024, 1, 1), "100")
    add_read(register, at(2024, 6, 1), "1100")
    add_read(register, at(2026, 1, 1), "1000")
    add_read(register, at(2026, 1, 7, 23, 59), "1070")

    assert expected_daily_use(register=register, before=at(2026, 1, 10)) is None
    assert expected_daily_use(register=register, before=at(2024, 1, 1)) is None


# --- register_value_at ------------------------------------------------------------------------------------------


def test_a_read_at_the_moment_is_the_value(register):
    add_read(register, at(2026, 1, 1), "1000")

    assert register_value_at(register=register, moment=at(2026, 1, 1)) == (
        register_value_at(register=register, moment=at(2026, 1, 1).astimezone(dt.UTC))
    )
    value = register_value_at(register=register, moment=at(2026, 1, 1))
    assert (value.value, value.estimated, value.method) == (Decimal("1000"), False, ValueMethod.READ)


def test_between_two_reads_the_value_is_interpolated_by_time(register):
    add_read(register, at(2026, 1, 1), "1000")
    add_read(register, at(2026, 1, 5), "1100")

    value = register_value_at(register=register, moment=at(2026, 1, 2, 6))

    # 30 of 96 hours.
    assert (value.value, value.estimated, value.method) == (Decimal("1031.250"), False, ValueMethod.INTERPOLATED)


@pytest.mark.parametrize(
    ("day", "expected"),
    [(dt.date(2026, 3, 29), Decimal("11.000")), (dt.date(2026, 10, 25), Decimal("13.000"))],
    ids=["spring-forward-23-hours", "fall-back-25-hours"],
)
def test_interpolation_across_a_dst_change_uses_the_real_elapsed_hours(register, day, expected):
    # One unit an hour: midnight to midnight is 23 hours in March and 25 in October;
    # noon is 11 or 13 hours after midnight, not 12.
    hours = 23 if day.month == 3 else 25
    add_read(register, dt.datetime.combine(day, dt.time.min, tzinfo=BERLIN), "0")
    add_read(register, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=BERLIN), str(hours))

    value = register_value_at(register=register, moment=dt.datetime.combine(day, dt.time(12), tzinfo=BERLIN))

    assert value.value == expected


def test_interpolation_spans_a_rollover(register):
    register.digits = 5
    register.save()
    add_read(register, at(2026, 1, 1), "99990")
    add_read(register, at(2026, 1, 3), "30")

    assert register_value_at(register=register, moment=at(2026, 1, 2)).value == Decimal("10.000")
    assert register_value_at(register=register, moment=at(2026, 1, 1, 12)).value == Decimal("0.000")


def test_rejected_reads_never_count_and_kept_suspect_reads_do(register):
    add_read(register, at(2026, 1, 1), "1000")
    add_read(register, at(2026, 1, 3), "5000", quality=Read.Quality.REJECTED)
    add_read(register, at(2026, 1, 5), "1100", quality=Read.Quality.SUSPECT)

    assert register_value_at(register=register, moment=at(2026, 1, 3)).value == Decimal("1050.000")
    assert register_value_at(register=register, moment=at(2026, 1, 5)).method == ValueMethod.READ


def test_after_the_last_read_the_value_is_estimated_from_the_history(register):
    add_read(register, at(2026, 1, 1), "1000")
    add_read(register, at(2026, 1, 31), "1300")

    value = register_value_at(register=register, moment=at(2026, 2, 10), annual_consumption=Decimal("9999"))

    assert (value.value, value.estimated, value.method) == (Decimal("1400.000"), True, ValueMethod.ESTIMATED_HISTORY)


def test_without_history_the_value_is_estimated_from_the_profile(register):
    add_read(register, at(2026, 1, 1), "1000")

    value = register_value_at(register=register, moment=at(2026, 2, 1), annual_consumption=Decimal("3650"))

    use = profile_use_between(annual=Decimal("3650"), start_at=at(2026, 1, 1), end_at=at(2026, 2, 1))
    assert (value.estimated, value.method) == (True, ValueMethod.ESTIMATED_PROFILE)
    assert value.value == (Decimal(1000) + use).quantize(Decimal("0.001"))
    # January is a winter month: more than a twelfth of the year.
    assert value.value > Decimal(1000) + Decimal(3650) / 12


def test_an_estimate_passes_the_rollover(register):
    register.digits = 5
    register.save()
    add_read(register, at(2026, 1, 1), "99900")
    add_read(register, at(2026, 1, 11), "99950")

    assert register_value_at(register=register, moment=at(2026, 1, 31)).value == Decimal("50.000")


def test_without_history_and_profile_or_before_the_first_read_there_is_no_value(register):
    with pytest.raises(NoRegisterValue):
        register_value_at(register=register, moment=at(2026, 2, 1))
    add_read(register, at(2026, 1, 1), "1000")
    with pytest.raises(NoRegisterValue):
        register_value_at(register=register, moment=at(2026, 2, 1))
    with pytest.raises(NoRegisterValue):
        register_value_at(register=register, moment=at(2025, 12, 31), annual_consumption=Decimal("3650"))


def test_a_stored_estimate_stands_while_nothing_better_exists(register):
    add_read(register, at(2026, 1, 1), "1000")
    add_read(register, at(2026, 2, 1), "1500", source=Read.Source.ESTIMATED, estimation=Read.Estimation.PROFILE)

    at_estimate = register_value_at(register=register, moment=at(2026, 2, 1), annual_consumption=Decimal("3650"))
    after_estimate = register_value_at(register=register, moment=at(2026, 2, 11), annual_consumption=Decimal("3650"))
    between = register_value_at(register=register, moment=at(2026, 1, 16, 12))

    assert (at_estimate.value, at_estimate.estimated, at_estimate.method) == (
        Decimal("1500"),
        True,
        ValueMethod.ESTIMATED_PROFILE,
    )
    # Forward from the estimate, not from the last actual read.
    use = profile_use_between(annual=Decimal("3650"), start_at=at(2026, 2, 1), end_at=at(2026, 2, 11))
    assert after_estimate.value == (Decimal(1500) + use).quantize(Decimal("0.001"))
    assert (between.value, between.estimated) == (Decimal("1250.000"), True)


def test_an_actual_read_replaces_the_estimates_before_it(register):
    add_read(register, at(2026, 1, 1), "1000")
    add_read(register, at(2026, 2, 1), "1500", source=Read.Source.ESTIMATED)
    add_read(register, at(2026, 3, 1), "1590", source=Read.Source.CUSTOMER)

    value = register_value_at(register=register, moment=at(2026, 2, 1))

    # 31 of 59 days between the actual reads.
    assert (value.value, value.estimated, value.method) == (Decimal("1310.000"), False, ValueMethod.INTERPOLATED)


def test_an_actual_read_at_the_same_moment_beats_an_estimate(register):
    add_read(register, at(2026, 2, 1), "1500", source=Read.Source.ESTIMATED)
    add_read(register, at(2026, 2, 1), "1400", source=Read.Source.CUSTOMER)

    value = register_value_at(register=register, moment=at(2026, 2, 1))

    assert (value.value, value.method) == (Decimal("1400"), ValueMethod.READ)


def test_a_naive_moment_is_refused(register):
    with pytest.raises(ValueError):
        register_value_at(register=register, moment=dt.datetime(2026, 1, 1))


# --- read_estimate ----------------------------------------------------------------------------------------------


def test_an_estimate_is_stored_at_midnight_berlin_from_the_history_once(register):
    add_read(register, at(2026, 1, 1), "1000")
    add_read(register, at(2026, 1, 31), "1300")

    first = read_estimate(register=register, day=dt.date(2026, 2, 10), annual_consumption=None)
    second = read_estimate(register=register, day=dt.date(2026, 2, 10), annual_consumption=None)

    assert first == second
    assert Read.objects.filter(source=Read.Source.ESTIMATED).count() == 1
    first.refresh_from_db()
    assert first.taken_at == at(2026, 2, 10)
    assert first.taken_at.astimezone(dt.UTC) == dt.datetime(2026, 2, 9, 23, 0, tzinfo=dt.UTC)
    assert (first.value, first.source, first.quality, first.estimation) == (
        Decimal("1400.000"),
        Read.Source.ESTIMATED,
        Read.Quality.VALID,
        Read.Estimation.HISTORY,
    )


def test_without_history_the_stored_estimate_follows_the_profile(register):
    add_read(register, at(2026, 1, 1), "1000")

    estimate = read_estimate(register=register, day=dt.date(2026, 4, 1), annual_consumption=Decimal("3650"))

    use = profile_use_between(annual=Decimal("3650"), start_at=at(2026, 1, 1), end_at=at(2026, 4, 1))
    assert estimate.estimation == Read.Estimation.PROFILE
    assert estimate.value == (Decimal(1000) + use).quantize(Decimal("0.001"))


def test_an_actual_read_on_the_day_is_returned_instead_of_an_estimate(register):
    actual = add_read(register, at(2026, 2, 1), "1234")

    assert read_estimate(register=register, day=dt.date(2026, 2, 1), annual_consumption=Decimal("3650")) == actual
    assert not Read.objects.filter(source=Read.Source.ESTIMATED).exists()


def test_a_day_between_actual_reads_needs_no_estimate(register):
    add_read(register, at(2026, 1, 1), "1000")
    add_read(register, at(2026, 3, 1), "1590")

    with pytest.raises(EstimateNotNeeded):
        read_estimate(register=register, day=dt.date(2026, 2, 1), annual_consumption=Decimal("3650"))
    assert Read.objects.count() == 2


def test_nothing_is_stored_when_nothing_estimates_the_day(register):
    add_read(register, at(2026, 1, 1), "1000")

    with pytest.raises(NoRegisterValue):
        read_estimate(register=register, day=dt.date(2026, 2, 1), annual_consumption=None)
    assert Read.objects.count() == 1


def test_a_later_actual_read_replaces_a_stored_estimate_for_the_value(register):
    add_read(register, at(2026, 1, 1), "1000")
    add_read(register, at(2026, 1, 31), "1300")
    estimate = read_estimate(register=register, day=dt.date(2026, 2, 10), annual_consumption=None)
    assert register_value_at(register=register, moment=at(2026, 2, 10)).value == estimate.value

    add_read(register, at(2026, 2, 20), "1350", source=Read.Source.CUSTOMER)

    value = register_value_at(register=register, moment=at(2026, 2, 10))
    assert (value.value, value.estimated, value.method) == (Decimal("1325.000"), False, ValueMethod.INTERPOLATED)
    # The estimate is kept (a bill may show it), but no longer used.
    assert Read.objects.filter(pk=estimate.pk).exists()


def test_an_estimated_read_must_say_how_it_was_estimated(register):
    with pytest.raises(IntegrityError):
        Read.objects.create(register=register, taken_at=at(2026, 1, 1), value=1, source=Read.Source.ESTIMATED)
