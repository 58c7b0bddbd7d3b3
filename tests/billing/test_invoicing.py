"""Bills through billing.services.invoicing: periods, idempotence, holds, numbers, credit notes."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import BillingPreferences
from billing.models import BillingSettings, Invoice, LedgerEntry
from billing.services.invoicing import (
    InvoiceStateError,
    bill_account,
    bill_plan_for,
    bills_make,
    calendar_period,
    invoice_cancel,
    invoice_rebill,
    invoice_release,
)
from billing.services.ledger import account_balance, entry_open_amount
from meters.models import Read
from tests.meters.factories import at, register_of
from tests.supply.factories import supplied, version_add

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_delivery(settings):
    settings.BILLING_DELIVER_ON_ISSUE = False


def yearly_supply(*, n=1, end_value="4650", budget=False):
    agreement = supplied(n=n, start_date=dt.date(2026, 1, 1), start_read="1000")
    BillingPreferences.objects.update_or_create(
        account=agreement.account, defaults={"frequency": "ANNUAL", "budget_billing": budget}
    )
    Read.objects.create(
        register=register_of(agreement), taken_at=at(2027, 1, 1), value=Decimal(end_value), source="CUSTOMER"
    )
    return agreement


def test_calendar_periods_follow_the_calendar():
    assert calendar_period(dt.date(2026, 5, 17), months=1) == (dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert calendar_period(dt.date(2026, 5, 17), months=3) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert calendar_period(dt.date(2026, 8, 1), months=6) == (dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    assert calendar_period(dt.date(2028, 2, 29), months=12) == (dt.date(2028, 1, 1), dt.date(2028, 12, 31))


def test_a_period_is_due_from_the_day_after_its_last_day():
    agreement = yearly_supply()
    agreements = [agreement]
    assert (
        bill_plan_for(frequency="ANNUAL", agreements=agreements, last_billed_end=None, as_of=dt.date(2026, 12, 31))
        is None
    )
    plan = bill_plan_for(frequency="ANNUAL", agreements=agreements, last_billed_end=None, as_of=dt.date(2027, 1, 1))
    assert (plan.period_start, plan.period_end, plan.kind) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31), "INVOICE")


def test_a_plain_year_is_billed_and_booked_once():
    agreement = yearly_supply()

    outcome = bill_account(account=agreement.account, as_of=dt.date(2027, 1, 5))

    invoice = Invoice.objects.get(pk=outcome.invoice_id)
    assert outcome.status == "BILLED"
    # 3650 kWh x 0.30 = 1095.00; standing charge 120.00 x 365/365 = 120.00; VAT 19 % of 1215.00 = 230.85
    assert [(line.kind, line.quantity, line.net_amount) for line in invoice.lines.order_by("position")] == [
        ("CONSUMPTION", Decimal("3650.000000"), Decimal("1095.00")),
        ("STANDING_CHARGE", Decimal("365.000000"), Decimal("120.00")),
    ]
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        Decimal("1215.00"),
        Decimal("230.85"),
        Decimal("1445.85"),
    )
    assert invoice.number == "RE2027-000001"
    assert invoice.due_date == dt.date(2027, 1, 19)
    assert account_balance(account=agreement.account) == Decimal("1445.85")
    reading = invoice.readings.get()
    assert (reading.start_value, reading.start_method, reading.end_value, reading.end_method) == (
        Decimal("1000.000"),
        "read",
        Decimal("4650.000"),
        "read",
    )
    assert reading.end_source == "CUSTOMER"

    again = bill_account(account=agreement.account, as_of=dt.date(2027, 1, 6))
    assert again.status == "SKIPPED"
    assert Invoice.objects.filter(account=agreement.account).count() == 1
    assert LedgerEntry.objects.filter(account=agreement.account).count() == 1


def test_the_database_refuses_a_second_live_bill_for_the_same_period():
    agreement = yearly_supply()
    first = Invoice.objects.get(pk=bill_account(account=agreement.account, as_of=dt.date(2027, 1, 5)).invoice_id)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(
            account=first.account,
            period_start=first.period_start,
            period_end=first.period_end,
            net_total=Decimal("1.00"),
            vat_total=Decimal("0.19"),
            gross_total=Decimal("1.19"),
            customer_name="x",
            customer_address="y",
        )


def test_invoice_numbers_run_on_without_gaps_in_a_chunk():
    accounts = [yearly_supply(n=n).account for n in range(1, 4)]

    outcomes = bills_make(account_ids=[a.pk for a in accounts], as_of=dt.date(2027, 1, 5))

    numbers = sorted(Invoice.objects.get(pk=o.invoice_id).number for o in outcomes)
    assert numbers == ["RE2027-000001", "RE2027-000002", "RE2027-000003"]


def test_a_dry_run_saves_nothing():
    agreement = yearly_supply()

    (outcome,) = bills_make(account_ids=[agreement.account.pk], as_of=dt.date(2027, 1, 5), dry_run=True)

    assert outcome.status == "BILLED" and outcome.gross_total == Decimal("1445.85")
    assert not Invoice.objects.exists()


def test_a_bill_more_than_twice_the_previous_is_held_and_released_by_an_agent(admin_user):
    agreement = yearly_supply()
    bill_account(account=agreement.account, as_of=dt.date(2027, 1, 5))
    Read.objects.create(
        register=register_of(agreement), taken_at=at(2028, 1, 1), value=Decimal("14650"), source="CUSTOMER"
    )

    outcome = bill_account(account=agreement.account, as_of=dt.date(2028, 1, 5))

    held = Invoice.objects.get(pk=outcome.invoice_id)
    assert outcome.status == "HELD" and held.number is None
    assert "more than 2 times" in held.hold_reasons[0]
    assert account_balance(account=agreement.account) == Decimal("1445.85")

    released = invoice_release(invoice=held, user=admin_user, as_of=dt.date(2028, 1, 8))
    assert released.number == "RE2028-000001" and released.issue_date == dt.date(2028, 1, 8)
    assert account_balance(account=agreement.account) == Decimal("1445.85") + released.gross_total
    with pytest.raises(InvoiceStateError):
        invoice_release(invoice=released, user=admin_user, as_of=dt.date(2028, 1, 8))


def test_a_cancelled_bill_gets_a_credit_note_and_the_period_is_billed_again(admin_user):
    agreement = yearly_supply()
    invoice = Invoice.objects.get(pk=bill_account(account=agreement.account, as_of=dt.date(2027, 1, 5)).invoice_id)
    Read.objects.filter(register=register_of(agreement), taken_at=at(2027, 1, 1)).update(value=Decimal("3650"))

    outcome = invoice_rebill(invoice=invoice, user=admin_user, as_of=dt.date(2027, 1, 10))

    invoice.refresh_from_db()
    note = invoice.credit_notes.get()
    rebilled = Invoice.objects.get(pk=outcome.invoice_id)
    assert invoice.status == "CANCELLED"
    assert (note.kind, note.number, note.gross_total) == ("CREDIT_NOTE", "GS2027-000001", Decimal("-1445.85"))
    assert [line.net_amount for line in note.lines.order_by("position")] == [Decimal("-1095.00"), Decimal("-120.00")]
    # 2650 kWh x 0.30 = 795.00 + 120.00 = 915.00 net, 173.85 VAT
    assert (rebilled.number, rebilled.gross_total) == ("RE2027-000002", Decimal("1088.85"))
    assert account_balance(account=agreement.account) == Decimal("1088.85")
    original_entry = LedgerEntry.objects.get(key=f"invoice:{invoice.pk}")
    assert entry_open_amount(entry=original_entry) == Decimal("0.00")
    with pytest.raises(InvoiceStateError):
        invoice_cancel(invoice=invoice, user=admin_user, as_of=dt.date(2027, 1, 10), reason="again")


def test_a_price_change_splits_consumption_and_standing_charge_by_days():
    agreement = yearly_supply()
    version_add(
        tariff=agreement.tariff,
        valid_from=dt.date(2026, 7, 1),
        standing_charge_per_year="132.00",
        unit_prices={"*": "0.320000"},
    )

    invoice = Invoice.objects.get(pk=bill_account(account=agreement.account, as_of=dt.date(2027, 1, 5)).invoice_id)

    # 3650 x 181/365 = 1810 kWh x 0.30 = 543.00; 3650 x 184/365 = 1840 x 0.32 = 588.80
    # 120 x 181/365 = 59.51; 132 x 184/365 = 66.54 -> net 1257.85, VAT 238.99
    assert [(line.period_start, line.net_amount) for line in invoice.lines.order_by("position")] == [
        (dt.date(2026, 1, 1), Decimal("543.00")),
        (dt.date(2026, 7, 1), Decimal("588.80")),
        (dt.date(2026, 1, 1), Decimal("59.51")),
        (dt.date(2026, 7, 1), Decimal("66.54")),
    ]
    assert (invoice.net_total, invoice.vat_total) == (Decimal("1257.85"), Decimal("238.99"))


def test_minimum_amount_skips_small_bills(settings):
    rules = BillingSettings.current()
    rules.minimum_bill_amount = Decimal("5000.00")
    rules.save()
    agreement = yearly_supply()

    outcome = bill_account(account=agreement.account, as_of=dt.date(2027, 1, 5))

    assert outcome.status == "SKIPPED" and not Invoice.objects.exists()
