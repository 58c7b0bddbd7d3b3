"""Routine questions are answered from the asking customer's own data, in
their language, and never with another customer's figures."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import BillingPreferences, PaymentMethod
from billing.models import Invoice
from billing.services.ledger import ledger_book, ledger_clear
from support.classifier import Intent
from support.queries.intents import data_answer
from tests.accounts.factories import AccountFactory, SepaMandateFactory
from tests.meters.factories import at
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db

AS_OF = at(2026, 3, 10, 12)


def text_of(intent, customer, language="en", as_of=AS_OF) -> str:
    answer = data_answer(intent=intent, customer=customer, language=language, as_of=as_of)
    facts = " ".join(f"{fact.label}: {fact.value}" for fact in answer.facts)
    return f"{answer.summary} {facts}"


@pytest.fixture
def two_accounts():
    mine = AccountFactory(number="100000001")
    theirs = AccountFactory(number="100000002")
    ledger_book(
        account=mine,
        kind="INVOICE",
        amount=Decimal("123.45"),
        booked_on=dt.date(2026, 3, 1),
        key="t1",
        text="Bill",
        due_date=dt.date(2026, 3, 24),
    )
    ledger_book(
        account=theirs,
        kind="INVOICE",
        amount=Decimal("987.65"),
        booked_on=dt.date(2026, 3, 1),
        key="t2",
        text="Bill",
        due_date=dt.date(2026, 3, 15),
    )
    return mine, theirs


def test_the_balance_is_the_customers_own_in_english(two_accounts):
    mine, _theirs = two_accounts

    text = text_of(Intent.BALANCE, mine.customer)

    assert "€123.45" in text
    assert "March 24, 2026" in text
    assert "987" not in text
    assert "100000002" not in text


def test_the_balance_is_answered_in_german_with_german_figures(two_accounts):
    mine, _theirs = two_accounts

    text = text_of(Intent.BALANCE, mine.customer, language="de")

    assert "123,45 €" in text
    assert "24. März 2026" in text


def test_the_other_customer_gets_their_own_balance(two_accounts):
    _mine, theirs = two_accounts

    text = text_of(Intent.BALANCE, theirs.customer)

    assert "€987.65" in text
    assert "123.45" not in text


def test_a_credit_and_a_settled_account_are_told_apart():
    credit = AccountFactory()
    settled = AccountFactory()
    ledger_book(
        account=credit, kind="PAYMENT", amount=Decimal("-20.00"), booked_on=dt.date(2026, 3, 1), key="c", text="p"
    )

    assert "credit of €20.00" in text_of(Intent.BALANCE, credit.customer)
    assert "settled" in text_of(Intent.BALANCE, settled.customer)


def test_an_overdue_amount_is_called_overdue():
    account = AccountFactory()
    ledger_book(
        account=account,
        kind="INVOICE",
        amount=Decimal("50.00"),
        booked_on=dt.date(2026, 2, 1),
        key="o1",
        text="Bill",
        due_date=dt.date(2026, 2, 20),
    )

    text = text_of(Intent.NEXT_DUE_DATE, account.customer)

    assert "€50.00" in text
    assert "overdue" in text
    assert "Feb. 20, 2026" in text


def test_partly_paid_debits_count_with_what_is_still_open():
    account = AccountFactory()
    ledger_book(
        account=account,
        kind="INVOICE",
        amount=Decimal("100.00"),
        booked_on=dt.date(2026, 3, 1),
        key="p1",
        text="Bill",
        due_date=dt.date(2026, 3, 20),
    )
    ledger_book(
        account=account, kind="PAYMENT", amount=Decimal("-40.00"), booked_on=dt.date(2026, 3, 5), key="p2", text="p"
    )
    ledger_clear(account=account)

    text = text_of(Intent.NEXT_DUE_DATE, account.customer)

    assert "€60.00 on account" in text


def test_the_last_payment_is_the_customers_own(two_accounts):
    mine, theirs = two_accounts
    ledger_book(
        account=mine, kind="PAYMENT", amount=Decimal("-30.00"), booked_on=dt.date(2026, 2, 3), key="m1", text="p"
    )
    ledger_book(
        account=mine, kind="PAYMENT", amount=Decimal("-45.00"), booked_on=dt.date(2026, 3, 2), key="m2", text="p"
    )
    ledger_book(
        account=theirs, kind="PAYMENT", amount=Decimal("-77.00"), booked_on=dt.date(2026, 3, 9), key="t3", text="p"
    )

    mine_text = text_of(Intent.LAST_PAYMENT, mine.customer)
    theirs_text = text_of(Intent.LAST_PAYMENT, theirs.customer, language="de")

    assert "€45.00" in mine_text and "March 2, 2026" in mine_text
    assert "77" not in mine_text
    assert "77,00 €" in theirs_text
    assert "45" not in theirs_text


def test_without_payments_the_answer_says_so():
    account = AccountFactory()

    assert "not received a payment" in text_of(Intent.LAST_PAYMENT, account.customer)


def test_the_next_bill_follows_the_calendar_period_of_the_billing_frequency():
    agreement = supplied(start_date=dt.date(2026, 1, 1))
    BillingPreferences.objects.update_or_create(
        account=agreement.account, defaults={"frequency": BillingPreferences.Frequency.QUARTERLY}
    )

    text = text_of(Intent.NEXT_BILL, agreement.account.customer)

    assert "Jan. 1, 2026 to March 31, 2026" in text
    assert "after April 1, 2026" in text
    assert "quarterly" in text


def test_the_next_bill_starts_after_the_last_bill():
    agreement = supplied(start_date=dt.date(2026, 1, 1))
    account = agreement.account
    BillingPreferences.objects.update_or_create(account=account, defaults={"frequency": "MONTHLY"})
    Invoice.objects.create(
        account=account,
        status=Invoice.Status.ISSUED,
        number="R-1",
        issue_date=dt.date(2026, 3, 2),
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 2, 28),
        net_total=Decimal("10.00"),
        vat_total=Decimal("1.90"),
        gross_total=Decimal("11.90"),
        customer_name="X",
        customer_address="Y",
    )

    text = text_of(Intent.NEXT_BILL, account.customer)

    assert "March 1, 2026 to March 31, 2026" in text


def test_a_customer_without_supply_has_no_next_bill():
    account = AccountFactory()

    assert "no bill is planned" in text_of(Intent.NEXT_BILL, account.customer)


def test_last_reads_show_the_customers_registers_with_their_reading_forms():
    mine = supplied(n=1, start_date=dt.date(2026, 1, 1), start_read="1000")
    theirs = supplied(n=2, start_date=dt.date(2026, 1, 1), start_read="5555")

    answer = data_answer(intent=Intent.SUBMIT_READ, customer=mine.account.customer, language="en", as_of=AS_OF)

    assert [panel.register.meter.supply_point for panel in answer.panels] == [mine.supply_point]
    text = " ".join(fact.value for fact in answer.facts)
    assert "1,000 kWh" in text
    assert "5,555" not in text
    assert theirs.supply_point not in [panel.register.meter.supply_point for panel in answer.panels]


def test_a_customer_without_meters_is_told_so():
    account = AccountFactory()

    assert "no meter" in text_of(Intent.LAST_READS, account.customer)


def test_tariff_prices_are_gross_with_net_beside():
    agreement = supplied(start_date=dt.date(2026, 1, 1))

    english = text_of(Intent.TARIFF_PRICES, agreement.account.customer)
    german = text_of(Intent.TARIFF_PRICES, agreement.account.customer, language="de")

    assert "Electricity Basic" in english
    assert "€0.3570 (€0.3000 net)" in english
    assert "€142.80" in english  # standing charge 120.00 + 19 % VAT
    assert "Strom Basis" in german
    assert "142,80 €" in german


def test_tariff_prices_of_another_customer_are_not_shown():
    supplied(n=1, start_date=dt.date(2026, 1, 1))
    other = AccountFactory()

    assert "no supply" in text_of(Intent.TARIFF_PRICES, other.customer)


def test_no_outage_is_known_and_the_hotline_is_given(settings):
    account = AccountFactory()

    text = text_of(Intent.OUTAGE, account.customer)

    assert "no interruption" in text
    assert settings.COMPANY_HOTLINE in text


def test_bank_details_show_only_the_customers_own_mandate():
    mine = SepaMandateFactory(reference="MINE-1", account__payment_method=PaymentMethod.SEPA)
    SepaMandateFactory(reference="THEIRS-1")

    text = text_of(Intent.CHANGE_BANK_DETAILS, mine.account.customer)

    assert "MINE-1" in text
    assert "THEIRS-1" not in text


def test_other_intents_have_no_data_answer():
    account = AccountFactory()

    assert data_answer(intent=Intent.COMPLAINT, customer=account.customer, language="en", as_of=AS_OF) is None
    assert data_answer(intent=Intent.OTHER, customer=account.customer, language="en", as_of=AS_OF) is None
