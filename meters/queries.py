"""Reads for metering."""

from __future__ import annotations

import datetime as dt

from meters.models import GasConversionFactor, SupplyPoint


def gas_factors_on(*, supply_point: SupplyPoint, day: dt.date) -> GasConversionFactor | None:
    """The gas conversion factors valid on `day`: the supply point's own,
    else its network area's, else None."""
    own = (
        GasConversionFactor.objects.filter(supply_point=supply_point, valid_from__lte=day)
        .order_by("-valid_from", "-id")
        .first()
    )
    if own is not None or not supply_point.network_area:
        return own
    return (
        GasConversionFactor.objects.filter(
            supply_point__isnull=True, network_area=supply_point.network_area, valid_from__lte=day
        )
        .order_by("-valid_from", "-id")
        .first()
    )
