"""Template tags of the interruption pages: the banner on the customer's
dashboard, the interruptions tab of the staff customer page,
and the reliability chart (server-drawn SVG: no JavaScript, no style
attributes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import formats

from accounts.models import Account, Customer
from core import clock
from outages.pages import customer_interruptions, customer_reports, rounded, status_badge
from outages.queries import interruptions_of_customer

register = template.Library()

CUSTOMER_PAGE_ROWS = 50


@register.inclusion_tag("outages/_dashboard_banner.html")
def dashboard_outages(accounts: list[Account]) -> dict[str, Any]:
    """A banner per interruption going on or planned at one of the customer's supplies."""
    return {"interruptions": customer_interruptions(accounts=list(accounts), now=clock.now())}


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


# The reliability chart: one horizontal bar per year, the figure written after it;
# about as wide as a phone, so that its text stays readable there.
WIDTH = 360
LABEL_WIDTH = 52
VALUE_WIDTH = 80
ROW = 34
BAR = 22
TOP = 8
# Bootstrap's secondary grey for earlier years, its primary blue for the year chosen (both at least 3:1 on white).
FILL = "#6c757d"
CURRENT_FILL = "#0d6efd"


@register.inclusion_tag("outages/staff/_reliability_chart.html")
def reliability_chart(reports: list, metric: str, title: str) -> dict[str, Any]:
    """Bars of one figure (`metric`: saidi_minutes, saifi, caidi_minutes) per year, the last year highlighted."""
    values = [rounded(getattr(report.figures, metric)) for report in reports]
    largest = max((value for value in values if value is not None), default=Decimal(0))
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = []
    for index, (report, value) in enumerate(zip(reports, values, strict=True)):
        width = float(value) / float(largest) * room if value and largest > 0 else 0
        y = TOP + index * ROW
        bars.append(
            {
                "label": report.year,
                "label_y": y + BAR / 2,
                "x": LABEL_WIDTH,
                "y": y,
                "width": round(max(width, 1 if value else 0), 2),
                "height": BAR,
                "fill": CURRENT_FILL if index == len(reports) - 1 else FILL,
                "value_x": round(LABEL_WIDTH + width + 6, 2),
                "value": "—" if value is None else formats.number_format(value, decimal_pos=2, use_l10n=True),
            }
        )
    height = TOP * 2 + ROW * len(reports) - (ROW - BAR)
    return {
        "bars": bars,
        "metric": metric,
        "title": title,
        "width": WIDTH,
        "height": height,
        "label_x": LABEL_WIDTH - 8,
        "axis_x": LABEL_WIDTH,
        "axis_bottom": height,
    }


@register.filter
def figure(value: Decimal | None) -> str:
    """A reliability figure as shown: two decimals, "—" when nobody was served."""
    shown = rounded(value)
    return "—" if shown is None else formats.number_format(shown, decimal_pos=2, use_l10n=True)
