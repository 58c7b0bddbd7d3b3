"""Check digits for numbers people type in (account numbers)."""


def luhn_check_digit(digits: str) -> int:
    """The Luhn (mod 10) check digit that completes `digits`."""
    if not digits.isdigit():
        raise ValueError("only digits can carry a Luhn check digit")
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def luhn_is_valid(number: str) -> bool:
    """True when the last digit of `number` is its Luhn check digit."""
    if len(number) < 2 or not number.isdigit():
        return False
    return luhn_check_digit(number[:-1]) == int(number[-1])
