"""The German market location id (MaLo-ID): 11 digits, the first not zero,
the last a check digit (BDEW)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meters.identifiers import is_market_location_id, market_location_check_digit
from meters.models import Utility
from meters.services import InvalidSupplyPointId, supply_point_id_check


@pytest.mark.parametrize("value", ["41373559241", "51234567895", "10000000009"])
def test_valid_market_location_ids(value):
    assert is_market_location_id(value)


def test_the_check_digit_of_a_known_id():
    # 4+3+3+5+2 = 17 (odd positions); (1+7+5+9+4) x 2 = 52; 17 + 52 = 69 -> 1
    assert market_location_check_digit("4137355924") == 1


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("41373559242", "wrong check digit"),
        ("41373559240", "wrong check digit"),
        ("4137355924", "10 digits"),
        ("413735592411", "12 digits"),
        ("01373559245", "leading zero, although the check digit fits"),
        ("4137355924A", "a letter"),
        ("A1373559241", "a letter"),
        ("4137 3559241", "a space inside"),
        ("41373559241\n", "a line break"),
        ("", "empty"),
        (None, "nothing"),
    ],
)
def test_invalid_market_location_ids(value, why):
    assert not is_market_location_id(value), why


def test_the_leading_zero_example_has_a_fitting_check_digit():
    assert market_location_check_digit("0137355924") == 5


@pytest.mark.parametrize("first_ten", ["413735592", "41373559241", "41373A5924"])
def test_the_check_digit_needs_ten_digits(first_ten):
    with pytest.raises(ValueError):
        market_location_check_digit(first_ten)


@given(st.integers(min_value=1_000_000_000, max_value=9_999_999_999), st.integers(min_value=1, max_value=9))
def test_only_the_computed_check_digit_makes_an_id(number, offset):
    first_ten = str(number)
    check = market_location_check_digit(first_ten)

    assert is_market_location_id(f"{first_ten}{check}")
    assert not is_market_location_id(f"{first_ten}{(check + offset) % 10}")


def test_the_supply_point_check_normalises_spaces_and_names_the_problem():
    assert supply_point_id_check(utility=Utility.ELECTRICITY, identifier=" 4137 3559 241 ") == "41373559241"
    with pytest.raises(InvalidSupplyPointId, match="check digit"):
        supply_point_id_check(utility=Utility.GAS, identifier="41373559242")


def test_water_and_internet_have_no_market_location_id():
    assert supply_point_id_check(utility=Utility.INTERNET, identifier="DEU.FTTH.0815") == "DEU.FTTH.0815"
    assert supply_point_id_check(utility=Utility.WATER, identifier="W-123") == "W-123"
