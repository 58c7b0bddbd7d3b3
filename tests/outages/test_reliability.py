"""SAIDI, SAIFI and CAIDI on an example worked out by hand.

Electricity, 2026. Served on 31 December: 6 supplies in 10115 and 4 in
10117 = 10 (an 11th supply in 10115 ended on 30 November: affected in
June, not served).

  A unplanned 10115          60 min  7 affected   420 customer-minutes
  B unplanned 10117           2 min  (not counted: 3 minutes or less)
  C unplanned 10117           3 min  (not counted: 3 minutes or less)
  D unplanned 10117          30 min  4 affected   120
  E planned   10115 + 10117 120 min 11 affected  1320 (only with planned ones)

Unplanned: SAIDI = 540 / 10 = 54, SAIFI = 11 / 10 = 1.1, CAIDI = 540 / 11 = 49.0909…
With planned: SAIDI = 1860 / 10 = 186, SAIFI = 22 / 10 = 2.2, CAIDI = 1860 / 22 = 84.5454…
Area 10117 (unplanned): served 4; D only: SAIDI 120 / 4 = 30, SAIFI 1, CAIDI 30."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from outages.queries import reliability_figures
from outages.reliability import Event, reliability
from tests.outages.factories import at, interruption_make, supply_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_2026():
    for n in range(1, 7):
        supply_at(n, postcode="10115")
    for n in range(7, 11):
        supply_at(n, postcode="10117")
    supply_at(11, postcode="10115", end_date=dt.date(2026, 11, 30))
    start = at(2026, 6, 10, 8)
    interruption_make(postcodes=["10115"], started_at=start, ended_at=start + dt.timedelta(minutes=60))
    interruption_make(postcodes=["10117"], started_at=at(2026, 7, 1, 8), ended_at=at(2026, 7, 1, 8, 2))
    interruption_make(postcodes=["10117"], started_at=at(2026, 7, 2, 8), ended_at=at(2026, 7, 2, 8, 3))
    interruption_make(postcodes=["10117"], started_at=at(2026, 8, 1, 8), ended_at=at(2026, 8, 1, 8, 30))
    interruption_make(
        postcodes=["10115", "10117"],
        planned=True,
        cause="MAINTENANCE",
        started_at=at(2026, 9, 1, 8),
        ended_at=at(2026, 9, 1, 10),
    )


def test_unplanned_interruptions_longer_than_three_minutes_are_counted(year_2026):
    figures = reliability_figures(utility="ELECTRICITY", year=2026).figures

    assert figures.customers_served == 10
    assert figures.interruptions_counted == 2
    assert figures.saidi_minutes == Decimal("54")
    assert figures.saifi == Decimal("1.1")
    assert round(figures.caidi_minutes, 4) == Decimal("49.0909")


def test_planned_interruptions_are_counted_when_asked(year_2026):
    figures = reliability_figures(utility="ELECTRICITY", year=2026, include_planned=True).figures

    assert figures.interruptions_counted == 3
    assert figures.saidi_minutes == Decimal("186")
    assert figures.saifi == Decimal("2.2")
    assert round(figures.caidi_minutes, 4) == Decimal("84.5455")


def test_an_area_counts_its_own_customers_served_and_affected(year_2026):
    report = reliability_figures(utility="ELECTRICITY", year=2026, postcodes=["1011"])
    area = reliability_figures(utility="ELECTRICITY", year=2026, postcodes=["10117"])

    assert report.figures.saidi_minutes == Decimal("54")
    assert (area.figures.customers_served, area.figures.interruptions_counted) == (4, 1)
    assert (area.figures.saidi_minutes, area.figures.saifi, area.figures.caidi_minutes) == (30, 1, 30)
    assert [(row.customers, row.minutes, row.counted) for row in area.rows] == [
        (4, 2, False),
        (4, 3, False),
        (4, 30, True),
        (4, 120, False),
    ]


def test_the_command_prints_the_figures_as_json_rounded_to_two_places(year_2026):
    out = StringIO()
    call_command("reliability_report", "--year", "2026", "--utility", "electricity", stdout=out)

    assert json.loads(out.getvalue()) == {
        "utility": "electricity",
        "year": 2026,
        "customers_served": 10,
        "interruptions_counted": 2,
        "saidi_minutes": 54.0,
        "saifi": 1.1,
        "caidi_minutes": 49.09,
    }

    out = StringIO()
    call_command("reliability_report", "--year", "2026", "--include-planned", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["utility"] for line in lines] == ["electricity", "gas", "water", "internet"]
    assert (lines[0]["saidi_minutes"], lines[0]["caidi_minutes"]) == (186.0, 84.55)
    assert lines[1] == {
        "utility": "gas",
        "year": 2026,
        "customers_served": 0,
        "interruptions_counted": 0,
        "saidi_minutes": None,
        "saifi": None,
        "caidi_minutes": None,
    }


def test_nothing_counted_leaves_caidi_undefined():
    figures = reliability(served=5, events=[Event(planned=False, minutes=Decimal(3), customers=5)])

    assert (figures.saidi_minutes, figures.saifi, figures.caidi_minutes) == (0, 0, None)
