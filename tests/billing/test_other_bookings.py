"""Fees, interest and compensation credits booked between two bills are
listed on the later bill as other bookings, outside its totals (issue 15)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from billing.documents.presenter import _other_bookings, invoice_view
from billing.models import Invoice, LedgerEntry
from billing.services.ledger import ledger_book
from tests.billing.factories import credit_note_make, invoice_make, payment_book

pytestmark = pytest.mark.django_db


def book(account, kind, amount: str, day: dt.date, text: str, reference: str) -> LedgerEntry:
    entry, _created = ledger_book(
        account=account,
        kind=kind,
        amount=Decimal(amount),
        booked_on=day,
        key=f"test:{reference}:{day}:{amount}",
        text=text,
        reference=reference,
    )
    return entry


@pytest.fixture
def two_bills():
    """A bill issued on 5 January 2026 and the next one on 5 January 2027."""
    first = invoice_make(number="RE2026-000001")
    Invoice.objects.filter(pk=first.pk).update(
        period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31), issue_date=dt.date(2026, 1, 5)
    )
    first.refresh_from_db()
    second = invoice_make(account=first.account, number="RE2027-000001")
    account = first.account
    book(account, LedgerEntry.Kind.FEE, "12.50", dt.date(2025, 6, 1), "Reminder fee", "MAHN-1")
    book(account, LedgerEntry.Kind.FEE, "-20.00", dt.date(2026, 3, 10), "Compensation: interruption", "INT-7")
    book(account, LedgerEntry.Kind.FEE, "35.00", dt.date(2026, 9, 2), "Reconnection fee", "INT-8")
    book(account, LedgerEntry.Kind.FEE, "9.00", dt.date(2027, 1, 6), "Late fee", "INT-9")
    payment_book(account, "50.00", day=dt.date(2026, 4, 1), key="PAY-1")
    return first, second


def test_fees_and_credits_since_the_last_bill_are_on_the_next_bill(two_bills):
    first, second = two_bills

    view = invoice_view(invoice=second)

    assert [(b.date, b.text, b.reference, b.amount, b.is_credit) for b in view.other_bookings] == [
        ("March 10, 2026", "Compensation: interruption", "INT-7", "€-20.00", True),
        ("Sept. 2, 2026", "Reconnection fee", "INT-8", "€35.00", False),
    ]
    # Separate items: the bill's figures stay as billed.
    assert view.gross_total == invoice_view(invoice=first).gross_total
    assert view.steps[-1].amount == invoice_view(invoice=first).steps[-1].amount


def test_the_first_bill_lists_only_what_was_booked_before_it(two_bills):
    first, _second = two_bills

    assert [b.reference for b in invoice_view(invoice=first).other_bookings] == ["MAHN-1"]


def test_a_credit_note_lists_no_other_bookings(two_bills):
    _first, second = two_bills
    note = credit_note_make(second, number="GS2027-000001")

    assert invoice_view(invoice=note).other_bookings == []


def test_the_list_stays_the_same_after_the_bill_was_cancelled(two_bills):
    first, second = two_bills
    before = invoice_view(invoice=second).other_bookings
    credit_note_make(first, number="GS2026-000001")
    Invoice.objects.filter(pk=first.pk).update(status=Invoice.Status.CANCELLED)

    assert invoice_view(invoice=second).other_bookings == before


def test_the_document_shows_the_section_with_the_note(two_bills):
    _first, second = two_bills
    view = invoice_view(invoice=second)

    html = render_to_string("billing/documents/invoice.html", {"bill": view})

    assert "Other bookings since your last bill" in html
    assert "INT-7" in html and "INT-8" in html and "INT-9" not in html and "MAHN-1" not in html
    assert "settled with the balance of your account" in html


def test_a_bill_without_other_bookings_has_no_section():
    invoice = invoice_make()

    html = render_to_string("billing/documents/invoice.html", {"bill": invoice_view(invoice=invoice)})

    assert "Other bookings since your last bill" not in html


def test_the_list_is_loaded_in_one_query(two_bills, django_assert_num_queries):
    _first, second = two_bills

    with django_assert_num_queries(1):
        bookings = _other_bookings(second, "en")

    assert len(bookings) == 2


def test_the_bill_page_shows_the_section(two_bills, client):
    _first, second = two_bills
    client.force_login(second.account.customer.user)
    client.cookies["portal_language"] = "en"

    response = client.get(reverse("bills:bill", args=[second.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="bill-other-bookings"' in html
    assert "INT-7" in html and "INT-8" in html and "INT-9" not in html
