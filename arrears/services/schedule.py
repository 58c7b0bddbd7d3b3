"""A payment plan's schedule (DESIGN.md "Dunning and payment plans"): n
instalments of (debt - down payment), each that amount / n rounded down to
the cent, the last takes the remainder; due monthly from the first due date
on the same day of the month (the month's last day where it is shorter)."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_DOWN, Decimal

CENT = Decimal("0.01")


def month_same_day(first: dt.date, months: int) -> dt.date:
    """`first` moved on by `months` months, on the same day (or the month's last)."""
    index = first.month - 1 + months
    year, month = first.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(first.day, calendar.monthrange(year, month)[1]))


def plan_schedule(
    *, debt: Decimal, down_payment: Decimal, instalments: int, first_due: dt.date
) -> list[tuple[dt.date, Decimal]]:
    """(due date, amount) of each of the `instalments` instalments; they sum to debt - down payment exactly."""
    if instalments < 1:
        raise ValueError("a plan has at least one instalment")
    spread = debt - down_payment
    each = (spread / instalments).quantize(CENT, rounding=ROUND_DOWN)
    amounts = [each] * (instalments - 1) + [spread - each * (instalments - 1)]
    return [(month_same_day(first_due, index), amount) for index, amount in enumerate(amounts)]
