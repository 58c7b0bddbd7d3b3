"""Ending supply: the earliest end date, the request, the final read and the final bill."""

import datetime as dt
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import BillingPreferences
from billing.models import Invoice, InvoiceReading
from billing.services.invoicing import bill_account
from core.models import OutboxMessage
from meters.models import Read
from supply import tasks
from supply.models import ServiceAgreement
from supply.services import termination
from supply.services.termination import TerminationRefused, earliest_end
from tests.meters.factories import at, register_of
from tests.supply.factories import supplied, tariff_make

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
Status = ServiceAgreement.Status
MOVE_OUT = ServiceAgreement.EndReason.MOVE_OUT
NOTICE = ServiceAgreement.EndReason.NOTICE
TODAY = dt.date(2026, 6, 10)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(dt.datetime(2026, 6, 10, 10, 0, tzinfo=BERLIN), tick=False):
        yield


@pytest.fixture(autouse=True)
def no_delivery(settings):
    settings.BILLING_DELIVER_ON_ISSUE = False


@pytest.fixture
def agreement():
    """Electricity from 2026-01-01 (12 months minimum term, 4 weeks' notice), 1000 kWh at the start."""
    agreement = supplied(start_date=dt.date(2026, 1, 1), start_read="1000", annual="3650")
    BillingPreferences.objects.update_or_create(
        account=agreement.account, defaults={"frequency": "ANNUAL", "budget_billing": False}
    )
    return agreement


def terminate(agreement, end_date, reason=MOVE_OUT, as_of=TODAY, channel="PORTAL"):
    return termination.agreement_terminate(
        agreement=agreement, end_date=end_date, reason=reason, channel=channel, as_of=as_of
    )


# --- The earliest possible end date -------------------------------------------------------


def test_an_ordinary_termination_ends_no_earlier_than_the_minimum_term(agreement):
    assert earliest_end(agreement=agreement, reason=NOTICE, as_of=TODAY) == dt.date(2026, 12, 31)


def test_after_the_minimum_term_the_notice_period_counts_from_the_request(agreement):
    assert earliest_end(agreement=agreement, reason=NOTICE, as_of=dt.date(2027, 3, 1)) == dt.date(2027, 3, 29)


def test_a_tariff_without_minimum_term_ends_after_the_notice_period():
    tariff = tariff_make(code="STROM-FLEX", minimum_term_months=0, notice_period_weeks=2)
    agreement = supplied(start_date=dt.date(2026, 6, 1))
    ServiceAgreement.objects.filter(pk=agreement.pk).update(tariff=tariff)
    agreement.refresh_from_db()

    assert earliest_end(agreement=agreement, reason=NOTICE, as_of=TODAY) == dt.date(2026, 6, 24)


def test_a_move_out_date_may_lie_as_far_back_as_a_start_date(agreement, settings):
    settings.SUPPLY_START_MAX_DAYS_BACK = 42

    assert earliest_end(agreement=agreement, reason=MOVE_OUT, as_of=TODAY) == dt.date(2026, 4, 29)


def test_a_move_out_date_is_never_before_the_start_of_supply():
    agreement = supplied(start_date=dt.date(2026, 5, 15))

    assert earliest_end(agreement=agreement, reason=MOVE_OUT, as_of=TODAY) == dt.date(2026, 5, 15)


def test_the_bill_shows_the_same_next_cancellation_date(agreement):
    from billing.services.invoicing import _next_cancellation

    contract = _next_cancellation(agreement=agreement, as_of=TODAY)

    assert contract["earliest_end"] == "2026-12-31"
    assert contract["next_cancellation_date"] == "2026-12-03"


# --- The request ------------------------------------------------------------------------------


def test_a_move_out_sets_the_agreement_ending_and_confirms_by_mail(agreement):
    with mock.patch("core.departments.change_announce") as announce:
        ended = terminate(agreement, dt.date(2026, 6, 30))

    ended.refresh_from_db()
    assert (ended.status, ended.end_date, ended.end_reason, ended.end_channel) == (
        Status.ENDING,
        dt.date(2026, 6, 30),
        MOVE_OUT,
        "PORTAL",
    )
    assert ended.end_requested_at is not None
    message = OutboxMessage.objects.get(template="supply_ending")
    assert agreement.account.number in message.subject
    assert agreement.supply_point.identifier in message.body
    announce.assert_called_once()
    assert announce.call_args.kwargs["kind"] == "termination"
    assert announce.call_args.kwargs["account_number"] == agreement.account.number


def test_a_date_before_the_earliest_is_refused_naming_the_earliest_date(agreement):
    with pytest.raises(TerminationRefused) as refused:
        terminate(agreement, dt.date(2026, 9, 30), reason=NOTICE)

    assert refused.value.field == "end_date"
    assert refused.value.earliest_end == dt.date(2026, 12, 31)
    assert "12/31/2026" in str(refused.value) or "31.12.2026" in str(refused.value)
    agreement.refresh_from_db()
    assert (agreement.status, agreement.end_date) == (Status.ACTIVE, None)
    assert not OutboxMessage.objects.filter(template="supply_ending").exists()


def test_a_move_out_too_far_back_is_refused(agreement):
    with pytest.raises(TerminationRefused) as refused:
        terminate(agreement, dt.date(2026, 4, 28))

    assert refused.value.earliest_end == dt.date(2026, 4, 29)
    agreement.refresh_from_db()
    assert agreement.status == Status.ACTIVE


def test_ending_twice_is_refused(agreement):
    terminate(agreement, dt.date(2026, 6, 30))

    with pytest.raises(TerminationRefused, match="already ends"):
        terminate(agreement, dt.date(2026, 7, 31))


def test_all_supplies_of_an_account_end_together_or_not_at_all(agreement):
    water = supplied(2, account=agreement.account, utility="WATER", start_date=dt.date(2026, 6, 1))

    with pytest.raises(TerminationRefused):
        termination.account_terminate(
            account=agreement.account, end_date=dt.date(2026, 5, 31), reason=MOVE_OUT, channel="PHONE", as_of=TODAY
        )
    assert set(ServiceAgreement.objects.values_list("status", flat=True)) == {Status.ACTIVE}

    ended = termination.account_terminate(
        account=agreement.account, end_date=dt.date(2026, 6, 30), reason=MOVE_OUT, channel="PHONE", as_of=TODAY
    )

    assert {a.pk for a in ended} == {agreement.pk, water.pk}
    assert set(ServiceAgreement.objects.values_list("status", flat=True)) == {Status.ENDING}
    assert OutboxMessage.objects.filter(template="supply_ending").count() == 1


def test_an_unknown_reason_or_channel_saves_nothing(agreement):
    with pytest.raises(TerminationRefused):
        terminate(agreement, dt.date(2026, 6, 30), reason="BORED")
    with pytest.raises(TerminationRefused):
        terminate(agreement, dt.date(2026, 6, 30), channel="PIGEON")

    agreement.refresh_from_db()
    assert agreement.status == Status.ACTIVE


# --- The final read and the final bill ------------------------------------------------------------


def test_with_an_actual_final_read_the_final_bill_ends_on_the_end_date(agreement):
    terminate(agreement, dt.date(2026, 6, 30))
    Read.objects.create(
        register=register_of(agreement), taken_at=at(2026, 7, 1), value=Decimal("2810"), source="CUSTOMER"
    )

    assert termination.final_reads_estimate_due(as_of=dt.date(2026, 7, 20)) == []
    invoice = Invoice.objects.get(pk=bill_account(account=agreement.account, as_of=dt.date(2026, 7, 20)).invoice_id)

    assert invoice.kind == Invoice.Kind.FINAL
    assert (invoice.period_start, invoice.period_end) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    reading = InvoiceReading.objects.get(invoice=invoice)
    assert (reading.end_at, reading.end_value) == (at(2026, 7, 1), Decimal("2810"))
    assert not Read.objects.filter(source=Read.Source.ESTIMATED).exists()


def test_without_a_final_read_one_is_estimated_after_the_wait_and_billed(agreement, settings):
    settings.FINAL_READ_WAIT_DAYS = 7
    Read.objects.create(
        register=register_of(agreement), taken_at=at(2026, 6, 1), value=Decimal("2510"), source="CUSTOMER"
    )
    terminate(agreement, dt.date(2026, 6, 30))

    assert termination.final_reads_estimate_due(as_of=dt.date(2026, 7, 7)) == []
    with time_machine.travel(dt.datetime(2026, 7, 8, 0, 45, tzinfo=BERLIN), tick=False):
        first = tasks.estimate_final_reads()
    again = termination.final_reads_estimate_due(as_of=dt.date(2026, 7, 9))

    estimate = Read.objects.get(source=Read.Source.ESTIMATED)
    assert first == again == [estimate.pk]
    assert estimate.taken_at == at(2026, 7, 1)
    assert estimate.estimation == Read.Estimation.HISTORY
    # About 10 kWh a day from the history (the summer-time hour makes it a little more), 30 days on.
    assert Decimal("2810") < estimate.value < Decimal("2810.1")
    invoice = Invoice.objects.get(pk=bill_account(account=agreement.account, as_of=dt.date(2026, 7, 8)).invoice_id)
    assert invoice.kind == Invoice.Kind.FINAL
    assert invoice.period_end == dt.date(2026, 6, 30)
    reading = InvoiceReading.objects.get(invoice=invoice)
    assert reading.end_value == estimate.value
    assert reading.end_method.startswith("estimated")


def test_the_final_bill_waits_for_a_final_read_that_arrives_two_days_after_the_end(agreement, settings):
    settings.FINAL_READ_WAIT_DAYS = 7
    terminate(agreement, dt.date(2026, 6, 30))

    waiting = bill_account(account=agreement.account, as_of=dt.date(2026, 7, 1))
    Read.objects.create(
        register=register_of(agreement), taken_at=at(2026, 7, 1), value=Decimal("2810"), source="CUSTOMER"
    )
    outcome = bill_account(account=agreement.account, as_of=dt.date(2026, 7, 2))

    assert waiting.invoice_id is None
    invoice = Invoice.objects.get(pk=outcome.invoice_id)
    assert (invoice.kind, invoice.period_end) == (Invoice.Kind.FINAL, dt.date(2026, 6, 30))
    reading = InvoiceReading.objects.get(invoice=invoice)
    assert (reading.end_at, reading.end_value, reading.end_method) == (at(2026, 7, 1), Decimal("2810"), "read")


def test_without_any_final_read_the_final_bill_estimates_once_the_wait_is_over(agreement, settings):
    settings.FINAL_READ_WAIT_DAYS = 7
    terminate(agreement, dt.date(2026, 6, 30))

    waiting = [bill_account(account=agreement.account, as_of=dt.date(2026, 7, day)).invoice_id for day in (1, 5, 8)]
    outcome = bill_account(account=agreement.account, as_of=dt.date(2026, 7, 9))

    assert waiting == [None, None, None]
    invoice = Invoice.objects.get(pk=outcome.invoice_id)
    assert (invoice.kind, invoice.period_end) == (Invoice.Kind.FINAL, dt.date(2026, 6, 30))
    assert InvoiceReading.objects.get(invoice=invoice).end_method.startswith("estimated")


def test_the_wait_for_the_final_read_never_passes_the_six_weeks_for_the_final_bill(agreement, settings):
    settings.FINAL_READ_WAIT_DAYS = 60
    terminate(agreement, dt.date(2026, 6, 30))

    assert bill_account(account=agreement.account, as_of=dt.date(2026, 8, 10)).invoice_id is None
    outcome = bill_account(account=agreement.account, as_of=dt.date(2026, 8, 11))

    assert Invoice.objects.get(pk=outcome.invoice_id).kind == Invoice.Kind.FINAL


def test_a_final_read_after_the_end_date_needs_no_estimate(agreement):
    terminate(agreement, dt.date(2026, 6, 30))
    Read.objects.create(
        register=register_of(agreement), taken_at=at(2026, 7, 3), value=Decimal("2830"), source="CUSTOMER"
    )

    assert termination.final_reads_estimate_due(as_of=dt.date(2026, 8, 1)) == []
    assert not Read.objects.filter(source=Read.Source.ESTIMATED).exists()
