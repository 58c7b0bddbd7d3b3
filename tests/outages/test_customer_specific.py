"""A disconnection carried out, its reconnection and a completed meter
exchange are recorded as interruptions of the customer's supply point."""

import datetime as dt

import pytest
import time_machine

from arrears.models import DisconnectionOrder, DunningNotice
from arrears.services.dunning import dunning_run
from arrears.services.worklists import disconnection_carried_out, disconnection_decide, reconnection_record
from orders.services import order_complete, order_create_for_system
from outages.models import Interruption, Notice
from outages.queries import interruptions_of_customer, public_interruptions, reliability_figures
from tests.accounts.factories import staff_user
from tests.arrears.factories import overdue_account
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db

DUE = dt.date(2027, 1, 15)


def _travel(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC), tick=False)


def approved_disconnection(account, supervisor) -> DisconnectionOrder:
    for n in (7, 21, 35):
        dunning_run(as_of=DUE + dt.timedelta(days=n))
    threat = DunningNotice.objects.get(case__account=account, level=3)
    dunning_run(as_of=threat.sent_on + dt.timedelta(days=28))
    return disconnection_decide(
        order=DisconnectionOrder.objects.get(account=account),
        user=supervisor,
        approve=True,
        note="",
        as_of=threat.sent_on + dt.timedelta(days=29),
    )


def test_a_disconnection_and_its_reconnection_are_one_closed_interruption_of_the_supply_point():
    account = overdue_account(gross="238.00", due_date=DUE)
    agreement = supplied(account=account)
    supervisor = staff_user("supervisor@example.com", group="Supervisors")
    order = approved_disconnection(account, supervisor)
    off, on = order.planned_on, order.planned_on + dt.timedelta(days=3)

    with _travel(off):
        disconnection_carried_out(order=order, user=supervisor, on=off, as_of=off)
    interruption = Interruption.objects.get(reference=f"disconnection:{order.pk}")
    assert (interruption.account, interruption.supply_point) == (account, agreement.supply_point)
    assert (interruption.cause.code, interruption.planned, interruption.ended_at) == ("NON_PAYMENT", True, None)
    assert interruption.customers_affected == 1
    with _travel(off):
        assert public_interruptions(now=interruption.started_at + dt.timedelta(hours=1)) == []

    with _travel(on):
        reconnection_record(order=DisconnectionOrder.objects.get(pk=order.pk), user=supervisor, on=on, as_of=on)
    interruption.refresh_from_db()
    assert interruption.status == Interruption.Status.RESTORED
    assert interruption.ended_at - interruption.started_at == dt.timedelta(days=3)
    assert interruption.closed_at is not None
    assert not Notice.objects.exists()
    assert list(interruptions_of_customer(customer=account.customer)) == [interruption]
    assert reliability_figures(utility="ELECTRICITY", year=off.year, include_planned=True).rows == []


def test_a_completed_meter_exchange_is_an_interruption_once():
    account = overdue_account(gross="10.00", due_date=DUE)
    agreement = supplied(account=account)
    agent = staff_user()
    with _travel(DUE):
        order = order_create_for_system(
            account=account,
            product_code="METER_EXCHANGE",
            idempotency_key="mx",
            as_of=DUE,
            by=agent,
            supply_point=agreement.supply_point,
        )
        order_complete(order=order, by=agent)
        order_complete(order=order, by=agent)

    interruption = Interruption.objects.get()
    assert (interruption.reference, interruption.cause.code) == (f"order:{order.pk}", "METER_EXCHANGE")
    assert (interruption.account, interruption.supply_point) == (account, agreement.supply_point)
    assert interruption.status == Interruption.Status.RESTORED and interruption.closed_at is not None
