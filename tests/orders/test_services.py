"""Ordering: quoting issues nothing, confirming issues exactly one order
invoice (twice, retried, in parallel), amounts to the cent, VAT on the
invoice date, the rules (agent only, quote only, disconnection), cancelling
within the terms (credit note, refund) and outside them (refused, or a fee
as a new order), scheduling and completing."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from accounts.models import PaymentMethod
from billing.models import Invoice, LedgerEntry
from billing.services.ledger import account_balance
from core.models import OutboxMessage
from orders.models import Order, Product, VatCategory
from orders.services import (
    OrderRefused,
    order_cancel,
    order_complete,
    order_confirm,
    order_create_for_system,
    order_quote,
    order_schedule,
)
from payments.models import Refund, SepaCollection
from payments.services.payments import payment_record_manual
from tests.accounts.factories import AccountFactory, account_with, staff_user
from tests.orders.factories import order_made, product_make, slot_make

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 1)
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def order_invoices():
    return Invoice.objects.filter(kind=Invoice.Kind.ORDER)


def test_quoting_prices_the_order_and_issues_nothing():
    account = AccountFactory()
    product = product_make(net_price=Decimal("75.00"))

    quote = order_quote(account=account, product=product, quantity=2, channel=Order.Channel.PORTAL, as_of=TODAY)
    order = order_made(account, product, as_of=TODAY, confirm=False, quantity=2)

    assert (quote.net_total, quote.vat_total, quote.gross_total) == (
        Decimal("150.00"),
        Decimal("28.50"),
        Decimal("178.50"),
    )
    assert quote.snapshot["withdrawal_right"] is True
    assert order.status == Order.Status.QUOTED and order.invoice is None
    assert not order_invoices().exists()
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    ("channel", "business", "right"),
    [
        (Order.Channel.PORTAL, False, True),
        (Order.Channel.AGENT, False, True),  # on the phone: a distance contract too
        (Order.Channel.SYSTEM, False, False),
        (Order.Channel.PORTAL, True, False),
    ],
)
def test_consumers_ordering_at_a_distance_get_the_withdrawal_right(channel, business, right):
    extra = {"customer__customer_type": "BUSINESS", "customer__company_name": "Muster GmbH"} if business else {}
    account = AccountFactory(**extra)
    product = product_make(net_price=Decimal("75.00"))

    quote = order_quote(account=account, product=product, channel=channel, as_of=TODAY)

    assert quote.snapshot["withdrawal_right"] is right


def test_confirming_issues_one_invoice_booked_with_its_own_number():
    account = AccountFactory()
    order = order_made(account, product_make(net_price=Decimal("33.3333")), as_of=TODAY, quantity=3)

    invoice = order.invoice
    assert order.status == Order.Status.CONFIRMED
    assert invoice.kind == Invoice.Kind.ORDER and invoice.is_issued and invoice.number
    # 3 x 33.3333 = 99.9999 -> 100.00 net, VAT 19 % on the net sum = 19.00
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        Decimal("100.00"),
        Decimal("19.00"),
        Decimal("119.00"),
    )
    line = invoice.lines.get()
    assert (line.quantity, line.unit_price, line.net_amount, line.vat_rate) == (
        Decimal("3"),
        Decimal("33.3333"),
        Decimal("100.00"),
        Decimal("0.1900"),
    )
    assert account_balance(account=account) == Decimal("119.00")
    assert invoice.due_date > TODAY


def test_a_reduced_rate_item_is_taxed_at_seven_percent_to_the_cent():
    product = product_make("WATER_CONNECTION", net_price=Decimal("12.345"), vat_category=VatCategory.REDUCED)

    order = order_made(AccountFactory(), product, as_of=TODAY, quantity=7)

    # 7 x 12.345 = 86.415 -> 86.42; VAT 7 % = 6.0494 -> 6.05
    assert (order.invoice.net_total, order.invoice.vat_total, order.invoice.gross_total) == (
        Decimal("86.42"),
        Decimal("6.05"),
        Decimal("92.47"),
    )


def test_confirming_takes_the_vat_rate_of_the_invoice_date_across_a_vat_change():
    """Quoted on 30 June 2020 at 19 %, confirmed on 1 July 2020 (16 %)."""
    account = AccountFactory()
    product = product_make(net_price=Decimal("100.00"))
    with time_machine.travel(dt.datetime(2020, 6, 30, 9, 0, tzinfo=dt.UTC), tick=False):
        order = order_made(account, product, as_of=dt.date(2020, 6, 30), confirm=False)
    assert order.vat_total == Decimal("19.00")

    with time_machine.travel(dt.datetime(2020, 7, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        order = order_confirm(order=order, channel=Order.Channel.PORTAL, as_of=dt.date(2020, 7, 1))

    assert (order.invoice.vat_total, order.invoice.gross_total) == (Decimal("16.00"), Decimal("116.00"))
    assert order.lines.get().vat_rate == Decimal("0.1600")


def test_confirming_twice_or_retrying_with_the_same_key_issues_one_invoice():
    account = AccountFactory()
    product = product_make()
    order = order_made(account, product, as_of=TODAY, confirm=False)

    first = order_confirm(order=order, channel=Order.Channel.PORTAL, as_of=TODAY)
    second = order_confirm(order=order, channel=Order.Channel.PORTAL, as_of=TODAY)
    retried = order_made(account, product, as_of=TODAY, confirm=True)

    assert first.invoice_id == second.invoice_id == retried.invoice_id
    assert retried.pk == order.pk
    assert order_invoices().count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INVOICE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_confirming_in_parallel_issues_one_invoice():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has no row locks; PostgreSQL runs this race")
    account = AccountFactory()
    order = order_made(account, product_make(), as_of=TODAY, confirm=False)
    barrier = threading.Barrier(2)
    errors = []

    def confirm():
        try:
            barrier.wait()
            order_confirm(order=order, channel=Order.Channel.PORTAL, as_of=TODAY)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert order_invoices().count() == 1


def test_an_agent_only_item_is_refused_to_a_customer_but_an_agent_may_order_it():
    account = AccountFactory()
    product = product_make(ordered_by=Product.OrderedBy.AGENT)

    with pytest.raises(OrderRefused) as refused:
        order_made(account, product, as_of=TODAY, channel=Order.Channel.API)

    assert refused.value.code == "agent_only"
    assert not Order.objects.exists()
    assert order_made(account, product, as_of=TODAY, channel=Order.Channel.AGENT).invoice is not None


def test_a_quote_only_item_cannot_be_confirmed_online():
    account = AccountFactory()
    product = Product.objects.get(code="HOUSE_CONNECTION")
    order = order_made(account, product, as_of=TODAY, confirm=False)

    with pytest.raises(OrderRefused) as refused:
        order_confirm(order=order, channel=Order.Channel.PORTAL, as_of=TODAY)

    assert refused.value.code == "quote_only"
    assert not order_invoices().exists()


def test_the_reconnection_fee_needs_an_approved_disconnection():
    account = AccountFactory()

    with pytest.raises(OrderRefused) as refused:
        order_create_for_system(account=account, product_code="RECONNECTION", idempotency_key="rc", as_of=TODAY)

    assert refused.value.code == "rule"
    assert "disconnected" in str(refused.value)


def test_with_a_mandate_the_invoice_is_collected_by_direct_debit_with_a_pre_notification():
    account = account_with("100200300", "Lena", "Vogt", direct_debit=True)
    assert account.payment_method == PaymentMethod.SEPA

    order = order_made(account, product_make(), as_of=TODAY)

    collection = SepaCollection.objects.get(account=account)
    assert collection.amount == order.invoice.gross_total
    assert collection.collection_date >= order.invoice.due_date
    assert OutboxMessage.objects.filter(template="sepa_prenotification").exists()


def test_cancelling_within_the_terms_credits_the_invoice_and_refunds_what_was_paid():
    account = account_with("100200301", "Jonas", "Becker", direct_debit=True)
    agent = staff_user()
    order = order_made(account, product_make(), as_of=TODAY)
    payment_record_manual(
        account=account,
        amount=order.invoice.gross_total,
        method="TRANSFER",
        received_on=TODAY,
        created_by=agent,
        as_of=TODAY,
        invoice=order.invoice,
    )

    cancellation = order_cancel(order=order, channel=Order.Channel.PORTAL, as_of=TODAY)

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.invoice.status == Invoice.Status.CANCELLED
    note = cancellation.credit_note
    assert note.kind == Invoice.Kind.CREDIT_NOTE and note.gross_total == -order.invoice.gross_total
    assert [(r.method, r.amount) for r in cancellation.refunds] == [(Refund.Method.SEPA_TRANSFER, Decimal("89.25"))]
    assert SepaCollection.objects.get(account=account).status == SepaCollection.Status.CANCELLED
    assert account_balance(account=account) == Decimal("0.00")
    again = order_cancel(order=order, channel=Order.Channel.PORTAL, as_of=TODAY)
    assert again.credit_note == note and Refund.objects.count() == 1


def test_cancelling_after_the_deadline_is_refused_and_an_agent_charges_the_fee_as_a_new_order():
    account = AccountFactory()
    fee = product_make("LATE", net_price=Decimal("30.00"), ordered_by=Product.OrderedBy.AGENT, cancellable=False)
    visit = product_make(needs_appointment=True, cancel_until_hours=24, late_cancellation_fee=fee)
    slot = slot_make(visit, starts_at=NOW + dt.timedelta(days=3))
    order = order_made(account, visit, as_of=TODAY, slot=slot)

    with time_machine.travel(NOW + dt.timedelta(days=2, hours=12), tick=False):
        with pytest.raises(OrderRefused) as refused:
            order_cancel(order=order, channel=Order.Channel.PORTAL, as_of=TODAY)
        assert "until" in str(refused.value)
        cancellation = order_cancel(
            order=order, channel=Order.Channel.AGENT, as_of=TODAY, by=staff_user(), charge_late_fee=True
        )

    assert cancellation.order.status == Order.Status.CANCELLED
    fee_order = cancellation.fee_order
    assert fee_order.fee_for == order and fee_order.product == fee
    assert fee_order.invoice.gross_total == Decimal("35.70")
    assert order.invoice.lines.count() == 1


def test_a_full_slot_cannot_be_booked_and_scheduling_tells_the_customer():
    visit = product_make(needs_appointment=True)
    slot = slot_make(visit, starts_at=NOW + dt.timedelta(days=3))
    later = slot_make(visit, starts_at=NOW + dt.timedelta(days=4))
    order = order_made(AccountFactory(), visit, as_of=TODAY, slot=slot)

    with pytest.raises(OrderRefused) as refused:
        order_made(AccountFactory(), visit, as_of=TODAY, slot=slot, key="k2")
    assert refused.value.code == "slot_full"

    order = order_schedule(order=order, slot=later, by=staff_user())
    assert order.status == Order.Status.SCHEDULED and order.slot == later
    assert OutboxMessage.objects.filter(template="order_scheduled").count() == 1
    assert order_complete(order=order, by=None).status == Order.Status.COMPLETED


def test_an_order_invoice_does_not_take_the_place_of_a_consumption_bill_for_the_same_start_day():
    """Ordered on 1 January 2026, the first day of supply: the annual bill for
    2026 (start day 1 January) still issues, and the next period follows it."""
    from billing.services.invoicing import bill_plan
    from tests.billing.factories import billed_year

    account = AccountFactory()
    order = order_made(account, product_make(), as_of=dt.date(2026, 1, 1))
    assert order.invoice.period_start == dt.date(2026, 1, 1)

    bill = billed_year(account=account)

    assert bill.is_issued and bill.kind == Invoice.Kind.INVOICE
    assert bill.period_start == dt.date(2026, 1, 1) and bill.period_end == dt.date(2026, 12, 31)
    plan = bill_plan(account=account, as_of=dt.date(2028, 1, 5))
    assert plan.period_start == dt.date(2027, 1, 1)


def test_slots_open_on_working_days_once_and_full_ones_are_not_bookable():
    from orders.services import slots_bookable, slots_open

    visit = Product.objects.get(code="TECHNICIAN_VISIT")
    # 1 March 2027 is a Monday: 5 working days of the first 7, 4 slots each.
    assert slots_open(product=visit, first_day=TODAY, days=7) == 20
    assert slots_open(product=visit, first_day=TODAY, days=7) == 0
    bookable = slots_bookable(product=visit, now=NOW)
    assert all(slot.starts_at >= NOW + dt.timedelta(days=visit.lead_time_days) for slot in bookable)
    assert bookable and bookable[0].starts_at.date() == dt.date(2027, 3, 3)
