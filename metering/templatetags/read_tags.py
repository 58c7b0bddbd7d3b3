"""Template tags of the reads pages: the consumption bar chart (server-drawn
SVG: no JavaScript, no style attributes) and the review queue's count in the
back-office navigation."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import Any

from django import template
from django.utils import formats

from metering.charts import ConsumptionChart
from metering.queries.review import suspect_reads_count as _suspect_reads_count

register = template.Library()

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 12, 28
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
TICKS = 4
NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
# Bootstrap's primary blue and grey 600: both at least 3:1 against white (WCAG 1.4.11).
THIS_YEAR_FILL = "#0d6efd"
LAST_YEAR_FILL = "#6c757d"


def nice_step(largest: Decimal, *, ticks: int = TICKS) -> Decimal:
    """A round step (1, 2, 2.5 or 5 times a power of ten) so that `ticks` steps reach `largest`."""
    raw = largest / ticks
    magnitude = Decimal(10) ** raw.adjusted()
    return next(step * magnitude for step in NICE_STEPS if step * magnitude >= raw)


def _number(value: Decimal) -> str:
    return formats.number_format(value.normalize(), force_grouping=True)


@register.filter
def reading(value: Decimal | None) -> str:
    """A meter reading as people write it: grouped, without trailing zeros (1.234,5)."""
    if value is None:
        return ""
    return _number(Decimal(value))


@register.simple_tag
def suspect_reads_count() -> int:
    return _suspect_reads_count()


@register.inclusion_tag("metering/_chart.html")
def consumption_chart(chart: ConsumptionChart, dom_id: str) -> dict[str, Any]:
    values = [v for m in chart.months for v in (m.this_year, m.last_year) if v is not None]
    largest = max(values, default=Decimal(0))
    step = nice_step(largest) if largest > 0 else Decimal(1)
    top = step * (largest / step).to_integral_value(ROUND_CEILING) if largest > 0 else step * TICKS
    scale = PLOT_HEIGHT / float(top)
    group = PLOT_WIDTH / 12
    bar = group * 0.36
    baseline = TOP + PLOT_HEIGHT

    def column(value: Decimal | None, x: float, year: int, month_name: str, fill: str) -> dict[str, Any] | None:
        if value is None:
            return None
        height = float(value) * scale
        return {
            "x": round(x, 2),
            "y": round(baseline - height, 2),
            "width": round(bar, 2),
            "height": round(height, 2),
            "fill": fill,
            "title": f"{month_name} {year}: {_number(value)} {chart.unit}",
        }

    months = []
    for index, month in enumerate(chart.months):
        left = LEFT + index * group + group * 0.12
        months.append(
            {
                "label": month.label,
                "label_x": round(LEFT + index * group + group / 2, 2),
                "bars": [
                    b
                    for b in (
                        column(month.last_year, left, chart.last_year, month.name, LAST_YEAR_FILL),
                        column(month.this_year, left + bar + group * 0.04, chart.this_year, month.name, THIS_YEAR_FILL),
                    )
                    if b is not None
                ],
            }
        )
    ticks = []
    for index in range(int(top / step) + 1):
        value = step * index
        ticks.append({"y": round(baseline - float(value) * scale, 2), "label": _number(value)})
    return {
        "chart": chart,
        "dom_id": dom_id,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right_edge": WIDTH - RIGHT,
        "label_y": HEIGHT - 8,
        "tick_label_x": LEFT - 6,
        "months": months,
        "ticks": ticks,
        "this_fill": THIS_YEAR_FILL,
        "last_fill": LAST_YEAR_FILL,
    }
