"""Moving house: the old supply ends on E, the new one starts on E+1, and the
bills have neither a gap nor a day charged twice."""

import datetime as dt
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import BillingPreferences
from billing.models import Invoice, InvoiceLine
from billing.services.invoicing import bill_account
from core.models import OutboxMessage
from meters.models import Read
from meters.services import PremiseData
from supply.models import ServiceAgreement
from supply.services.agreements import SupplySetupError, agreement_activate, agreement_confirm
from supply.services.termination import TerminationRefused, move_submit
from tests.meters.factories import at, register_of
from tests.supply.factories import request_for, supplied

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
Status = ServiceAgreement.Status
TODAY = dt.date(2026, 6, 10)
MOVE_OUT = dt.date(2026, 6, 30)
NEW_HOME = PremiseData(street="Bergmannstraße", house_number="5", postcode="10961", city="Berlin")


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BILLING_DELIVER_ON_ISSUE = False


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(dt.datetime(2026, 6, 10, 10, 0, tzinfo=BERLIN), tick=False):
        yield


@pytest.fixture
def old_supply():
    agreement = supplied(start_date=dt.date(2026, 1, 1), start_read="1000", annual="3650")
    BillingPreferences.objects.update_or_create(
        account=agreement.account, defaults={"frequency": "ANNUAL", "budget_billing": False}
    )
    return agreement


def move(old_supply, *, start_date=MOVE_OUT + dt.timedelta(days=1), move_out_date=MOVE_OUT):
    return move_submit(
        account=old_supply.account,
        agreements=[old_supply],
        move_out_date=move_out_date,
        premise=NEW_HOME,
        requests=[
            request_for(old_supply.tariff, n=2, start_date=start_date, start_reads={"1-0:1.8.0": Decimal("500")})
        ],
        channel="PORTAL",
        as_of=TODAY,
    )


def test_a_move_ends_the_old_supply_and_requests_the_new_one_from_the_next_day(old_supply):
    with mock.patch("core.departments.change_announce") as announce:
        moved = move(old_supply)

    (ended,) = moved.ended
    (started,) = moved.started
    assert (ended.status, ended.end_date) == (Status.ENDING, MOVE_OUT)
    assert (started.status, started.start_date) == (Status.REQUESTED, dt.date(2026, 7, 1))
    assert started.supply_point.premise.street == "Bergmannstraße"
    assert announce.call_args.kwargs["kind"] == "move"
    assert set(OutboxMessage.objects.values_list("template", flat=True)) >= {"supply_ending", "supply_requested"}


def test_a_new_start_that_leaves_a_gap_or_overlaps_is_refused_and_nothing_is_saved(old_supply):
    for start in (dt.date(2026, 7, 2), MOVE_OUT):
        with pytest.raises(SupplySetupError, match="day after the move-out date"):
            move(old_supply, start_date=start)

    old_supply.refresh_from_db()
    assert old_supply.status == Status.ACTIVE
    assert ServiceAgreement.objects.count() == 1
    assert not OutboxMessage.objects.filter(template__in=["supply_ending", "supply_requested"]).exists()


def test_a_refused_move_out_date_also_leaves_the_new_supply_unrequested(old_supply):
    with pytest.raises(TerminationRefused):
        move(old_supply, move_out_date=dt.date(2026, 3, 1), start_date=dt.date(2026, 3, 2))

    assert ServiceAgreement.objects.count() == 1


def test_the_bill_across_the_move_charges_every_day_once(old_supply):
    moved = move(old_supply)
    (new_supply,) = moved.started
    agreement_confirm(agreement=new_supply)
    agreement_activate(agreement_id=new_supply.pk, as_of=dt.date(2026, 7, 1))
    Read.objects.create(
        register=register_of(old_supply), taken_at=at(2026, 7, 1), value=Decimal("2810"), source="CUSTOMER"
    )
    Read.objects.create(
        register=register_of(new_supply), taken_at=at(2027, 1, 1), value=Decimal("2340"), source="SMART"
    )

    outcome = bill_account(account=old_supply.account, as_of=dt.date(2027, 1, 5))

    invoice = Invoice.objects.get(pk=outcome.invoice_id)
    assert (invoice.period_start, invoice.period_end) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    standing = list(
        invoice.lines.filter(kind=InvoiceLine.Kind.STANDING_CHARGE)
        .order_by("period_start")
        .values_list("supply_point", "period_start", "period_end", "quantity")
    )
    assert standing == [
        (old_supply.supply_point.identifier, dt.date(2026, 1, 1), MOVE_OUT, Decimal("181")),
        (new_supply.supply_point.identifier, dt.date(2026, 7, 1), dt.date(2026, 12, 31), Decimal("184")),
    ]
    assert sum(row[3] for row in standing) == 365
    consumption = dict(invoice.lines.filter(kind=InvoiceLine.Kind.CONSUMPTION).values_list("supply_point", "quantity"))
    assert consumption == {
        old_supply.supply_point.identifier: Decimal("1810"),
        new_supply.supply_point.identifier: Decimal("1840"),
    }
