"""A bank change and the direct debits in flight: a collection already in a
written file stays with the old mandate; one asked for but not yet in a file,
and every later run, use the new mandate (as its first collection)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from accounts.changes import Requested, bank_account_change
from billing.models import LedgerEntry
from payments.models import SepaCollection
from payments.services.sepa import sepa_collect, sepa_collection_request
from tests.accounts.factories import account_with
from tests.billing.factories import invoice_issued

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 4, 1)
OTHER_IBAN = "DE02120300000000202051"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_collections_in_a_file_keep_the_old_mandate_and_waiting_ones_move_to_the_new():
    account = account_with("100000041", "Lena", "Schulz", direct_debit=True)
    old = account.mandates.get()
    invoice_issued(account, number="RE2026-000106", gross=Decimal("60.00"), due_date=dt.date(2026, 4, 10))
    in_file = sepa_collect(as_of=AS_OF).batch.collections.get()
    later = invoice_issued(account, number="RE2026-000107", gross=Decimal("30.00"), due_date=dt.date(2026, 5, 10))
    entry = LedgerEntry.objects.get(invoice=later)
    waiting = sepa_collection_request(
        account=account, mandate=old, items=[(entry, Decimal("30.00"))], as_of=dt.date(2026, 4, 20), tag="T1"
    )
    assert waiting.sequence_type == SepaCollection.SequenceType.RECURRING

    with time_machine.travel(dt.datetime(2026, 4, 20, 9, tzinfo=dt.UTC), tick=False):
        change = bank_account_change(
            account=account, iban=OTHER_IBAN, account_holder="Lena Schulz", consent=True, requested=Requested(by=None)
        )

    in_file.refresh_from_db()
    waiting.refresh_from_db()
    assert in_file.mandate == old
    assert waiting.mandate == change.mandate
    assert waiting.sequence_type == SepaCollection.SequenceType.FIRST
    old.refresh_from_db()
    assert old.revoked_on == dt.date(2026, 4, 20)
