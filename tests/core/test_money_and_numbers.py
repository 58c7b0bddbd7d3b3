from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.checkdigits import luhn_check_digit, luhn_is_valid
from core.money import round_money


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("0.005"), Decimal("0.01")),
        (Decimal("0.004999"), Decimal("0.00")),
        (Decimal("-0.005"), Decimal("-0.01")),
        (Decimal("2.675"), Decimal("2.68")),
        (Decimal("10"), Decimal("10.00")),
    ],
)
def test_money_rounds_half_up_to_the_cent(amount, expected):
    assert round_money(amount) == expected


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        round_money(0.1)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False, allow_infinity=False))
def test_rounding_moves_an_amount_by_at_most_half_a_cent(amount):
    rounded = round_money(amount)
    assert abs(rounded - amount) <= Decimal("0.005")
    assert rounded == rounded.quantize(Decimal("0.01"))


def test_luhn_check_digit_of_a_known_number():
    assert luhn_check_digit("7992739871") == 3
    assert luhn_is_valid("79927398713")


@given(st.integers(min_value=10**7, max_value=10**12))
def test_every_single_digit_typo_is_caught(base):
    number = f"{base}{luhn_check_digit(str(base))}"
    assert luhn_is_valid(number)
    for position in range(len(number)):
        for digit in "0123456789":
            if digit != number[position]:
                typo = number[:position] + digit + number[position + 1 :]
                assert not luhn_is_valid(typo)
