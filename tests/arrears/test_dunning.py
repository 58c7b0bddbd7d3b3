"""The daily dunning run: levels, skipping rules, fees, interest, the case
closing on payment, and the commands. Dates are frozen by `as_of`."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from arrears.models import AgencyReferral, BaseRate, DunningCase, DunningHold, DunningNotice
from arrears.services.dunning import dunning_run
from arrears.services.holds import hold_put
from arrears.services.interest import BaseRates, interest_amount
from billing.models import LedgerEntry
from core.models import OutboxMessage
from payments.models import PaymentMethod
from payments.services.payments import payment_record_manual
from tests.arrears.factories import business, household, overdue_account
from tests.billing.factories import invoice_issued

pytestmark = pytest.mark.django_db

DUE = dt.date(2027, 1, 15)


def day(n: int) -> dt.date:
    """The day `n` days after the bill's due date."""
    return DUE + dt.timedelta(days=n)


def notices(account) -> list[tuple[int, dt.date, Decimal]]:
    return list(
        DunningNotice.objects.filter(case__account=account).order_by("level").values_list("level", "sent_on", "fee")
    )


def test_each_level_goes_out_once_on_its_day_and_a_second_run_sends_nothing(django_capture_on_commit_callbacks):
    account = overdue_account(due_date=DUE)

    waiting = dunning_run(as_of=day(6)).lines
    assert [(line.action, line.detail) for line in waiting] == [("wait", f"level 1 from {day(7).isoformat()}")]
    for n in (7, 7, 8, 20, 21, 21, 27, 35, 40):
        with django_capture_on_commit_callbacks(execute=True):
            dunning_run(as_of=day(n))

    assert notices(account) == [
        (1, day(7), Decimal("0.00")),
        (2, day(21), Decimal("1.50")),
        (3, day(35), Decimal("1.50")),
    ]
    fees = LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.FEE)
    assert sorted(fees.values_list("amount", flat=True)) == [Decimal("1.50"), Decimal("1.50")]
    mails = OutboxMessage.objects.filter(template="dunning_notice", channel="EMAIL")
    assert mails.count() == 3
    assert all(mail.attachments.count() == 1 for mail in mails)
    first = mails.order_by("id").first()
    assert "238,00" in first.body or "238.00" in first.body
    assert "/arrears/pay/" in first.body


def test_levels_are_never_skipped_and_wait_seven_days_after_the_last_notice():
    account = overdue_account(due_date=DUE)

    dunning_run(as_of=day(30))  # 30 days late: level 1 first, not level 2
    dunning_run(as_of=day(31))
    dunning_run(as_of=day(37))

    assert [(level, sent) for level, sent, _fee in notices(account)] == [(1, day(30)), (2, day(37))]


def test_the_last_level_waits_for_a_supervisor_and_is_not_sent():
    account = overdue_account(due_date=DUE)
    for n in (7, 21, 35, 63, 70):
        dunning_run(as_of=day(n))

    referral = AgencyReferral.objects.get(case__account=account)
    assert referral.status == AgencyReferral.Status.PROPOSED
    assert referral.amount == Decimal("241.00")  # the bill and the two overdue fees
    assert [level for level, _sent, _fee in notices(account)] == [1, 2, 3]


def test_a_dry_run_says_what_would_happen_and_saves_nothing():
    overdue_account(due_date=DUE)

    result = dunning_run(as_of=day(7), dry_run=True)

    assert [line.action for line in result.lines] == ["notice"]
    assert not DunningCase.objects.exists() and not OutboxMessage.objects.exists()


def test_below_the_minimum_nothing_is_sent_and_the_reason_is_kept():
    account = overdue_account(gross="4.99", due_date=DUE)

    result = dunning_run(as_of=day(10))

    assert result.lines[0].action == "skip" and "4.99" in result.lines[0].detail
    assert notices(account) == []


def test_a_disputed_bill_is_skipped_while_another_overdue_bill_is_dunned():
    account = overdue_account(due_date=DUE)
    disputed = account.invoices.get()
    hold_put(invoice=disputed, reason=DunningHold.Reason.DISPUTE, source="ticket:T-1")

    result = dunning_run(as_of=day(7))
    assert result.lines[0].action == "skip" and "dispute" in result.lines[0].detail.lower()

    invoice_issued(account, gross=Decimal("50.00"), due_date=day(1))
    dunning_run(as_of=day(8))  # the new bill is only 7 days late
    notice = DunningNotice.objects.get(case__account=account)
    assert notice.overdue_amount == Decimal("50.00")
    assert [item["reference"] for item in notice.items] != [disputed.number]


def test_an_agents_hold_skips_the_account_until_its_end_date_then_dunning_resumes():
    account = overdue_account(due_date=DUE)
    hold_put(account=account, reason=DunningHold.Reason.AGENT, source="agent:1", until=day(10))

    skipped = dunning_run(as_of=day(7))
    assert skipped.lines[0].action == "skip" and day(10).isoformat() in skipped.lines[0].detail
    dunning_run(as_of=day(11))

    assert [(level, sent) for level, sent, _fee in notices(account)] == [(1, day(11))]


def test_a_vulnerable_customer_gets_no_reminder_and_agents_see_why():
    account = overdue_account(due_date=DUE)
    dunning_run(as_of=day(7))
    hold_put(account=account, reason=DunningHold.Reason.VULNERABLE, source="agent:2")

    dunning_run(as_of=day(21))

    case = DunningCase.objects.get(account=account)
    assert (case.level, case.skip_reason) == (1, str(DunningHold.Reason.VULNERABLE.label))


def test_the_case_closes_when_the_money_arrives_and_a_later_overdue_bill_opens_a_new_case_at_level_one(
    django_capture_on_commit_callbacks,
):
    account = overdue_account(due_date=DUE)
    dunning_run(as_of=day(7))
    dunning_run(as_of=day(21))
    fee_total = Decimal("1.50")

    payment_record_manual(
        account=account,
        amount=Decimal("238.00") + fee_total,
        method=PaymentMethod.TRANSFER,
        received_on=day(23),
        created_by=None,
        as_of=day(23),
        reference="T-1",
    )

    case = DunningCase.objects.get(account=account)
    assert (case.status, case.closed_on) == (DunningCase.Status.CLOSED, max(day(23), dt.date.today()))
    assert dunning_run(as_of=day(35)).lines == []

    invoice_issued(account, gross=Decimal("80.00"), due_date=day(60))
    dunning_run(as_of=day(67))
    new = DunningCase.objects.exclude(pk=case.pk).get(account=account)
    assert (new.status, new.level) == (DunningCase.Status.OPEN, 1)


def test_default_interest_across_a_base_rate_change_to_the_cent():
    """Business: 1000.00 due 2026-05-01, interest from day 31 (2026-06-01);
    run on 2026-07-11 books 2026-06-01..2026-07-10: 30 days at 1.27 + 9 and
    10 days at 2.00 + 9 (a test rate from 1 July):
    1000 x (30 x 10.27 + 10 x 11.00) / 100 / 365 = 11.4548 -> 11.45."""
    BaseRate.objects.update_or_create(valid_from=dt.date(2026, 7, 1), defaults={"rate": Decimal("2.00")})
    account = overdue_account(gross="1000.00", due_date=dt.date(2026, 5, 1), customer_type="BUSINESS")

    dunning_run(as_of=dt.date(2026, 7, 11))
    dunning_run(as_of=dt.date(2026, 7, 11))

    interest = LedgerEntry.objects.get(account=account, kind=LedgerEntry.Kind.INTEREST)
    assert interest.amount == Decimal("11.45")
    assert interest.key.endswith(":2026-07-10")

    dunning_run(as_of=dt.date(2026, 7, 21))  # ten more days at 11.00: 3.0137 -> 3.01
    amounts = sorted(
        LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.INTEREST).values_list("amount", flat=True)
    )
    assert amounts == [Decimal("3.01"), Decimal("11.45")]


def test_interest_counts_each_day_at_its_own_rate_and_a_payment_lowers_it_from_its_day():
    rates = BaseRates([(dt.date(2026, 1, 1), Decimal("1.27")), (dt.date(2026, 7, 1), Decimal("-0.88"))])
    entry = LedgerEntry(amount=Decimal("500.00"))

    whole = interest_amount(
        entry=entry, first_day=dt.date(2026, 6, 30), last_day=dt.date(2026, 7, 1), points=Decimal("5"), rates=rates
    )
    # 500 x 6.27 / 100 / 365 + 500 x 4.12 / 100 / 365 = 0.0859 + 0.0564 = 0.1423
    assert whole == Decimal("0.14")
    paid = interest_amount(
        entry=entry,
        first_day=dt.date(2026, 6, 1),
        last_day=dt.date(2026, 6, 30),
        points=Decimal("5"),
        rates=rates,
        payments=[(dt.date(2026, 6, 16), Decimal("500.00"))],
    )
    # 15 days open: 500 x 6.27 x 15 / 100 / 365 = 1.2884
    assert paid == Decimal("1.29")


def test_households_pay_no_interest_by_default():
    account = overdue_account(gross="1000.00", due_date=dt.date(2026, 5, 1))

    dunning_run(as_of=dt.date(2026, 7, 11))

    assert not LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.INTEREST).exists()


def test_a_business_pays_the_flat_fee_once_per_invoice_at_level_two_and_no_dunning_fee():
    account = overdue_account(gross="300.00", due_date=DUE, customer_type="BUSINESS")
    invoice_issued(account, gross=Decimal("100.00"), due_date=DUE)
    assert business().flat_fee == Decimal("40.00")

    for n in (7, 21, 35):
        dunning_run(as_of=day(n))

    fees = LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.FEE)
    assert sorted(fees.values_list("amount", flat=True)) == [Decimal("40.00"), Decimal("40.00")]
    assert DunningNotice.objects.get(case__account=account, level=2).fee == Decimal("80.00")
    assert DunningNotice.objects.get(case__account=account, level=3).fee == Decimal("0.00")


def test_the_procedure_numbers_are_admin_settings():
    procedure = household()
    level = procedure.levels.get(number=1)
    level.days_after_due = 3
    level.fee = Decimal("0.90")
    level.save()
    account = overdue_account(due_date=DUE)

    dunning_run(as_of=day(3))

    assert notices(account) == [(1, day(3), Decimal("0.90"))]


def test_the_command_prints_one_line_per_account_and_a_summary(capsys):
    overdue_account(due_date=DUE, number="400000001")
    overdue_account(gross="3.00", due_date=DUE, number="400000002")

    call_command("dunning_run", "--as-of", day(7).isoformat(), "--dry-run")

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("400000001") and "notice" in out[0]
    assert out[1].startswith("400000002") and "skip" in out[1]
    assert "2" in out[-1] and "notice: 1" in out[-1]
    assert not DunningNotice.objects.exists()
