"""Payment plans: the schedule to the cent, the rules, consent, and what
happens when instalments are paid or missed."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.models import DunningCase, DunningHold, DunningNotice, PaymentPlan
from arrears.services.dunning import dunning_run
from arrears.services.plans import PlanRefused, plan_accept, plan_progress, plan_propose
from arrears.services.schedule import month_same_day, plan_schedule
from core.models import OutboxMessage
from payments.models import PaymentMethod, SepaCollection
from payments.services.payments import payment_record_manual
from tests.accounts.factories import SepaMandateFactory
from tests.arrears.factories import overdue_account

DUE = dt.date(2027, 1, 15)


def day(n: int) -> dt.date:
    return DUE + dt.timedelta(days=n)


@settings(max_examples=300, deadline=None)
@given(
    debt=st.decimals(min_value=Decimal("1.00"), max_value=Decimal("99999.99"), places=2),
    share=st.integers(min_value=0, max_value=90),
    instalments=st.integers(min_value=1, max_value=24),
    first_due=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2030, 12, 31)),
)
def test_a_schedule_sums_to_the_debt_to_the_cent(debt, share, instalments, first_due):
    down_payment = (debt * share / 100).quantize(Decimal("0.01"))
    schedule = plan_schedule(debt=debt, down_payment=down_payment, instalments=instalments, first_due=first_due)

    amounts = [amount for _due, amount in schedule]
    assert sum(amounts) + down_payment == debt
    assert len(schedule) == instalments
    assert len(set(amounts[:-1])) <= 1 and all(amount.as_tuple().exponent == -2 for amount in amounts)
    assert 0 <= amounts[-1] - amounts[0] < Decimal("0.01") * instalments
    assert [due for due, _amount in schedule] == [month_same_day(first_due, k) for k in range(instalments)]


def test_instalments_are_rounded_down_the_last_takes_the_rest_and_month_ends_are_kept():
    schedule = plan_schedule(
        debt=Decimal("1000.00"), down_payment=Decimal("100.00"), instalments=7, first_due=dt.date(2027, 1, 31)
    )

    assert [amount for _due, amount in schedule] == [Decimal("128.57")] * 6 + [Decimal("128.58")]
    assert [due for due, _amount in schedule][:4] == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
        dt.date(2027, 4, 30),
    ]
    assert month_same_day(dt.date(2027, 11, 30), 3) == dt.date(2028, 2, 29)


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("gross", "instalments", "down", "first_due", "rule"),
    [
        ("238.00", 5, "0", day(20), "instalments_out_of_range"),
        ("238.00", 19, "0", day(20), "instalments_out_of_range"),
        ("450.00", 11, "0", day(20), "instalments_out_of_range"),
        ("450.00", 25, "0", day(20), "instalments_out_of_range"),
        ("238.00", 6, "238.00", day(20), "down_payment_too_high"),
        ("238.00", 6, "-1", day(20), "down_payment_invalid"),
        ("238.00", 6, "1.234", day(20), "down_payment_invalid"),
        ("238.00", 6, "0", day(9), "first_due_in_past"),
        ("238.00", 6, "0", day(10 + 32), "first_due_too_late"),
    ],
)
def test_a_plan_outside_the_rules_is_refused_with_the_rule_and_nothing_is_saved(
    gross, instalments, down, first_due, rule
):
    account = overdue_account(gross=gross, due_date=DUE)

    with pytest.raises(PlanRefused) as refused:
        plan_propose(account=account, instalments=instalments, down_payment=down, first_due=first_due, as_of=day(10))

    assert refused.value.rule == rule and str(refused.value)
    assert not PaymentPlan.objects.exists()


def test_an_account_with_nothing_overdue_cannot_propose_a_plan():
    account = overdue_account(due_date=DUE)

    with pytest.raises(PlanRefused) as refused:
        plan_propose(account=account, instalments=6, down_payment="0", first_due=DUE, as_of=DUE)

    assert refused.value.rule == "no_arrears"


def test_12_to_24_instalments_above_300_eur():
    account = overdue_account(gross="450.00", due_date=DUE)

    plan = plan_propose(account=account, instalments=12, down_payment="50.00", first_due=day(20), as_of=day(10))

    rows = list(plan.instalments.order_by("number").values_list("number", "amount"))
    assert rows[0] == (0, Decimal("50.00"))
    assert [amount for _n, amount in rows[1:]] == [Decimal("33.33")] * 11 + [Decimal("33.37")]
    assert plan.total == Decimal("450.00") and plan.status == PaymentPlan.Status.PROPOSED


def _active_plan(account, *, as_of=None, instalments=6, first_due=None):
    as_of = as_of or day(10)
    plan = plan_propose(
        account=account, instalments=instalments, down_payment="0", first_due=first_due or as_of, as_of=as_of
    )
    return plan_accept(
        plan=plan, name="Erika Mustermann", consent=True, channel="PORTAL", ip="203.0.113.9", as_of=as_of
    )


def test_accepting_records_the_consent_pauses_dunning_of_its_items_and_mails_the_signed_agreement():
    account = overdue_account(due_date=DUE)
    dunning_run(as_of=day(7))
    plan = plan_propose(account=account, instalments=6, down_payment="0", first_due=day(20), as_of=day(10))

    with pytest.raises(PlanRefused) as refused:
        plan_accept(plan=plan, name="Erika Mustermann", consent=False, channel="PORTAL", as_of=day(10))
    assert refused.value.rule == "consent_missing"
    plan = plan_accept(
        plan=plan, name="  Erika   Mustermann ", consent=True, channel="PORTAL", ip="203.0.113.9", as_of=day(10)
    )

    assert (plan.status, plan.accepted_name, plan.accepted_ip, plan.consent) == (
        PaymentPlan.Status.ACTIVE,
        "Erika Mustermann",
        "203.0.113.9",
        "PORTAL",
    )
    assert plan.accepted_at is not None and plan.agreement.name.endswith(".pdf")
    assert plan.resume_level == 1
    assert DunningCase.objects.get(account=account).status == DunningCase.Status.PLAN
    assert DunningHold.objects.filter(source=f"plan:{plan.pk}", released_at=None).count() == 1
    mail = OutboxMessage.objects.get(template="payment_plan_active")
    assert mail.attachments.get().filename.endswith(".pdf")

    result = dunning_run(as_of=day(21))
    assert ("skip", "payment plan") in [(line.action, line.detail.split(": ")[-1]) for line in result.lines]
    assert DunningNotice.objects.filter(case__account=account).count() == 1


def test_a_missed_instalment_gets_a_reminder_then_after_the_grace_period_the_plan_breaks_and_dunning_resumes():
    account = overdue_account(due_date=DUE)
    dunning_run(as_of=day(7))
    plan = _active_plan(account, first_due=day(20))
    first = plan.instalments.get(number=1)

    dunning_run(as_of=day(21))
    assert plan.instalments.get(number=1).reminded_on == day(21)
    assert OutboxMessage.objects.filter(template="payment_plan_reminder").count() == 1
    dunning_run(as_of=day(22))
    assert OutboxMessage.objects.filter(template="payment_plan_reminder").count() == 1

    dunning_run(as_of=first.due_date + dt.timedelta(days=14))
    assert PaymentPlan.objects.get(pk=plan.pk).status == PaymentPlan.Status.ACTIVE
    dunning_run(as_of=first.due_date + dt.timedelta(days=15))

    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.BROKEN
    assert OutboxMessage.objects.filter(template="payment_plan_broken").count() == 1
    assert not DunningHold.objects.filter(source=f"plan:{plan.pk}", released_at=None).exists()
    # Dunning resumes in the same run where it stood: level 1 was sent, level 2 follows.
    case = DunningCase.objects.get(account=account)
    assert (case.status, case.level) == (DunningCase.Status.OPEN, 2)
    assert list(DunningNotice.objects.filter(case=case).order_by("level").values_list("level", flat=True)) == [1, 2]


def test_paid_instalments_count_in_order_and_a_paid_plan_closes_with_its_case():
    account = overdue_account(due_date=DUE)
    dunning_run(as_of=day(7))
    plan = _active_plan(account, first_due=day(20))

    payment_record_manual(
        account=account,
        amount=Decimal("50.00"),
        method=PaymentMethod.TRANSFER,
        received_on=day(19),
        created_by=None,
        as_of=day(19),
    )
    progress = plan_progress(plan=plan, as_of=day(21))
    assert [row.status for row in progress.instalments][:3] == ["paid", "part", "upcoming"]
    assert progress.paid == Decimal("50.00") and progress.next.instalment.number == 2

    payment_record_manual(
        account=account,
        amount=Decimal("188.00"),
        method=PaymentMethod.TRANSFER,
        received_on=day(25),
        created_by=None,
        as_of=day(25),
    )
    result = dunning_run(as_of=day(26))

    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.PAID
    assert [line.action for line in result.lines] == ["plan", "closed"]
    assert DunningCase.objects.get(account=account).status == DunningCase.Status.CLOSED
    assert OutboxMessage.objects.filter(template="payment_plan_paid").count() == 1


def test_instalments_of_a_plan_are_collected_by_direct_debit_where_there_is_a_mandate():
    account = overdue_account(due_date=DUE, payment_method="SEPA")
    SepaMandateFactory(account=account)
    plan = _active_plan(account, first_due=day(30))

    dunning_run(as_of=day(16))
    dunning_run(as_of=day(17))

    collection = SepaCollection.objects.get(account=account)
    assert collection.amount == plan.instalments.get(number=1).amount == Decimal("39.66")
    assert collection.status == SepaCollection.Status.PLANNED and collection.collection_date >= day(30)
    assert plan.instalments.get(number=1).collected_on == collection.collection_date
    assert OutboxMessage.objects.filter(template="sepa_prenotification").count() == 1
