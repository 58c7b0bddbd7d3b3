"""The reconciliation queue's count in the back-office navigation."""

from django import template

from payments.queries.bank import reconciliation_count as _reconciliation_count

register = template.Library()


@register.simple_tag
def reconciliation_count() -> int:
    return _reconciliation_count()
