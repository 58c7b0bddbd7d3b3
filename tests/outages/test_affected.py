import datetime as dt

import pytest

from meters.models import Utility
from outages.models import AffectedSupply
from outages.services import interruption_update
from tests.outages.factories import at, interruption_make, supply_at

pytestmark = pytest.mark.django_db


def test_supplies_in_the_postcode_with_an_agreement_during_the_interruption_are_affected():
    inside = supply_at(1, postcode="10115")
    supply_at(2, postcode="10115", start_date=dt.date(2026, 6, 11))  # starts the day after
    supply_at(3, postcode="10115", end_date=dt.date(2026, 6, 9))  # ended the day before
    supply_at(4, postcode="20095")  # elsewhere
    supply_at(5, postcode="10115", utility=Utility.GAS)  # another utility
    ended_on_the_day = supply_at(6, postcode="10115", end_date=dt.date(2026, 6, 10))

    interruption = interruption_make(postcodes=["10115"], started_at=at(2026, 6, 10, 8), ended_at=at(2026, 6, 10, 9))

    assert interruption.customers_affected == 2
    assert set(AffectedSupply.objects.filter(interruption=interruption).values_list("agreement_id", flat=True)) == {
        inside.pk,
        ended_on_the_day.pk,
    }


def test_named_supply_points_are_affected_wherever_they_are():
    named = supply_at(1, postcode="80331")
    supply_at(2, postcode="80331")
    later = supply_at(3, postcode="80331", start_date=dt.date(2026, 7, 1))

    interruption = interruption_make(
        postcodes=[], supply_points=[named.supply_point, later.supply_point], started_at=at(2026, 6, 10, 8)
    )

    assert list(AffectedSupply.objects.filter(interruption=interruption).values_list("agreement_id", flat=True)) == [
        named.pk
    ]
    assert interruption.customers_affected == 1


def test_widening_the_area_adds_the_customers_there():
    supply_at(1, postcode="10115")
    supply_at(2, postcode="10117")
    interruption = interruption_make(postcodes=["10115"], started_at=at(2026, 6, 10, 8))

    interruption = interruption_update(
        interruption=interruption, postcodes=["10115", "10117"], note="bigger", now=at(2026, 6, 10, 9)
    )

    assert interruption.customers_affected == 2
