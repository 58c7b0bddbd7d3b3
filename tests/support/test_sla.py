import datetime as dt

import pytest

from support.models import BusinessHours, SlaRule, SupportSettings, Ticket
from support.sla import (
    BusinessCalendar,
    NoBusinessHours,
    business_calendar,
    business_hours_add,
    business_hours_between,
    complaint_deadline,
    sla_due_times,
    sla_rule_for,
)
from tests.support.factories import BERLIN, berlin

CALENDAR = BusinessCalendar(time_zone=BERLIN)


def test_hours_left_on_friday_carry_over_the_weekend():
    due = business_hours_add(start=berlin(2026, 3, 6, 16, 0), hours=4, calendar=CALENDAR)

    assert due == berlin(2026, 3, 9, 10, 0)


def test_a_ticket_received_before_opening_counts_from_the_opening():
    assert business_hours_add(start=berlin(2026, 3, 9, 6, 30), hours=1, calendar=CALENDAR) == berlin(2026, 3, 9, 9, 0)
    assert business_hours_add(start=berlin(2026, 3, 7, 12, 0), hours=1, calendar=CALENDAR) == berlin(2026, 3, 9, 9, 0)


def test_a_ticket_received_after_closing_counts_from_the_next_working_day():
    assert business_hours_add(start=berlin(2026, 3, 9, 19, 0), hours=10, calendar=CALENDAR) == berlin(
        2026, 3, 10, 18, 0
    )


def test_easter_holidays_are_skipped():
    # Good Friday (3 April 2026) and Easter Monday (6 April) are national holidays.
    due = business_hours_add(start=berlin(2026, 4, 2, 17, 0), hours=2, calendar=CALENDAR)

    assert due == berlin(2026, 4, 7, 9, 0)


def test_a_state_holiday_counts_only_in_that_state():
    # Corpus Christi (4 June 2026) is a holiday in Bavaria, not in Berlin.
    start = berlin(2026, 6, 3, 17, 0)

    in_berlin = business_hours_add(
        start=start, hours=2, calendar=BusinessCalendar(time_zone=BERLIN, holiday_state="BE")
    )
    in_bavaria = business_hours_add(
        start=start, hours=2, calendar=BusinessCalendar(time_zone=BERLIN, holiday_state="BY")
    )

    assert in_berlin == berlin(2026, 6, 4, 9, 0)
    assert in_bavaria == berlin(2026, 6, 5, 9, 0)


def test_the_spring_dst_change_keeps_full_opening_hours_in_local_time():
    # Clocks go forward on Sunday 29 March 2026; Monday still opens at 08:00 local time (06:00 UTC).
    due = business_hours_add(start=berlin(2026, 3, 27, 17, 0), hours=2, calendar=CALENDAR)

    assert due == berlin(2026, 3, 30, 9, 0)
    assert due.astimezone(dt.UTC) == dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)


def test_the_autumn_dst_change_keeps_full_opening_hours_in_local_time():
    # Clocks go back on Sunday 25 October 2026.
    due = business_hours_add(start=berlin(2026, 10, 23, 12, 0), hours=16, calendar=CALENDAR)

    assert due == berlin(2026, 10, 26, 18, 0)
    assert due.astimezone(dt.UTC) == dt.datetime(2026, 10, 26, 17, 0, tzinfo=dt.UTC)


def test_business_time_between_two_moments_skips_nights_weekends_and_holidays():
    elapsed = business_hours_between(start=berlin(2026, 4, 2, 17, 0), end=berlin(2026, 4, 7, 10, 30), calendar=CALENDAR)

    assert elapsed == dt.timedelta(hours=3, minutes=30)


def test_a_calendar_without_working_days_is_refused():
    with pytest.raises(NoBusinessHours):
        business_hours_add(
            start=berlin(2026, 3, 2, 9, 0), hours=1, calendar=BusinessCalendar(time_zone=BERLIN, hours={})
        )


@pytest.mark.django_db
def test_business_hours_and_state_come_from_the_admin_settings():
    BusinessHours.objects.create(weekday=5, opens=dt.time(9, 0), closes=dt.time(13, 0))
    SupportSettings.objects.update_or_create(pk=1, defaults={"holiday_state": "BY"})

    calendar = business_calendar()

    # Only Saturday mornings are configured: Friday evening + 2 hours is Saturday 11:00.
    assert business_hours_add(start=berlin(2026, 3, 6, 17, 0), hours=2, calendar=calendar) == berlin(2026, 3, 7, 11, 0)
    assert calendar.holiday_state == "BY"


@pytest.mark.django_db
def test_the_most_specific_active_rule_wins():
    SlaRule.objects.create(kind="", priority="", first_response_business_hours=8, resolution_business_hours=40)
    SlaRule.objects.create(kind="", priority="HIGH", first_response_business_hours=4, resolution_business_hours=24)
    complaint = SlaRule.objects.create(
        kind="COMPLAINT", priority="", first_response_business_hours=6, resolution_business_hours=60
    )
    SlaRule.objects.create(
        kind="COMPLAINT",
        priority="HIGH",
        first_response_business_hours=2,
        resolution_business_hours=16,
        is_active=False,
    )

    assert sla_rule_for(kind="COMPLAINT", priority="HIGH") == complaint
    assert sla_rule_for(kind="INQUIRY", priority="HIGH").first_response_business_hours == 4
    assert sla_rule_for(kind="INQUIRY", priority="LOW").first_response_business_hours == 8


@pytest.mark.django_db
def test_due_times_follow_the_rule_in_business_hours():
    SlaRule.objects.create(kind="", priority="", first_response_business_hours=4, resolution_business_hours=20)

    due = sla_due_times(kind=Ticket.Kind.INQUIRY, priority="NORMAL", received_at=berlin(2026, 3, 6, 16, 0))

    assert due.first_response_due_at == berlin(2026, 3, 9, 10, 0)
    assert due.resolution_due_at == berlin(2026, 3, 10, 16, 0)


@pytest.mark.django_db
def test_the_complaint_deadline_is_four_weeks_from_the_local_day_of_receipt():
    # 23:30 in Berlin is already the 31st locally, though still the 31st 21:30 UTC.
    assert complaint_deadline(received_at=berlin(2026, 3, 31, 23, 30)) == dt.date(2026, 4, 28)
    SupportSettings.objects.filter(pk=1).update(complaint_deadline_days=14)
    assert complaint_deadline(received_at=berlin(2026, 3, 31, 23, 30)) == dt.date(2026, 4, 14)
