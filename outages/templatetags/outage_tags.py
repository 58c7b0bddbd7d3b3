"""Template tags of the interruption pages: the banner on the customer's
dashboard, the count of interruptions going on or planned in the
back-office navigation, the interruptions tab of the staff customer page,
and the reliability chart (server-drawn SVG: no JavaScript, no style
attributes)."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import Account, Customer
from core import clock
from outages.pages import customer_interruptions, customer_reports, open_count, status_badge
from outages.queries import interruptions_of_customer

register = template.Library()

CUSTOMER_PAGE_ROWS = 50


@register.inclusion_tag("outages/_dashboard_banner.html")
def dashboard_outages(accounts: list[Account]) -> dict[str, Any]:
    """A banner per interruption going on or planned at one of the customer's supplies."""
    return {"interruptions": customer_interruptions(accounts=list(accounts), now=clock.now())}


@register.simple_tag
def outages_open() -> int:
    return open_count()


@register.inclusion_tag("outages/staff/_customer_interruptions.html", takes_context=True)
def staff_customer_interruptions(context: dict[str, Any], customer: Customer) -> dict[str, Any]:
    """The interruptions tab of the customer page: what affected the customer's supplies, and their reports."""
    interruptions = list(interruptions_of_customer(customer=customer)[:CUSTOMER_PAGE_ROWS])
    for interruption in interruptions:
        interruption.badge = status_badge(interruption.status)
    return {
        "interruptions": interruptions,
        "reports": list(customer_reports(customer=customer)[:CUSTOMER_PAGE_ROWS]),
        "shown": CUSTOMER_PAGE_ROWS,
        "perms": context["perms"],
    }
