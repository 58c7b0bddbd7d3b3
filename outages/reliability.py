"""Reliability figures (DESIGN.md "Interruptions and reliability figures"),
a pure function of plain data.

For one utility, area and year:

- customers served: supply points with an active agreement of the utility
  on the last day of the year (in the area);
- counted: the unplanned interruptions (planned ones too when asked) that
  lasted longer than 3 minutes, each with the supply points it affected
  (in the area) and its minutes;
- SAIDI = Σ (customers affected × minutes) / customers served;
- SAIFI = Σ customers affected / customers served;
- CAIDI = SAIDI / SAIFI (the average minutes an affected customer waited).

Nothing is rounded here; the figures are Decimals, rounded to 2 places only
when shown. With no customers served the three figures are None, and CAIDI
is None when nothing was counted (0 / 0)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

MINIMUM_MINUTES = Decimal(3)


@dataclass(frozen=True)
class Event:
    """One interruption as the figures see it."""

    planned: bool
    minutes: Decimal
    customers: int


@dataclass(frozen=True)
class Figures:
    customers_served: int
    interruptions_counted: int
    customer_minutes: Decimal
    customers_interrupted: int
    saidi_minutes: Decimal | None
    saifi: Decimal | None
    caidi_minutes: Decimal | None


def is_counted(event: Event, *, include_planned: bool = False) -> bool:
    """Unplanned (or any, with `include_planned`) and longer than 3 minutes."""
    return (include_planned or not event.planned) and event.minutes > MINIMUM_MINUTES


def reliability(*, served: int, events: Sequence[Event], include_planned: bool = False) -> Figures:
    counted = [event for event in events if is_counted(event, include_planned=include_planned)]
    customer_minutes = sum((event.customers * event.minutes for event in counted), start=Decimal(0))
    customers = sum(event.customers for event in counted)
    if served <= 0:
        saidi = saifi = caidi = None
    else:
        saidi = customer_minutes / served
        saifi = Decimal(customers) / served
        caidi = saidi / saifi if saifi else None
    return Figures(
        customers_served=served,
        interruptions_counted=len(counted),
        customer_minutes=customer_minutes,
        customers_interrupted=customers,
        saidi_minutes=saidi,
        saifi=saifi,
        caidi_minutes=caidi,
    )
