import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from arrears.models import DunningHold
from arrears.services.holds import (
    account_holds,
    active_holds,
    hold_put,
    hold_release,
    hold_release_one,
    invoice_dunning_paused,
    invoice_holds,
)
from tests.accounts.factories import AccountFactory
from tests.billing.factories import invoice_make

pytestmark = pytest.mark.django_db

AS_OF = timezone.make_aware(dt.datetime(2027, 2, 1, 9, 0))


def test_an_invoice_hold_takes_the_invoices_account_and_is_put_once_per_source():
    invoice = invoice_make()

    hold, created = hold_put(invoice=invoice, reason=DunningHold.Reason.DISPUTE, source="ticket:T-1", note="Wrong read")
    again, created_again = hold_put(invoice=invoice, reason=DunningHold.Reason.DISPUTE, source="ticket:T-1")

    assert (created, created_again, again) == (True, False, hold)
    assert hold.account_id == invoice.account_id
    assert invoice_dunning_paused(invoice=invoice)
    assert list(account_holds(account=invoice.account)) == [hold]


def test_releasing_an_invoice_hold_ends_the_pause_and_keeps_it_as_history():
    invoice = invoice_make()
    hold_put(invoice=invoice, reason=DunningHold.Reason.DISPUTE, source="ticket:T-1")

    released = hold_release(invoice=invoice, source="ticket:T-1", as_of=AS_OF)

    assert released == 1
    assert not invoice_dunning_paused(invoice=invoice)
    assert not invoice_holds(invoice=invoice).exists()
    assert invoice_holds(invoice=invoice, include_released=True).get().released_at == AS_OF


def test_an_account_hold_exists_once_per_source_even_after_it_was_released():
    account = AccountFactory()
    hold, _created = hold_put(account=account, reason=DunningHold.Reason.DIRECT_DEBIT_RETURNED, source="payment:7")
    hold_release(account=account, source="payment:7", as_of=AS_OF)

    again, created = hold_put(account=account, reason=DunningHold.Reason.DIRECT_DEBIT_RETURNED, source="payment:7")

    assert (again, created) == (hold, False)
    assert not account_holds(account=account).exists()
    assert account_holds(account=account, include_released=True).count() == 1


def test_a_hold_is_on_an_invoice_or_on_an_account():
    invoice = invoice_make()

    with pytest.raises(TypeError):
        hold_put(invoice=invoice, account=invoice.account, reason=DunningHold.Reason.AGENT, source="agent:1")
    with pytest.raises(TypeError):
        hold_put(reason=DunningHold.Reason.AGENT, source="agent:1")


def test_a_hold_with_an_end_date_ends_by_itself_after_that_day():
    account = AccountFactory()
    hold, _created = hold_put(
        account=account, reason=DunningHold.Reason.AGENT, source="agent:1", until=dt.date(2027, 2, 10)
    )

    assert hold in active_holds(as_of=dt.date(2027, 2, 10))
    assert hold not in active_holds(as_of=dt.date(2027, 2, 11))


def test_an_agent_releases_one_hold_once():
    account = AccountFactory()
    hold, _created = hold_put(account=account, reason=DunningHold.Reason.VULNERABLE, source="agent:2")

    assert hold_release_one(hold=hold, as_of=AS_OF) is True
    assert hold_release_one(hold=hold, as_of=AS_OF) is False
    assert not active_holds(as_of=dt.date(2027, 2, 1)).filter(pk=hold.pk).exists()


def test_the_database_refuses_a_second_active_hold_from_the_same_source():
    invoice = invoice_make()
    DunningHold.objects.create(
        account=invoice.account, invoice=invoice, reason=DunningHold.Reason.DISPUTE, source="ticket:T-1"
    )
    DunningHold.objects.create(account=invoice.account, reason=DunningHold.Reason.CHARGEBACK, source="payment:9")

    with pytest.raises(IntegrityError), transaction.atomic():
        DunningHold.objects.create(
            account=invoice.account, invoice=invoice, reason=DunningHold.Reason.DISPUTE, source="ticket:T-1"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        DunningHold.objects.create(account=invoice.account, reason=DunningHold.Reason.CHARGEBACK, source="payment:9")
