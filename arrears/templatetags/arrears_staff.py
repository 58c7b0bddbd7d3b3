"""Template tags of the arrears back-office: the count of decisions waiting
in the navigation, the arrears flags in the customer page header, the
arrears tab of the customer page, and the aging chart (server-drawn SVG: no
JavaScript, no style attributes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from accounts.models import Account
from arrears.queries.arrears import AgingBucket
from arrears.queries.staff import customer_arrears, customer_arrears_flags, decisions_waiting, hold_releasable
from billing.templatetags.bill_tags import euro
from core import clock

register = template.Library()

# The chart: one horizontal bar per bucket, the amount written after it. Drawn about
# as wide as a phone, so that its text stays readable there.
WIDTH = 360
LABEL_WIDTH = 52
VALUE_WIDTH = 110
ROW = 40
BAR = 24
TOP = 8
# Bootstrap's primary blue; the oldest bucket in its danger red. Both at least 3:1 against white (WCAG 1.4.11).
FILL = "#0d6efd"
OLDEST_FILL = "#dc3545"


@register.simple_tag
def arrears_decisions_waiting() -> int:
    return decisions_waiting()


@register.inclusion_tag("arrears/staff/_flags.html", takes_context=True)
def arrears_flags(context: dict[str, Any], accounts: list[Account]) -> dict[str, Any]:
    """Badges for the customer page header: reminder level, plan, agency, holds."""
    return {"flags": customer_arrears_flags(accounts=list(accounts), as_of=clock.today()), "perms": context["perms"]}


@register.inclusion_tag("arrears/staff/_customer_arrears.html", takes_context=True)
def staff_customer_arrears(context: dict[str, Any], accounts: list[Account]) -> dict[str, Any]:
    """The arrears tab of the customer page: per account of the customer the
    case, notices, holds, plan and decisions."""
    request = context["request"]
    panels = customer_arrears(accounts=list(accounts), as_of=clock.today())
    for panel in panels:
        for hold in panel.holds:
            hold.releasable = hold_releasable(hold)
    return {
        "panels": panels,
        "perms": context["perms"],
        "request": request,
        "next": request.get_full_path(),
    }


@register.inclusion_tag("arrears/staff/_aging_chart.html")
def aging_chart(buckets: list[AgingBucket]) -> dict[str, Any]:
    largest = max((bucket.amount for bucket in buckets), default=Decimal(0))
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = []
    for index, bucket in enumerate(buckets):
        width = float(bucket.amount) / float(largest) * room if largest > 0 else 0
        y = TOP + index * ROW
        bars.append(
            {
                "label": bucket.label,
                "label_y": y + BAR / 2,
                "x": LABEL_WIDTH,
                "y": y,
                "width": round(max(width, 1 if bucket.amount > 0 else 0), 2),
                "height": BAR,
                "fill": OLDEST_FILL if index == len(buckets) - 1 else FILL,
                "value_x": round(LABEL_WIDTH + width + 6, 2),
                "value": euro(bucket.amount),
                "count": bucket.count,
            }
        )
    return {
        "bars": bars,
        "width": WIDTH,
        "height": TOP * 2 + ROW * len(buckets) - (ROW - BAR),
        "label_x": LABEL_WIDTH - 8,
        "axis_x": LABEL_WIDTH,
        "axis_bottom": TOP * 2 + ROW * len(buckets) - (ROW - BAR),
    }
