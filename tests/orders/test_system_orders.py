"""Orders the system creates: the reconnection fee after an approved
disconnection (arrears answers the rule), a meter exchange an agent asks for."""

import datetime as dt

import pytest
import time_machine

from arrears.models import DisconnectionOrder, DunningNotice
from arrears.services.dunning import dunning_run
from arrears.services.worklists import disconnection_decide
from orders.models import Order
from orders.services import OrderRefused, order_create_for_system
from tests.accounts.factories import staff_user
from tests.arrears.factories import overdue_account
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db

DUE = dt.date(2027, 1, 15)


def approved_disconnection(account) -> DisconnectionOrder:
    for n in (7, 21, 35):
        dunning_run(as_of=DUE + dt.timedelta(days=n))
    threat = DunningNotice.objects.get(case__account=account, level=3)
    dunning_run(as_of=threat.sent_on + dt.timedelta(days=28))
    return disconnection_decide(
        order=DisconnectionOrder.objects.get(account=account),
        user=staff_user("supervisor@example.com", group="Supervisors"),
        approve=True,
        note="",
        as_of=threat.sent_on + dt.timedelta(days=29),
    )


def test_the_reconnection_fee_is_ordered_by_the_system_only_after_an_approved_disconnection():
    account = overdue_account(gross="238.00", due_date=DUE)
    supplied(account=account)
    with pytest.raises(OrderRefused):
        order_create_for_system(account=account, product_code="RECONNECTION", idempotency_key="rc", as_of=DUE)

    disconnection = approved_disconnection(account)
    today = disconnection.planned_on + dt.timedelta(days=3)
    with time_machine.travel(dt.datetime.combine(today, dt.time(9), tzinfo=dt.UTC), tick=False):
        order = order_create_for_system(account=account, product_code="RECONNECTION", idempotency_key="rc", as_of=today)
        again = order_create_for_system(account=account, product_code="RECONNECTION", idempotency_key="rc", as_of=today)

    assert order.channel == Order.Channel.SYSTEM and order.status == Order.Status.CONFIRMED
    assert order.invoice.gross_total == order.gross_total and again.pk == order.pk


def test_an_agent_orders_a_meter_exchange_for_the_customer():
    account = overdue_account(gross="10.00", due_date=DUE)
    agent = staff_user()

    order = order_create_for_system(
        account=account, product_code="METER_EXCHANGE", idempotency_key="mx", as_of=DUE, by=agent, note="meter stuck"
    )

    assert (order.channel, order.created_by, order.status) == (Order.Channel.AGENT, agent, Order.Status.CONFIRMED)
