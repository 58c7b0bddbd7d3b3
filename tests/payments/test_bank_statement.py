import datetime as dt
import hashlib
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from arrears.services.holds import account_holds
from billing.models import LedgerClearing, LedgerEntry
from billing.services.ledger import account_balance
from core.models import OutboxMessage
from payments.files.camt import CamtError, statement_read
from payments.matching.references import names_match, reference_key, references_in, return_reason_text
from payments.models import BankStatement, BankTransaction, Payment, SepaCollection
from payments.services.bank_statements import StatementRejected, bank_statement_import
from payments.services.reconciliation import ReconciliationRefused, bank_transaction_assign, bank_transaction_ignore
from payments.services.sepa import sepa_collect
from tests.accounts.factories import UserFactory, account_with
from tests.billing.factories import invoice_issued, invoice_open
from tests.payments.factories import DATA, credit_line, return_line, statement

pytestmark = pytest.mark.django_db

MIXED = DATA / "camt053_mixed.xml"
APRIL = dt.date(2026, 4, 10)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def scenario():
    """The accounts and bills the sample statement pays, and Lena's direct debit of 15 April."""
    erika = account_with("100000017", "Erika", "Mustermann", language="en")
    max_ = account_with("100000025", "Max", "Müller", language="en")
    juergen = account_with("100000033", "Jürgen", "Groß", language="en")
    hans_a = account_with("100000074", "Hans", "Meier", language="en")
    hans_b = account_with("100000082", "Hanna", "Meier", language="en")
    lena = account_with("100000041", "Lena", "Schulz", direct_debit=True, language="en")
    bills = {
        "erika": invoice_issued(erika, number="RE2026-000101", gross=Decimal("119.00"), due_date=APRIL),
        "max": invoice_issued(max_, number="RE2026-000102", gross=Decimal("50.00"), due_date=APRIL),
        "juergen": invoice_issued(juergen, number="RE2026-000103", gross=Decimal("77.70"), due_date=APRIL),
        "hans_a": invoice_issued(hans_a, number="RE2026-000104", gross=Decimal("50.00"), due_date=APRIL),
        "hans_b": invoice_issued(hans_b, number="RE2026-000105", gross=Decimal("50.00"), due_date=APRIL),
        "lena": invoice_issued(lena, number="RE2026-000106", gross=Decimal("60.00"), due_date=APRIL),
    }
    sepa_collect(as_of=dt.date(2026, 4, 1))
    accounts = {"erika": erika, "max": max_, "juergen": juergen, "hans_a": hans_a, "hans_b": hans_b, "lena": lena}
    return accounts, bills


def imported(path=MIXED, **kwargs):
    return bank_statement_import(content=path.read_bytes(), file_name=path.name, **kwargs)


def line(remittance):
    return BankTransaction.objects.get(remittance__contains=remittance)


def test_the_sample_statement_is_matched_queued_and_returned_line_by_line(scenario):
    result = imported()

    assert result.as_counts() == {"matched": 4, "ambiguous": 1, "unmatched": 1, "returns": 1, "duplicates": 0}
    assert result.ignored == 1
    assert BankTransaction.objects.count() == 8
    assert result.statement.statement_id == "2026-04-20-0001"


def test_an_invoice_number_with_odd_spacing_and_case_settles_that_invoice(scenario):
    accounts, bills = scenario

    imported()

    row = line("vielen dank")
    assert row.status == BankTransaction.Status.MATCHED
    assert (row.matched_account, row.matched_invoice) == (accounts["erika"], bills["erika"])
    assert row.payment.status == Payment.Status.SUCCEEDED
    assert row.payment.source == "BANK" and row.payment.reference == row.entry_ref
    assert invoice_open(bills["erika"]) == Decimal("0.00")
    assert account_balance(account=accounts["erika"]) == Decimal("0.00")


def test_an_account_number_with_hyphens_and_spaces_books_to_that_account(scenario):
    accounts, bills = scenario

    imported()

    row = line("Abschlag April")
    assert (row.status, row.matched_account, row.matched_invoice) == ("MATCHED", accounts["max"], None)
    assert invoice_open(bills["max"]) == Decimal("0.00")


def test_without_a_reference_one_open_invoice_of_that_amount_and_name_is_taken(scenario):
    accounts, bills = scenario

    imported()

    row = BankTransaction.objects.get(counterparty_name="GROSS, JUERGEN")
    assert (row.status, row.matched_account, row.matched_invoice) == ("MATCHED", accounts["juergen"], bills["juergen"])
    assert invoice_open(bills["juergen"]) == Decimal("0.00")


def test_a_reference_naming_two_accounts_is_ambiguous_and_books_nothing(scenario):
    accounts, bills = scenario

    imported()

    row = line("RE2026-000104 und")
    assert row.status == BankTransaction.Status.AMBIGUOUS
    assert "100000074" in row.note and "100000082" in row.note
    assert row.payment is None
    assert invoice_open(bills["hans_a"]) == invoice_open(bills["hans_b"]) == Decimal("50.00")


def test_two_open_invoices_of_the_amount_with_the_payers_name_are_ambiguous(scenario):
    accounts, _bills = scenario
    other_anna = account_with("100000090", "Anna", "Schmidt")
    anna = account_with("100000108", "Anna", "Schmidt")
    invoice_issued(anna, number="RE2026-000120", gross=Decimal("33.00"), due_date=APRIL)
    invoice_issued(other_anna, number="RE2026-000121", gross=Decimal("33.00"), due_date=APRIL)

    result = bank_statement_import(
        content=statement(credit_line(amount="33.00", name="Anna Schmidt", remittance="Strom", reference="X1")),
        file_name="s.xml",
    )

    assert result.ambiguous == 1
    assert "RE2026-000120" in BankTransaction.objects.get().note


def test_a_transfer_without_reference_or_matching_invoice_waits_unmatched(scenario):
    imported()

    row = line("Spende")
    assert row.status == BankTransaction.Status.UNMATCHED
    assert row.payment is None and row.matched_account is None


def test_the_credit_of_a_direct_debit_confirms_the_collection(scenario):
    accounts, bills = scenario
    content = statement(credit_line(amount="60.00", name="Lena Schulz", end_to_end="100000041-20260415"))

    result = bank_statement_import(content=content, file_name="credit.xml")

    collection = SepaCollection.objects.get()
    assert result.matched == 1
    assert collection.status == SepaCollection.Status.CONFIRMED
    assert collection.payment.status == Payment.Status.SUCCEEDED
    assert BankTransaction.objects.get().payment == collection.payment
    assert invoice_open(bills["lena"]) == Decimal("0.00")


def test_a_returned_direct_debit_reopens_the_invoice_books_the_fee_tells_the_customer_and_flags_the_account(
    settings, scenario
):
    settings.SEPA_RETURN_FEE = "3.50"
    accounts, bills = scenario
    lena = accounts["lena"]

    imported()

    collection = SepaCollection.objects.get()
    payment = collection.payment
    assert collection.status == SepaCollection.Status.RETURNED and collection.return_reason_code == "AM04"
    assert payment.status == Payment.Status.RETURNED and payment.returned_on == dt.date(2026, 4, 20)
    assert invoice_open(bills["lena"]) == Decimal("60.00")
    fee = LedgerEntry.objects.get(account=lena, kind=LedgerEntry.Kind.FEE)
    assert fee.amount == Decimal("3.50")
    assert account_balance(account=lena) == Decimal("63.50")
    hold = account_holds(account=lena, include_released=True).get(invoice=None)
    assert (hold.until, hold.released_at) == (dt.date(2026, 4, 27), None)
    message = OutboxMessage.objects.get(template="sepa_return")
    assert message.to_address == lena.customer.email
    assert "the account did not hold enough money (code AM04)" in message.body
    assert "3.50 EUR" in message.body and "63.50 EUR" in message.body
    row = BankTransaction.objects.get(is_return=True)
    assert (row.status, row.matched_account, row.return_reason_code) == ("RETURN_PROCESSED", lena, "AM04")


def test_a_return_of_a_collection_not_yet_confirmed_books_it_and_returns_it(scenario):
    accounts, bills = scenario
    content = statement(return_line(amount="60.00", end_to_end="100000041-20260415", mandate="MANDATE-100000041"))

    bank_statement_import(content=content, file_name="return.xml")

    payment = SepaCollection.objects.get().payment
    assert payment.status == Payment.Status.RETURNED
    kinds = sorted(LedgerEntry.objects.filter(account=accounts["lena"]).values_list("kind", flat=True))
    assert kinds == ["INVOICE", "PAYMENT", "PAYMENT_RETURN"]
    assert invoice_open(bills["lena"]) == Decimal("60.00")
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.FEE).exists()  # SEPA_RETURN_FEE is 0


def test_the_same_file_twice_books_nothing_twice(scenario):
    first = imported()
    entries, payments, messages = LedgerEntry.objects.count(), Payment.objects.count(), OutboxMessage.objects.count()

    second = imported()

    assert second.imported_before == first.statement
    assert second.as_counts() == {"matched": 0, "ambiguous": 0, "unmatched": 0, "returns": 0, "duplicates": 8}
    assert (LedgerEntry.objects.count(), Payment.objects.count(), OutboxMessage.objects.count()) == (
        entries,
        payments,
        messages,
    )
    assert BankStatement.objects.count() == 1


def test_lines_seen_in_an_earlier_statement_are_duplicates(scenario):
    accounts, _bills = scenario
    transfer = credit_line(amount="119.00", name="Erika Mustermann", remittance="RE2026-000101", reference="R-1")
    bank_statement_import(content=statement(transfer, statement_id="S1"), file_name="s1.xml")

    result = bank_statement_import(
        content=statement(transfer, credit_line(amount="5.00", name="X", reference="R-2"), statement_id="S2"),
        file_name="s2.xml",
    )

    assert (result.duplicates, result.unmatched) == (1, 1)
    assert Payment.objects.filter(account=accounts["erika"]).count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"Datum;Betrag\n2026-04-01;12,00\n", "not XML"),
        (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.008.001.02'><CstmrDrctDbtInitn/></Document>", "not a"),
        (statement(credit_line(amount="12,00", name="X")), "invalid amount"),
        (statement(credit_line(amount="12.00", name="X", booked="2026-13-01")), "invalid date"),
        (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>", "not a"),
    ],
)
def test_a_bad_file_is_refused_with_a_message_and_nothing_is_saved(content, message):
    with pytest.raises(StatementRejected, match=message):
        bank_statement_import(content=content, file_name="bad.xml")

    assert not BankStatement.objects.exists() and not BankTransaction.objects.exists()


def test_the_command_prints_the_counts(scenario):
    out = StringIO()

    call_command("import_bank_statement", str(MIXED), stdout=out)
    call_command("import_bank_statement", str(MIXED), stdout=out)

    text = out.getvalue()
    assert "matched: 4\nambiguous: 1\nunmatched: 1\nreturns: 1\nduplicates: 0\n" in text
    assert "was imported on" in text and "duplicates: 8" in text


def test_the_command_refuses_a_file_that_is_not_a_statement(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("hello")

    with pytest.raises(CommandError, match="not XML"):
        call_command("import_bank_statement", str(bad))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_bank_statement", str(tmp_path / "missing.xml"))


# --- The agents' reconciliation queue ------------------------------------------------


def test_an_agent_assigns_a_queued_credit_to_an_account_and_invoice(scenario):
    accounts, bills = scenario
    imported()
    agent = UserFactory(is_staff=True)
    row = line("RE2026-000104 und")

    bank_transaction_assign(
        transaction_id=row.pk, account=accounts["hans_b"], invoice=bills["hans_b"], user=agent, note="called"
    )

    row.refresh_from_db()
    assert (row.status, row.assigned_by, row.matched_account) == ("ASSIGNED", agent, accounts["hans_b"])
    assert row.payment.amount == Decimal("100.00")
    assert invoice_open(bills["hans_b"]) == Decimal("0.00")
    assert account_balance(account=accounts["hans_b"]) == Decimal("-50.00")  # the rest stays as credit
    with pytest.raises(ReconciliationRefused, match="dealt with"):
        bank_transaction_assign(transaction_id=row.pk, account=accounts["hans_b"], user=agent)


def test_an_invoice_of_another_account_cannot_be_assigned(scenario):
    accounts, bills = scenario
    imported()
    payments = Payment.objects.count()

    with pytest.raises(ReconciliationRefused, match="another account"):
        bank_transaction_assign(
            transaction_id=line("Spende").pk, account=accounts["erika"], invoice=bills["max"], user=UserFactory()
        )

    assert line("Spende").status == BankTransaction.Status.UNMATCHED
    assert Payment.objects.count() == payments


def test_ignoring_a_queued_line_needs_a_note(scenario):
    imported()
    row = line("Spende")

    with pytest.raises(ReconciliationRefused, match="why"):
        bank_transaction_ignore(transaction_id=row.pk, user=UserFactory(), note="  ")
    bank_transaction_ignore(transaction_id=row.pk, user=UserFactory(), note="Sent back to the donor")

    row.refresh_from_db()
    assert (row.status, row.note) == ("IGNORED", "Sent back to the donor")


# --- Reading camt.053 and the matching rules --------------------------------------------


def test_a_camt_053_001_08_statement_is_read_with_batch_lines_and_without_pending_entries():
    (read,) = statement_read((DATA / "camt053_v08.xml").read_bytes())

    assert read.version == "camt.053.001.08"
    assert [(line.amount, line.counterparty_name) for line in read.lines] == [
        (Decimal("100.00"), "Erika Mustermann"),
        (Decimal("50.00"), "Max Mueller"),
    ]
    assert read.lines[0].booked_on == dt.date(2026, 4, 21)
    assert read.lines[0].remittance == "RE2026-000201 Danke"
    assert len({line.key for line in read.lines}) == 2


def test_a_statement_without_namespace_or_booking_date_is_handled():
    content = statement(credit_line(amount="1.00", name="X")).replace(
        b' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"', b""
    )
    assert len(statement_read(content)[0].lines) == 1
    with pytest.raises(CamtError, match="booking date"):
        statement_read(content.replace(b"<BookgDt><Dt>2026-04-16</Dt></BookgDt>", b""))


def test_identical_lines_without_bank_reference_stay_two_lines():
    transfer = credit_line(amount="9.00", name="X", remittance="same")

    lines = statement_read(statement(transfer, transfer))[0].lines

    assert len({line.key for line in lines}) == 2


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("RE2026-000101", ["RE2026-000101"]),
        ("rechnung re 2026 000 101", ["RE2026-000101"]),
        ("Re.2026/000101 und Konto 100000017", ["RE2026-000101", "100000017"]),
        ("kd 1000 000 17", ["100000017"]),
        ("100000017 2026", ["100000017"]),
        ("1000000170", []),
        ("RE2026-0001012", []),
        ("DE02100000017000202051", []),
    ],
)
def test_references_are_found_across_spaces_hyphens_and_case_but_not_inside_longer_numbers(text, found):
    known = {reference_key(number): number for number in ("RE2026-000101", "100000017")}

    assert references_in(text, known) == found


@pytest.mark.parametrize(
    ("debtor", "customer", "same"),
    [
        ("GROSS, JUERGEN", "Jürgen Groß", True),
        ("Herr Juergen Gross", "Jürgen Groß", True),
        ("Erika u. Max Mustermann", "Erika Mustermann", True),
        ("Erika Musterfrau", "Erika Mustermann", False),
        ("", "Erika Mustermann", False),
        ("Müller GmbH", "Mueller GmbH", True),
    ],
)
def test_names_match_in_any_order_and_spelling_of_umlauts(debtor, customer, same):
    assert names_match(debtor, customer) is same


def test_return_reasons_are_plain_words_in_german_and_english():
    from django.utils import translation

    assert str(return_reason_text("AC04")) == "the bank account has been closed"
    assert str(return_reason_text("md06")) == "the account holder asked the bank for a refund"
    assert str(return_reason_text("ZZ99")) == "the bank gave no reason"
    with translation.override("de"):
        assert str(return_reason_text("AM04"))  # rendered in the active language


# --- Property: the ledger stays the balance -------------------------------------------------

steps = st.lists(
    st.one_of(
        st.tuples(st.just("bill"), st.integers(min_value=1, max_value=20000)),
        st.tuples(st.just("transfer"), st.integers(min_value=1, max_value=20000), st.booleans()),
        st.tuples(st.just("return"), st.integers(min_value=0, max_value=3)),
    ),
    max_size=8,
)


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_after_any_sequence_of_bills_transfers_and_returns_the_balance_is_the_ledger_sum(steps):
    with transaction.atomic():
        account = account_with("700000001", "Prop", "Erty", direct_debit=True)
        expected = Decimal("0.00")
        bills = []
        for index, step in enumerate(steps):
            if step[0] == "bill":
                amount = Decimal(step[1]) / 100
                bills.append(
                    invoice_issued(
                        account,
                        number=f"P2026-{index:06d}",
                        gross=amount,
                        due_date=APRIL,
                        period_start=dt.date(2025, 1, 1) + dt.timedelta(days=index),
                    )
                )
                expected += amount
            elif step[0] == "transfer":
                amount = Decimal(step[1]) / 100
                remittance = bills[-1].number if bills and step[2] else f"Konto {account.number}"
                transfer = credit_line(
                    amount=f"{amount:.2f}", name="Prop Erty", remittance=remittance, reference=f"T{index}"
                )
                bank_statement_import(content=statement(transfer, statement_id=f"T{index}"), file_name="t.xml")
                expected -= amount
            else:
                _collect_and_return(as_of=dt.date(2026, 4, 1) + dt.timedelta(days=index), index=index, reason=step[1])

        total = sum(LedgerEntry.objects.filter(account=account).values_list("amount", flat=True), Decimal("0.00"))
        assert account_balance(account=account) == total == expected
        for entry in LedgerEntry.objects.filter(account=account):
            side = "debit" if entry.amount > 0 else "credit"
            cleared = LedgerClearing.objects.filter(reversed_at__isnull=True, **{side: entry}).aggregate(
                total=Sum("amount")
            )["total"]
            assert (cleared or 0) <= abs(entry.amount)
        transaction.set_rollback(True)


def _collect_and_return(*, as_of: dt.date, index: int, reason: int) -> None:
    """A direct debit credited by the bank and then returned: the balance is as before."""
    run = sepa_collect(as_of=as_of)
    if not run.created:
        return
    collection = run.batch.collections.get()
    content = statement(
        credit_line(amount=f"{collection.amount}", name="Prop Erty", end_to_end=collection.end_to_end_id),
        return_line(
            amount=f"{collection.amount}",
            end_to_end=collection.end_to_end_id,
            mandate=collection.mandate.reference,
            reason=["AM04", "MD06", "AC04", "MS02"][reason],
        ),
        statement_id=f"R{index}",
    )
    bank_statement_import(content=content, file_name="r.xml")


def test_a_concurrent_upload_of_the_same_file_is_answered_as_imported_before(monkeypatch):
    from payments.services import bank_statements as module

    content = statement(credit_line(amount="5.00", name="X", reference="C1"))
    loading = module.ReferenceIndex

    def another_upload_wins_meanwhile():
        BankStatement.objects.create(file_hash=hashlib.sha256(content).hexdigest(), original_name="other.xml")
        return loading()

    monkeypatch.setattr(module, "ReferenceIndex", another_upload_wins_meanwhile)

    result = bank_statement_import(content=content, file_name="mine.xml")

    assert result.imported_before.original_name == "other.xml" and result.duplicates == 1
    assert not BankTransaction.objects.exists()


def test_the_credit_of_a_whole_direct_debit_file_confirms_all_its_collections(scenario):
    batch = SepaCollection.objects.get().batch
    entry = f"""
      <Ntry>
        <Amt Ccy="EUR">60.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-04-15</Dt></BookgDt><AcctSvcrRef>BATCH-1</AcctSvcrRef>
        <NtryDtls><Btch><MsgId>{batch.message_id}</MsgId><NbOfTxs>1</NbOfTxs></Btch></NtryDtls>
      </Ntry>"""

    result = bank_statement_import(content=statement(entry), file_name="batch.xml")

    assert result.matched == 1
    assert SepaCollection.objects.get().status == SepaCollection.Status.CONFIRMED
    assert "1 collections confirmed" in BankTransaction.objects.get().note
