"""Settling an account after its final bill: a credit refunded to the IBAN on
file (in the pain.001 file) or to the card, a debt collected by direct debit
or dunned, the closing letter, the mandate revoked when nothing is left, and
the account closed when every supply has ended and the balance is zero."""

import datetime as dt
import io
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import Account, SepaMandate
from arrears.models import DunningCase
from arrears.services.dunning import dunning_run
from billing.models import LedgerEntry
from billing.services.ledger import account_balance
from core.models import OutboxAttachment, OutboxMessage
from payments.models import Payment, PaymentMethod, Refund, RefundBatch, SepaCollection, Settlement
from payments.services.payments import payment_book, payment_external
from payments.services.refund_files import refund_batch_mark_downloaded, refund_batch_mark_sent, refund_file_write
from payments.services.sepa import sepa_batch_confirm, sepa_collect
from payments.services.settlement import settlements_run
from supply.models import ServiceAgreement
from tests.accounts.factories import VALID_IBAN, staff_user
from tests.payments.settlement_setup import ended_account, final_bill
from tests.supply.factories import pdf_text, supplied

pytestmark = pytest.mark.django_db

RUN_DAY = dt.date(2026, 7, 7)
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


@pytest.fixture(autouse=True)
def _no_delivery(settings):
    settings.BILLING_DELIVER_ON_ISSUE = False
    settings.STRIPE_SECRET_KEY = ""


def _paid_ahead(account, amount: str, *, method=PaymentMethod.TRANSFER) -> Payment:
    payment, _created = payment_external(
        account=account,
        amount=Decimal(amount),
        received_on=dt.date(2026, 6, 1),
        reference=f"AHEAD-{account.number}",
        method=method,
        as_of=dt.date(2026, 6, 1),
    )
    return payment


def _card_payment(account, amount: str) -> Payment:
    payment = Payment.objects.create(
        account=account,
        amount=Decimal(amount),
        method=PaymentMethod.CARD,
        provider="sandbox",
        provider_ref=f"sandbox_pay_{account.number}",
        source="CHECKOUT",
        received_on=dt.date(2026, 6, 2),
    )
    return payment_book(payment=payment, as_of=dt.date(2026, 6, 2))


def _mandate(account) -> SepaMandate:
    return SepaMandate.objects.filter(account=account).order_by("id").last()


def test_a_credit_is_refunded_to_the_iban_on_file_and_written_into_the_pain001_file():
    account, _agreement = ended_account()
    _paid_ahead(account, "1000.00")
    invoice = final_bill(account)
    credit = Decimal("1000.00") - invoice.gross_total

    settlements_run(as_of=RUN_DAY)

    refund = Refund.objects.get(account=account)
    assert refund.method == Refund.Method.SEPA_TRANSFER and refund.amount == credit
    assert refund.iban == VALID_IBAN and refund.status == Refund.Status.PENDING
    entry = LedgerEntry.objects.get(account=account, kind=LedgerEntry.Kind.REFUND)
    assert entry.amount == credit and account_balance(account=account) == Decimal("0.00")
    settlement = Settlement.objects.get(account=account)
    assert settlement.balance == -credit
    assert settlement.refund_due_on == invoice.issue_date + dt.timedelta(days=14)

    batch = refund_file_write(as_of=RUN_DAY)

    root = ET.fromstring(batch.file.open("rb").read())
    transfers = root.findall(".//p:CdtTrfTxInf", NS)
    assert len(transfers) == 1
    assert transfers[0].find("p:Amt/p:InstdAmt", NS).text == f"{credit:.2f}"
    assert transfers[0].find("p:CdtrAcct/p:Id/p:IBAN", NS).text == VALID_IBAN
    assert transfers[0].find("p:PmtId/p:EndToEndId", NS).text == f"REFUND-{refund.pk}"
    assert batch.total == credit and batch.count == 1
    refund.refresh_from_db()
    assert refund.batch == batch


def test_each_refund_goes_into_one_file_once():
    account, _agreement = ended_account()
    _paid_ahead(account, "1000.00")
    final_bill(account)
    settlements_run(as_of=RUN_DAY)

    first = refund_file_write(as_of=RUN_DAY)
    second = refund_file_write(as_of=RUN_DAY + dt.timedelta(days=1))

    assert first is not None and second is None
    assert RefundBatch.objects.count() == 1


def test_the_account_closes_only_when_the_refund_has_gone_out_and_the_mandate_is_revoked():
    account, agreement = ended_account()
    _paid_ahead(account, "1000.00")
    final_bill(account)

    settlements_run(as_of=RUN_DAY)

    account.refresh_from_db()
    agreement.refresh_from_db()
    assert agreement.status == ServiceAgreement.Status.ENDED
    assert _mandate(account).status == SepaMandate.Status.REVOKED
    assert account.status == Account.Status.ACTIVE  # the refund is still pending
    batch = refund_file_write(as_of=RUN_DAY)
    agent = staff_user("bank@example.com")
    refund_batch_mark_downloaded(batch=batch, user=agent)
    assert refund_batch_mark_sent(batch=batch, user=agent) == 1

    settlements_run(as_of=RUN_DAY + dt.timedelta(days=1))

    account.refresh_from_db()
    assert account.status == Account.Status.CLOSED
    assert Settlement.objects.get(account=account).status == Settlement.Status.DONE
    assert Refund.objects.get(account=account).status == Refund.Status.SUCCEEDED


def test_a_credit_goes_back_to_the_card_when_the_last_payment_was_online():
    account, _agreement = ended_account(direct_debit=False)
    _paid_ahead(account, "100.00")
    card = _card_payment(account, "900.00")
    invoice = final_bill(account)
    credit = Decimal("1000.00") - invoice.gross_total

    settlements_run(as_of=RUN_DAY)

    refund = Refund.objects.get(account=account)
    assert refund.method == Refund.Method.CARD and refund.payment == card
    assert refund.amount == credit and refund.status == Refund.Status.SUCCEEDED
    assert refund.provider_ref.startswith("sandbox_re_")
    account.refresh_from_db()
    assert account_balance(account=account) == Decimal("0.00")
    assert account.status == Account.Status.CLOSED


def test_a_credit_without_iban_or_card_waits_for_an_agent():
    account, _agreement = ended_account(direct_debit=False)
    _paid_ahead(account, "1000.00")
    final_bill(account)

    settlements_run(as_of=RUN_DAY)

    settlement = Settlement.objects.get(account=account)
    assert not Refund.objects.exists()
    assert "no IBAN or card" in settlement.note
    account.refresh_from_db()
    assert account.status == Account.Status.ACTIVE and settlement.is_open


def test_a_debt_with_a_mandate_is_collected_by_direct_debit_and_the_mandate_is_revoked_afterwards():
    account, _agreement = ended_account()
    invoice = final_bill(account)
    settlements_run(as_of=RUN_DAY)
    assert _mandate(account).status == SepaMandate.Status.ACTIVE

    run = sepa_collect(as_of=invoice.due_date - dt.timedelta(days=14))

    collection = SepaCollection.objects.get(account=account)
    assert collection.amount == invoice.gross_total and collection.batch == run.batch
    settlements_run(as_of=RUN_DAY + dt.timedelta(days=1))
    assert _mandate(account).status == SepaMandate.Status.ACTIVE  # the collection is pending

    sepa_batch_confirm(batch=run.batch, as_of=invoice.due_date)
    settlements_run(as_of=invoice.due_date + dt.timedelta(days=1))

    account.refresh_from_db()
    assert _mandate(account).status == SepaMandate.Status.REVOKED
    assert account.status == Account.Status.CLOSED


def test_a_debt_without_a_mandate_goes_into_dunning_and_the_account_stays_open():
    account, _agreement = ended_account(direct_debit=False)
    invoice = final_bill(account)
    settlements_run(as_of=RUN_DAY)

    dunning_run(as_of=invoice.due_date + dt.timedelta(days=8))

    assert DunningCase.objects.filter(account=account).exists()
    account.refresh_from_db()
    assert account.status == Account.Status.ACTIVE
    assert Settlement.objects.get(account=account).is_open


def test_the_closing_letter_names_the_final_read_the_final_bill_and_the_refund():
    account, _agreement = ended_account(end_value="2500")
    _paid_ahead(account, "1000.00")
    invoice = final_bill(account)
    credit = Decimal("1000.00") - invoice.gross_total

    settlements_run(as_of=RUN_DAY)

    settlement = Settlement.objects.get(account=account)
    text = pdf_text(settlement.letter.open("rb").read())
    assert invoice.number in text
    assert f"{invoice.gross_total:,.2f}" in text
    assert f"{credit:,.2f}" in text
    assert "2500" in text
    assert f"{VALID_IBAN[-4:]}" in text and VALID_IBAN not in text
    message = OutboxMessage.objects.get(template="closing_letter")
    assert message.to_address == account.customer.email
    assert OutboxAttachment.objects.get(message=message).filename.endswith(".pdf")


def test_the_closing_letter_of_a_debt_says_how_it_is_paid():
    account, _agreement = ended_account(direct_debit=False)
    invoice = final_bill(account)

    settlements_run(as_of=RUN_DAY)

    text = pdf_text(Settlement.objects.get(account=account).letter.open("rb").read())
    assert f"Please pay {invoice.gross_total:,.2f} EUR" in text
    assert "Transfer it to IBAN" in text


def test_an_account_with_a_supply_still_running_is_not_settled_or_closed():
    account, agreement = ended_account()
    supplied(account=account, start_date=dt.date(2026, 7, 1), n=2, as_of=dt.date(2026, 7, 1))
    settlements_run(as_of=RUN_DAY)

    assert not Settlement.objects.exists()
    account.refresh_from_db()
    assert account.status == Account.Status.ACTIVE


def test_the_daily_run_is_idempotent():
    account, _agreement = ended_account()
    _paid_ahead(account, "1000.00")
    final_bill(account)

    first = settlements_run(as_of=RUN_DAY)
    second = settlements_run(as_of=RUN_DAY)

    assert len(first.opened) == 1 and len(first.refunds) == 1 and len(first.letters) == 1
    assert second.opened == second.refunds == second.letters == second.concluded == second.mandates_revoked == []
    assert Refund.objects.count() == 1 and Settlement.objects.count() == 1
    assert OutboxMessage.objects.filter(template="closing_letter").count() == 1


def test_the_commands_settle_and_write_the_transfer_file(tmp_path):
    account, _agreement = ended_account()
    _paid_ahead(account, "1000.00")
    final_bill(account)
    out = io.StringIO()

    call_command("settle_accounts", "--as-of", RUN_DAY.isoformat(), stdout=out)
    Refund.objects.update(batch=None)
    RefundBatch.objects.all().delete()
    target = tmp_path / "refunds.xml"
    call_command("sepa_refunds", "--as-of", RUN_DAY.isoformat(), "--output", str(target), stdout=out)
    call_command("sepa_refunds", "--as-of", RUN_DAY.isoformat(), stdout=out)

    assert "accounts closed: 0" in out.getvalue()
    assert "No refunds are waiting" in out.getvalue()
    assert b"pain.001.001.03" in target.read_bytes()
