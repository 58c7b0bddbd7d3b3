"""Template tags of budget billing: the instalment section on the agents' customer page."""

from django import template

from billing.services.budget import instalment_plans
from billing.views.budget import InstalmentForm, form_prefix
from core import clock

register = template.Library()


@register.simple_tag
def staff_instalment_panels(accounts) -> list:
    """(plan, form) for each of the customer's accounts."""
    plans = instalment_plans(accounts=list(accounts), as_of=clock.today())
    return [(plan, InstalmentForm(prefix=form_prefix(plan.account), initial={"amount": plan.amount})) for plan in plans]
