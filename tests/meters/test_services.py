import datetime as dt
from decimal import Decimal

import pytest

from core import clock
from meters import services
from meters.models import Meter, Read, Register, Utility

pytestmark = pytest.mark.django_db

PREMISE = services.PremiseData(street="Lindenstraße", house_number="12", postcode="10969", city="Berlin")


def supply_point(utility=Utility.ELECTRICITY, identifier="41373559241"):
    premise = services.premise_get_or_create(data=PREMISE)
    return services.supply_point_get_or_create(premise=premise, utility=utility, identifier=identifier)


def test_the_same_address_is_one_premise():
    first = services.premise_get_or_create(data=PREMISE)
    second = services.premise_get_or_create(data=services.PremiseData(" Lindenstraße", "12 ", "10969", "Berlin"))

    assert first == second


def test_a_market_location_id_with_spaces_is_normalised():
    point = supply_point(identifier="4137 3559 241")

    assert point.identifier == "41373559241"


@pytest.mark.parametrize("identifier", ["41373559242", "4137355924", "01373559241", "4137355924X"])
def test_a_bad_market_location_id_is_refused(identifier):
    with pytest.raises(services.InvalidSupplyPointId, match="11 digits"):
        supply_point(identifier=identifier)


def test_water_and_internet_take_their_own_connection_ids():
    assert supply_point(Utility.WATER, "W-4711").identifier == "W-4711"
    with pytest.raises(services.InvalidSupplyPointId):
        supply_point(Utility.INTERNET, "")


def test_a_meter_gets_the_utilitys_default_register():
    meter = services.meter_install(supply_point=supply_point(), serial="1EMH0012345", installed_on=dt.date(2026, 1, 1))

    assert [r.obis for r in meter.registers.all()] == ["1-0:1.8.0"]
    assert meter.registers.get().unit == "KWH"


def test_a_dual_rate_meter_gets_both_registers_once():
    point = supply_point()
    for _ in range(2):
        services.meter_install(
            supply_point=point, serial="1EMH1", installed_on=dt.date(2026, 1, 1), obis_codes=["1-0:1.8.1", "1-0:1.8.2"]
        )

    assert Meter.objects.count() == 1
    assert sorted(Register.objects.values_list("obis", flat=True)) == ["1-0:1.8.1", "1-0:1.8.2"]


def test_a_meter_installed_elsewhere_is_refused():
    services.meter_install(supply_point=supply_point(), serial="1EMH1", installed_on=dt.date(2026, 1, 1))
    other = supply_point(Utility.ELECTRICITY, "10000000009")

    with pytest.raises(services.MeterBelongsElsewhere):
        services.meter_install(supply_point=other, serial="1EMH1", installed_on=dt.date(2026, 1, 1))


def test_a_read_is_stored_once():
    meter = services.meter_install(supply_point=supply_point(), serial="1EMH1", installed_on=dt.date(2026, 1, 1))
    register = meter.registers.get()
    taken_at = clock.start_of_day(dt.date(2026, 3, 29))

    for _ in range(2):
        services.read_record(register=register, taken_at=taken_at, value=Decimal("1234.5"), source=Read.Source.CUSTOMER)

    read = Read.objects.get()
    assert read.value == Decimal("1234.500")
    # 00:00 in Berlin on the day the clocks change is still winter time (UTC+1).
    assert read.taken_at == dt.datetime(2026, 3, 28, 23, 0, tzinfo=dt.UTC)
