from decimal import Decimal

import pytest

from billing.models import LedgerEntry
from billing.services.ledger import account_balance
from outages.models import Cause, Charge, ChargeRule
from outages.services import InterruptionRefused, interruption_close, interruption_update
from tests.outages.factories import at, interruption_make, supply_at

pytestmark = pytest.mark.django_db


def _rules():
    compensation = ChargeRule.objects.create(
        kind=ChargeRule.Kind.CREDIT,
        name_de="Entschädigung",
        name_en="Compensation",
        utility="ELECTRICITY",
        applies_to=ChargeRule.AppliesTo.UNPLANNED,
        min_duration_hours=Decimal("4"),
        amount=Decimal("20.00"),
    )
    fee = ChargeRule.objects.create(
        kind=ChargeRule.Kind.FEE,
        name_de="Gebühr",
        name_en="Fee",
        cause=Cause.objects.get(code="THIRD_PARTY_DAMAGE"),
        amount=Decimal("35.50"),
    )
    ChargeRule.objects.create(
        kind=ChargeRule.Kind.CREDIT, name_de="Gas", name_en="Gas", utility="GAS", amount=Decimal("99.00")
    )
    return compensation, fee


def _outage_entries(account):
    return list(LedgerEntry.objects.filter(account=account, key__startswith="outage:").order_by("id"))


def test_fees_and_credits_are_booked_once_and_closing_again_after_an_edit_books_the_difference():
    compensation, fee = _rules()
    agreement = supply_at(1, postcode="10115")
    account = agreement.account
    interruption = interruption_make(
        cause="THIRD_PARTY_DAMAGE", started_at=at(2026, 6, 10, 8), ended_at=at(2026, 6, 10, 13), now=at(2026, 6, 10, 14)
    )

    first = interruption_close(interruption=interruption, as_of=at(2026, 6, 10).date())
    again = interruption_close(interruption=interruption, as_of=at(2026, 6, 11).date())

    assert (first.fees, first.credits) == (Decimal("35.50"), Decimal("20.00"))
    assert again.charges == []
    entries = _outage_entries(account)
    assert sorted(e.amount for e in entries) == [Decimal("-20.00"), Decimal("35.50")]
    assert all(e.reference == f"INT-{interruption.pk}" and e.kind == LedgerEntry.Kind.FEE for e in entries)
    assert account_balance(account=account) == Decimal("15.50")

    # The crew's report: supply came back after three hours, not five.
    interruption = interruption_update(
        interruption=interruption, ended_at=at(2026, 6, 10, 11), note="corrected", now=at(2026, 6, 12)
    )
    corrected = interruption_close(interruption=interruption, as_of=at(2026, 6, 12).date())
    interruption_close(interruption=interruption, as_of=at(2026, 6, 13).date())

    assert [(c.rule_id, c.amount, c.sequence) for c in corrected.charges] == [(compensation.pk, Decimal("20.00"), 2)]
    assert len(_outage_entries(account)) == 3
    assert account_balance(account=account) == Decimal("35.50")
    assert Charge.objects.filter(interruption=interruption, rule=fee).count() == 1


def test_an_interruption_still_going_on_cannot_be_closed():
    _rules()
    supply_at(1, postcode="10115")
    interruption = interruption_make(started_at=at(2026, 6, 10, 8), now=at(2026, 6, 10, 9))

    with pytest.raises(InterruptionRefused):
        interruption_close(interruption=interruption, as_of=at(2026, 6, 10).date())
    assert not LedgerEntry.objects.filter(key__startswith="outage:").exists()


def test_a_planned_interruption_gets_no_unplanned_compensation():
    _rules()
    agreement = supply_at(1, postcode="10115")
    interruption = interruption_make(
        planned=True,
        cause="MAINTENANCE",
        started_at=at(2026, 6, 10, 8),
        ended_at=at(2026, 6, 10, 18),
        now=at(2026, 6, 10, 19),
    )

    result = interruption_close(interruption=interruption, as_of=at(2026, 6, 10).date())

    assert result.charges == []
    assert _outage_entries(agreement.account) == []
