"""Identifiers of the German energy market."""

import re

MARKET_LOCATION_ID = re.compile(r"^[1-9]\d{10}$")


def market_location_check_digit(first_ten: str) -> int:
    """The BDEW check digit of a market location id (MaLo-ID).

    Digits in odd positions are summed, digits in even positions are summed
    and doubled; the check digit tops the total up to a multiple of ten.
    """
    if len(first_ten) != 10 or not first_ten.isdigit():
        raise ValueError("a market location id starts with ten digits")
    odd = sum(int(d) for d in first_ten[0::2])
    even = sum(int(d) for d in first_ten[1::2]) * 2
    return (10 - (odd + even) % 10) % 10


def is_market_location_id(value: str) -> bool:
    return bool(MARKET_LOCATION_ID.fullmatch(value or "")) and market_location_check_digit(value[:10]) == int(value[10])
