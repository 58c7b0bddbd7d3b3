"""Money in the customer's language on the payment pages."""

from decimal import Decimal

from django import template
from django.utils import translation

from core.formats import money_format

register = template.Library()


@register.filter
def euro(amount: Decimal | None) -> str:
    """1.234,56 € in German, €1,234.56 in English; empty for no amount."""
    if amount is None:
        return ""
    return money_format(Decimal(amount), language=translation.get_language() or "de")
