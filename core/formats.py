"""Amounts, rates and quantities as text in the customer's language."""

from decimal import Decimal

from django.utils import formats, translation


def money_format(amount: Decimal, *, language: str) -> str:
    """An amount in euros, German style for de (1.234,56 €), else €1,234.56.
    Cents unless the amount has more decimals (unit prices keep theirs)."""
    places = max(2, -int(amount.as_tuple().exponent))
    with translation.override(language):
        number = formats.number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{number} €" if language == "de" else f"€{number}"


def percent_format(rate: Decimal, *, language: str) -> str:
    """0.1900 -> 19 % (de) / 19% (en); 0.0550 -> 5,5 %."""
    value = (rate * 100).normalize()
    places = max(0, -value.as_tuple().exponent)
    with translation.override(language):
        number = formats.number_format(value, decimal_pos=places, use_l10n=True)
    return f"{number} %" if language == "de" else f"{number}%"


def quantity_format(value: Decimal) -> str:
    """A consumption in the active language, grouped, decimals only where there are any."""
    value = Decimal(value)
    places = 0 if value == value.to_integral_value() else max(1, -int(value.normalize().as_tuple().exponent))
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
