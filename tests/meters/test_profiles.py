import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from meters.profiles import (
    SATURDAY_WEIGHT,
    SUNDAY_WEIGHT,
    UnknownProfile,
    dynamisation,
    profile_share,
    profile_use,
    profile_use_between,
)

BERLIN = ZoneInfo("Europe/Berlin")
# Decimal shares carry 28 significant digits; a year's sum is 1 to far better than this.
TOLERANCE = Decimal("1e-24")


def days_of(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=n) for n in range((dt.date(year + 1, 1, 1) - first).days)]


@pytest.mark.parametrize(("year", "days"), [(2026, 365), (2024, 366), (2028, 366), (2100, 365)])
def test_the_shares_of_a_year_sum_to_one(year, days):
    shares = [profile_share(day=day) for day in days_of(year)]

    assert len(shares) == days
    assert all(isinstance(share, Decimal) and share > 0 for share in shares)
    assert abs(sum(shares) - 1) < TOLERANCE


def test_the_polynomial_is_bdews_dynamisation_function():
    # F(1) = -3.92e-10 + 3.2e-7 - 7.02e-5 + 2.1e-3 + 1.24
    assert dynamisation(1) == Decimal("1.242030119608")
    assert dynamisation(0) == Decimal("1.24")
    assert dynamisation(365) == Decimal("1.257215955")


def test_winter_days_weigh_more_than_summer_days():
    # Two Wednesdays, no holidays.
    january, july = profile_share(day=dt.date(2026, 1, 14)), profile_share(day=dt.date(2026, 7, 15))

    assert january > july * Decimal("1.4")


def weight(day: dt.date) -> Decimal:
    """The day's weight relative to a working day, with the season taken out."""
    reference = dt.date(2026, 1, 14)  # a Wednesday
    relative = profile_share(day=day) / dynamisation(day.timetuple().tm_yday)
    return relative / (profile_share(day=reference) / dynamisation(reference.timetuple().tm_yday))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 6, 12), Decimal("1.00")),  # Friday
        (dt.date(2026, 6, 13), SATURDAY_WEIGHT),
        (dt.date(2026, 6, 14), SUNDAY_WEIGHT),
        (dt.date(2026, 12, 24), SATURDAY_WEIGHT),  # Christmas Eve on a Thursday
        (dt.date(2026, 12, 31), SATURDAY_WEIGHT),  # New Year's Eve on a Thursday
        (dt.date(2026, 1, 1), SUNDAY_WEIGHT),
        (dt.date(2026, 4, 3), SUNDAY_WEIGHT),  # Good Friday
        (dt.date(2026, 4, 6), SUNDAY_WEIGHT),  # Easter Monday
        (dt.date(2026, 5, 1), SUNDAY_WEIGHT),
        (dt.date(2026, 5, 14), SUNDAY_WEIGHT),  # Ascension Day
        (dt.date(2026, 5, 25), SUNDAY_WEIGHT),  # Whit Monday
        (dt.date(2026, 10, 3), SUNDAY_WEIGHT),  # a Saturday, but a holiday
        (dt.date(2026, 12, 25), SUNDAY_WEIGHT),
        (dt.date(2026, 12, 26), SUNDAY_WEIGHT),
        (dt.date(2026, 11, 1), SUNDAY_WEIGHT),  # a Sunday (All Saints is not nationwide)
        (dt.date(2026, 11, 2), Decimal("1.00")),
    ],
)
def test_each_kind_of_day_has_its_weight(day, expected):
    assert weight(day) == pytest.approx(expected, abs=Decimal("1e-20"))


def test_a_whole_year_of_use_is_the_annual_consumption():
    use = profile_use(annual=Decimal("3500"), start=dt.date(2026, 1, 1), end=dt.date(2027, 1, 1))

    assert abs(use - Decimal("3500")) < Decimal("1e-20")


def test_use_across_a_new_year_takes_each_days_share_of_its_own_year():
    use = profile_use(annual=Decimal("1000"), start=dt.date(2025, 12, 31), end=dt.date(2026, 1, 2))

    expected = 1000 * (profile_share(day=dt.date(2025, 12, 31)) + profile_share(day=dt.date(2026, 1, 1)))
    assert use == pytest.approx(expected, abs=Decimal("1e-20"))


def test_the_end_date_is_not_included_and_an_empty_period_uses_nothing():
    day = dt.date(2026, 3, 10)

    assert profile_use(annual=Decimal("1000"), start=day, end=day) == 0
    assert profile_use(annual=Decimal("1000"), start=day, end=day + dt.timedelta(days=1)) == 1000 * profile_share(
        day=day
    )


def test_months_add_up_to_the_year_in_a_leap_year():
    months = [dt.date(2024, m, 1) for m in range(1, 13)] + [dt.date(2025, 1, 1)]

    total = sum(
        (profile_use(annual=Decimal("2400"), start=a, end=b) for a, b in zip(months, months[1:], strict=False)),
        Decimal(0),
    )

    assert abs(total - 2400) < Decimal("1e-20")


def test_a_period_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        profile_use(annual=Decimal("1000"), start=dt.date(2026, 2, 1), end=dt.date(2026, 1, 1))


def test_an_unknown_profile_is_refused():
    with pytest.raises(UnknownProfile):
        profile_share(day=dt.date(2026, 1, 1), profile="G0")


def test_use_between_midnights_is_the_use_of_the_days():
    use = profile_use_between(
        annual=Decimal("3000"),
        start_at=dt.datetime(2026, 2, 1, tzinfo=BERLIN),
        end_at=dt.datetime(2026, 3, 1, tzinfo=BERLIN),
    )

    assert use == pytest.approx(
        profile_use(annual=Decimal("3000"), start=dt.date(2026, 2, 1), end=dt.date(2026, 3, 1)), abs=Decimal("1e-20")
    )


@pytest.mark.parametrize(
    ("day", "hours_elapsed_at_noon", "day_length"),
    [(dt.date(2026, 3, 29), 11, 23), (dt.date(2026, 10, 25), 13, 25), (dt.date(2026, 6, 1), 12, 24)],
    ids=["spring-forward", "fall-back", "ordinary"],
)
def test_part_of_a_day_is_its_share_of_the_days_real_hours(day, hours_elapsed_at_noon, day_length):
    use = profile_use_between(
        annual=Decimal("3650"),
        start_at=dt.datetime.combine(day, dt.time.min, tzinfo=BERLIN),
        end_at=dt.datetime.combine(day, dt.time(12), tzinfo=BERLIN),
    )

    expected = 3650 * profile_share(day=day) * hours_elapsed_at_noon / day_length
    assert use == pytest.approx(expected, abs=Decimal("1e-20"))


def test_use_between_moments_in_utc_counts_the_same_local_days():
    start_at = dt.datetime(2026, 1, 9, 23, 0, tzinfo=dt.UTC)  # 10 January 00:00 in Berlin
    end_at = dt.datetime(2026, 1, 19, 23, 0, tzinfo=dt.UTC)

    use = profile_use_between(annual=Decimal("1000"), start_at=start_at, end_at=end_at)

    assert use == pytest.approx(
        profile_use(annual=Decimal("1000"), start=dt.date(2026, 1, 10), end=dt.date(2026, 1, 20)), abs=Decimal("1e-20")
    )
