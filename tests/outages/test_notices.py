import datetime as dt

import pytest
from django.test import override_settings

from core.models import OutboxMessage
from outages.models import Interruption, Notice
from outages.services import interruption_update, planned_notices_send
from tests.outages.factories import at, interruption_make, supply_at

pytestmark = pytest.mark.django_db


def _outbox(template: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template=template).order_by("id"))


def test_an_unplanned_interruption_is_notified_once_when_logged_and_once_when_restored():
    first = supply_at(1, postcode="10115", language="de")
    second = supply_at(2, postcode="10115")
    interruption = interruption_make(started_at=at(2026, 6, 10, 8), now=at(2026, 6, 10, 8, 5))

    for minute, status in ((10, "CREW_ON_SITE"), (20, "INVESTIGATING"), (30, "CREW_ON_SITE")):
        interruption = interruption_update(
            interruption=interruption, status=status, note="still on it", now=at(2026, 6, 10, 8, minute)
        )
    assert not _outbox("outage_restored")
    interruption = interruption_update(
        interruption=interruption, ended_at=at(2026, 6, 10, 9, 40), note="fixed", now=at(2026, 6, 10, 9, 45)
    )
    interruption_update(interruption=interruption, note="report filed", now=at(2026, 6, 10, 10))

    logged = Notice.objects.filter(interruption=interruption, event=Notice.Event.LOGGED)
    restored = Notice.objects.filter(interruption=interruption, event=Notice.Event.RESTORED)
    customers = {first.account.customer_id, second.account.customer_id}
    assert set(logged.values_list("customer_id", flat=True)) == customers
    assert set(restored.values_list("customer_id", flat=True)) == customers
    assert interruption.status == Interruption.Status.RESTORED
    emails = [m for m in _outbox("outage_logged") if m.channel == "EMAIL"]
    assert len(emails) == 2
    german = next(m for m in emails if m.to_address == first.account.customer.email)
    assert german.language == "de"
    assert "Strom" in german.subject
    restored_mails = [m for m in _outbox("outage_restored") if m.channel == "EMAIL"]
    assert len(restored_mails) == 2
    assert all(m.recipient_id in customers for m in restored_mails)


def test_a_customer_with_two_supplies_in_the_area_gets_one_notice():
    agreement = supply_at(1, postcode="10115")
    supply_at(2, postcode="10115", account=agreement.account)

    interruption = interruption_make(started_at=at(2026, 6, 10, 8), now=at(2026, 6, 10, 8, 5))

    assert interruption.customers_affected == 2
    assert Notice.objects.filter(interruption=interruption).count() == 1
    assert len([m for m in _outbox("outage_logged") if m.channel == "EMAIL"]) == 1


@override_settings(OUTAGE_PLANNED_NOTICE_DAYS=3)
def test_planned_work_is_announced_the_lead_time_ahead_and_only_once():
    agreement = supply_at(1, postcode="10115")
    start = at(2026, 6, 20, 8)
    interruption = interruption_make(
        planned=True, cause="MAINTENANCE", started_at=start, expected_end_at=at(2026, 6, 20, 12), now=at(2026, 6, 10)
    )
    assert interruption.status == Interruption.Status.PLANNED
    assert not Notice.objects.exists()

    assert planned_notices_send(now=start - dt.timedelta(days=3, minutes=1)) == 0
    assert planned_notices_send(now=start - dt.timedelta(days=3)) == 1
    assert planned_notices_send(now=start - dt.timedelta(days=2)) == 0

    notice = Notice.objects.get()
    assert (notice.customer_id, notice.event) == (agreement.account.customer_id, Notice.Event.ANNOUNCED)
    assert notice.message.template == "outage_announced"


def test_planned_work_logged_inside_the_lead_time_is_announced_at_once_and_has_no_restored_notice():
    supply_at(1, postcode="10115")
    interruption = interruption_make(
        planned=True, cause="MAINTENANCE", started_at=at(2026, 6, 11, 8), now=at(2026, 6, 10)
    )

    interruption_update(interruption=interruption, ended_at=at(2026, 6, 11, 9), now=at(2026, 6, 11, 10))

    assert list(Notice.objects.values_list("event", flat=True)) == [Notice.Event.ANNOUNCED]


def test_a_cancelled_planned_interruption_is_not_announced():
    supply_at(1, postcode="10115")
    interruption = interruption_make(
        planned=True, cause="MAINTENANCE", started_at=at(2026, 6, 20, 8), now=at(2026, 6, 10)
    )
    interruption_update(interruption=interruption, status="CANCELLED", note="called off", now=at(2026, 6, 11))

    assert planned_notices_send(now=at(2026, 6, 18)) == 0
