"""The one place that rounds money: half up to the cent, on Decimals only."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def round_money(amount: Decimal, *, places: Decimal = CENT) -> Decimal:
    """Round a Decimal half up (kaufmännisch) to cents, or to `places`."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, not {type(amount).__name__}")
    return amount.quantize(places, rounding=ROUND_HALF_UP)
