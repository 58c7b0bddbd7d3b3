"""Gas conversion factors: a supply point's own, else its network area's."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from meters import services
from meters.models import GasConversionFactor, Utility
from meters.queries import gas_factors_on

pytestmark = pytest.mark.django_db

PREMISE = services.PremiseData(street="Gasweg", house_number="1", postcode="10969", city="Berlin")


def gas_point(identifier="41373559241", network_area="Berlin"):
    premise = services.premise_get_or_create(data=PREMISE)
    return services.supply_point_get_or_create(
        premise=premise, utility=Utility.GAS, identifier=identifier, network_area=network_area
    )


def area_factor(area, valid_from, state_number="0.9636", calorific_value="11.210"):
    return GasConversionFactor.objects.create(
        network_area=area,
        valid_from=valid_from,
        state_number=Decimal(state_number),
        calorific_value=Decimal(calorific_value),
    )


def own_factor(supply_point, valid_from, state_number="0.9500", calorific_value="11.500"):
    return GasConversionFactor.objects.create(
        supply_point=supply_point,
        valid_from=valid_from,
        state_number=Decimal(state_number),
        calorific_value=Decimal(calorific_value),
    )


def test_the_network_area_factor_applies_when_the_supply_point_has_none():
    point = gas_point()
    berlin = area_factor("Berlin", dt.date(2026, 1, 1))
    area_factor("München", dt.date(2026, 1, 1), calorific_value="11.380")

    assert gas_factors_on(supply_point=point, day=dt.date(2026, 3, 1)) == berlin


def test_the_supply_points_own_factor_beats_the_area():
    point = gas_point()
    area_factor("Berlin", dt.date(2026, 1, 1))
    own = own_factor(point, dt.date(2026, 7, 1))

    assert gas_factors_on(supply_point=point, day=dt.date(2026, 7, 1)) == own
    assert gas_factors_on(supply_point=point, day=dt.date(2027, 1, 1)) == own


def test_before_its_own_factor_starts_the_supply_point_uses_the_area():
    point = gas_point()
    berlin = area_factor("Berlin", dt.date(2026, 1, 1))
    own_factor(point, dt.date(2026, 7, 1))

    assert gas_factors_on(supply_point=point, day=dt.date(2026, 6, 30)) == berlin


def test_the_latest_factor_started_on_or_before_the_day_applies():
    point = gas_point()
    area_factor("Berlin", dt.date(2026, 1, 1), calorific_value="11.210")
    later = area_factor("Berlin", dt.date(2026, 10, 1), calorific_value="11.150")

    assert gas_factors_on(supply_point=point, day=dt.date(2026, 9, 30)).calorific_value == Decimal("11.210")
    assert gas_factors_on(supply_point=point, day=dt.date(2026, 10, 1)) == later


def test_no_factor_before_the_first_one():
    point = gas_point()
    area_factor("Berlin", dt.date(2026, 1, 1))

    assert gas_factors_on(supply_point=point, day=dt.date(2025, 12, 31)) is None


def test_a_supply_point_without_area_and_own_factors_has_none():
    point = gas_point(network_area="")
    area_factor("Berlin", dt.date(2026, 1, 1))

    assert gas_factors_on(supply_point=point, day=dt.date(2026, 3, 1)) is None


def test_another_supply_points_factor_is_not_used():
    point = gas_point()
    neighbour = gas_point(identifier="51234567895")
    own_factor(neighbour, dt.date(2026, 1, 1))

    assert gas_factors_on(supply_point=point, day=dt.date(2026, 3, 1)) is None


def test_a_factor_is_for_a_supply_point_or_an_area_not_both():
    point = gas_point()

    with pytest.raises(IntegrityError), transaction.atomic():
        GasConversionFactor.objects.create(
            supply_point=point,
            network_area="Berlin",
            valid_from=dt.date(2026, 1, 1),
            state_number=Decimal("0.95"),
            calorific_value=Decimal("11.2"),
        )


def test_one_area_factor_per_date():
    area_factor("Berlin", dt.date(2026, 1, 1))

    with pytest.raises(IntegrityError), transaction.atomic():
        area_factor("Berlin", dt.date(2026, 1, 1), calorific_value="11.000")
