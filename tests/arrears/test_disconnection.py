"""Disconnection (EnWG §41f for energy households) and the direct-debit retry."""

import datetime as dt
from decimal import Decimal

import pytest

from arrears.models import DisconnectionOrder, DunningHold, DunningNotice
from arrears.services.dunning import disconnection_allowed, dunning_run, earliest_disconnection
from arrears.services.holds import hold_put
from payments.models import SepaCollection
from tests.accounts.factories import SepaMandateFactory
from tests.arrears.factories import household, overdue_account
from tests.billing.factories import instalment, invoice_issued
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db

DUE = dt.date(2027, 1, 15)


def day(n: int) -> dt.date:
    return DUE + dt.timedelta(days=n)


def energy_household(gross: str = "238.00", **account):
    account = overdue_account(gross=gross, due_date=DUE, **account)
    supplied(account=account)
    return account


def run_to_threat(account) -> DunningNotice:
    for n in (7, 21, 35):
        dunning_run(as_of=day(n))
    return DunningNotice.objects.get(case__account=account, level=3)


def test_the_final_reminder_threatens_disconnection_and_offers_the_instalment_agreement():
    account = energy_household()

    notice = run_to_threat(account)

    assert notice.disconnection_threat is True
    assert notice.letter.name.endswith(".pdf")
    from core.models import OutboxMessage

    body = OutboxMessage.objects.filter(template="dunning_notice").order_by("-id").first().body
    assert "hardship" in body.lower() or "härte" in body.lower()


def test_no_threat_below_100_eur():
    account = energy_household(gross="99.99")

    assert run_to_threat(account).disconnection_threat is False


def test_no_threat_below_twice_the_monthly_instalment():
    account = energy_household(gross="238.00")
    instalment(account, amount=Decimal("120.00"), due_date=day(35))  # due on the run's day: not yet overdue

    assert run_to_threat(account).disconnection_threat is False


def test_disputed_amounts_do_not_count_towards_the_threshold():
    account = energy_household(gross="80.00")
    disputed = invoice_issued(account, gross=Decimal("200.00"), due_date=DUE)
    hold_put(invoice=disputed, reason=DunningHold.Reason.DISPUTE, source="ticket:T-9")

    notice = run_to_threat(account)

    # 80.00 (the level-2 fee falls due only with the deadline), not the 200.00 disputed
    assert notice.overdue_amount == Decimal("80.00")
    assert notice.disconnection_threat is False


def test_no_threat_for_a_business_customer():
    account = overdue_account(gross="900.00", due_date=DUE, customer_type="BUSINESS")

    allowed, reason = disconnection_allowed(
        account=account,
        arrears_amount=Decimal("900.00"),
        procedure=household(),
        utilities=["ELECTRICITY"],
        as_of=day(35),
    )
    assert (allowed, reason) == (False, "not a household customer")
    assert run_to_threat(account).disconnection_threat is False


def test_the_work_list_gets_the_account_only_four_weeks_after_the_threat():
    account = energy_household()
    threat = run_to_threat(account)

    dunning_run(as_of=threat.sent_on + dt.timedelta(days=27))
    assert not DisconnectionOrder.objects.exists()
    dunning_run(as_of=threat.sent_on + dt.timedelta(days=28))

    order = DisconnectionOrder.objects.get()
    assert (order.account, order.utility, order.status) == (account, "ELECTRICITY", DisconnectionOrder.Status.PROPOSED)
    assert order.threat == threat and order.arrears == Decimal("241.00")
    assert order.earliest_on >= threat.sent_on + dt.timedelta(weeks=4)
    dunning_run(as_of=threat.sent_on + dt.timedelta(days=29))
    assert DisconnectionOrder.objects.count() == 1


def test_the_announcement_counts_eight_working_days_without_weekends_and_german_holidays():
    procedure = household()
    # From Tue 22 Dec 2026: 23, 24, 28, 29, 30, 31 Dec, 4, 5 Jan (25/26 Dec and 1 Jan are holidays).
    earliest = earliest_disconnection(
        threat_sent_on=dt.date(2026, 11, 1), procedure=procedure, as_of=dt.date(2026, 12, 22)
    )
    assert earliest == dt.date(2027, 1, 5)
    # Four weeks after the threat win when they are later.
    later = earliest_disconnection(
        threat_sent_on=dt.date(2026, 12, 20), procedure=procedure, as_of=dt.date(2026, 12, 22)
    )
    assert later == dt.date(2027, 1, 17)


def test_with_a_mandate_the_overdue_amount_is_presented_again_at_most_twice():
    account = overdue_account(due_date=DUE, payment_method="SEPA")
    SepaMandateFactory(account=account)

    dunning_run(as_of=day(7))
    first = SepaCollection.objects.get(account=account)
    assert (first.amount, first.status) == (Decimal("238.00"), SepaCollection.Status.PLANNED)
    assert DunningNotice.objects.get(level=1).debit_presented_on == first.collection_date

    # The bank returns it for lack of funds: dunning goes on, and the amount is presented once more.
    SepaCollection.objects.filter(pk=first.pk).update(status=SepaCollection.Status.RETURNED, return_reason_code="AM04")
    dunning_run(as_of=day(21))
    SepaCollection.objects.exclude(pk=first.pk).update(status=SepaCollection.Status.RETURNED, return_reason_code="AM04")
    dunning_run(as_of=day(35))

    assert SepaCollection.objects.filter(account=account).count() == 2
    assert DunningNotice.objects.get(level=3).debit_presented_on is None


def test_no_retry_after_a_return_that_forbids_it():
    account = overdue_account(due_date=DUE, payment_method="SEPA")
    SepaMandateFactory(account=account)
    dunning_run(as_of=day(7))
    SepaCollection.objects.filter(account=account).update(
        status=SepaCollection.Status.RETURNED, return_reason_code="MD06"
    )

    dunning_run(as_of=day(21))

    assert SepaCollection.objects.filter(account=account).count() == 1
    assert DunningNotice.objects.get(level=2).debit_presented_on is None
