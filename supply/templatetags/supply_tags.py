"""Template tags of supply set-up: the agents' queue count in the navigation."""

from django import template

from supply.queries import pending_setups_count as _pending_setups_count

register = template.Library()


@register.simple_tag
def pending_setups_count() -> int:
    return _pending_setups_count()
