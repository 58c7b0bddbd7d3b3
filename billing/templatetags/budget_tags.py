"""Template tags of budget billing: the instalment section on the agents' customer page."""

from django import template

from billing.budget import instalment_plans
from billing.budget_views import InstalmentForm, form_prefix
from portal.core import clock

register = template.Library()


@register.simple_tag
def staff_instalment_panels(accounts) -> list:
    """(plan, form) for each of the customer's accounts."""
    plans = instalment_plans(accounts=list(accounts), as_of=clock.today())
    return [(plan, InstalmentForm(prefix=form_prefix(plan.account), initial={"amount": plan.amount})) for plan in plans]
