"""`export_collection_cases`: the approved hand-overs as CSV, each once."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from arrears.models import AgencyReferral, DunningCase
from arrears.services.dunning import dunning_run
from arrears.services.worklists import AGENCY_COLUMNS, DecisionRefused, referral_decide, referral_recall
from payments.models import PaymentMethod
from payments.services.payments import payment_record_manual
from tests.accounts.factories import staff_user
from tests.arrears.factories import overdue_account

pytestmark = pytest.mark.django_db

DUE = dt.date(2027, 1, 15)
EXPORTED = dt.datetime(2027, 3, 25, 10, 0, tzinfo=dt.UTC)  # the day the agency file is written


@pytest.fixture(autouse=True)
def _after_the_last_level():
    with time_machine.travel(EXPORTED, tick=False):
        yield


def handed_over(account) -> AgencyReferral:
    for n in (7, 21, 35, 63):
        dunning_run(as_of=DUE + dt.timedelta(days=n))
    referral = AgencyReferral.objects.get(case__account=account)
    return referral_decide(referral=referral, user=staff_user(group="Supervisors"), approve=True, note="")


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_the_export_lists_debtor_items_fees_and_notice_history_once(tmp_path, capsys):
    account = overdue_account(due_date=DUE, number="500000001")
    referral = handed_over(account)
    assert DunningCase.objects.get(account=account).status == DunningCase.Status.AGENCY

    target = tmp_path / "cases.csv"
    call_command("export_collection_cases", "--output", str(target))
    assert "1" in capsys.readouterr().out

    text = target.read_text(encoding="utf-8")
    assert text.splitlines()[0].split(";") == list(AGENCY_COLUMNS)
    [row] = rows(text)
    assert row["account_number"] == "500000001"
    assert row["item_open_amount"] == "238.00" and row["fees"] == "3.00" and row["total_claim"] == "241.00"
    assert row["notices"] == "1:2027-01-22, 2:2027-02-05, 3:2027-02-19"
    referral.refresh_from_db()
    assert referral.status == AgencyReferral.Status.EXPORTED and referral.exported_at is not None

    call_command("export_collection_cases")
    assert rows(capsys.readouterr().out) == []


def test_later_payments_are_reported_and_a_case_can_be_recalled(capsys):
    account = overdue_account(due_date=DUE)
    referral = handed_over(account)
    call_command("export_collection_cases")
    capsys.readouterr()

    payment_record_manual(
        account=account,
        amount=Decimal("100.00"),
        method=PaymentMethod.TRANSFER,
        received_on=dt.date.today(),
        created_by=None,
        as_of=dt.date.today(),
    )
    call_command("export_collection_cases", "--all")
    [row] = rows(capsys.readouterr().out)
    assert row["payments_since_handover"] == "100.00"

    referral_recall(referral=referral, user=staff_user(email="boss@example.com", group="Supervisors"), note="Paying")
    assert DunningCase.objects.get(account=account).status == DunningCase.Status.OPEN
    with pytest.raises(DecisionRefused):
        referral_recall(referral=referral, user=staff_user(email="boss2@example.com", group="Supervisors"), note="")
