"""A customer orders a technician visit: from the dashboard to the
catalogue, chooses an appointment, reads the quote (net, VAT, gross, the
cancellation terms and the withdrawal right), confirms, and finds the
order with its invoice and "Pay now"."""

import datetime as dt
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from billing.models import Invoice
from core import clock
from orders.models import Order, Product
from tests.orders.factories import slot_make
from tests.supply.factories import supplied

pytestmark = pytest.mark.e2e


@pytest.fixture
def customer(sign_in, english, live_server, settings):
    settings.BILLING_DELIVER_ON_ISSUE = False
    settings.SITE_URL = live_server.url  # the payment provider's return and sandbox links
    settings.STRIPE_SECRET_KEY = ""
    today = clock.today()
    agreement = supplied(start_date=today - dt.timedelta(days=30), language="de")
    visit = Product.objects.get(code="TECHNICIAN_VISIT")
    # In English (stable texts). Three weeks ahead: after the lead time and outside the 14-day withdrawal period.
    starts = clock.start_of_day(today + dt.timedelta(days=21)) + dt.timedelta(hours=9)
    slot = slot_make(visit, starts_at=starts, hours=2)
    urllib.request.urlopen(f"{live_server.url}/healthz", timeout=120).close()
    sign_in(agreement.account.customer.user)
    return agreement.account, slot


def test_a_customer_orders_a_technician_visit_and_sees_the_invoice_and_pay_now(page, customer):
    account, slot = customer

    page.goto("/")
    page.get_by_test_id("dashboard-order").click()
    expect(page).to_have_url(re.compile(r"/orders/new/$"))
    expect(page.get_by_test_id("product-TECHNICIAN_VISIT")).to_contain_text("€89.25")  # 75.00 net + 19 % VAT
    page.get_by_test_id("order-TECHNICIAN_VISIT").click()

    # The choice: two hours, the free appointment.
    page.locator("input[name=quantity]").fill("2")
    page.locator(f"input[name=slot][value='{slot.pk}']").check()
    page.get_by_test_id("show-quote").click()

    # The quote, before anything is saved.
    expect(page.get_by_test_id("quote-net")).to_have_text("€150.00")
    expect(page.get_by_test_id("quote-vat")).to_have_text("€28.50")
    expect(page.get_by_test_id("quote-gross")).to_have_text("€178.50")
    expect(page.get_by_test_id("quote-terms")).to_contain_text("24 hours before the appointment")
    expect(page.get_by_test_id("quote-withdrawal")).to_be_visible()
    assert not Order.objects.exists()
    page.get_by_test_id("confirm-order").click()

    # Confirmed: the invoice at once, its PDF and "Pay now".
    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get(account=account)
    invoice = Invoice.objects.get(kind=Invoice.Kind.ORDER, account=account)
    assert (order.status, order.invoice_id, order.slot_id) == (Order.Status.CONFIRMED, invoice.pk, slot.pk)
    expect(page.get_by_test_id("order-status")).to_have_text("confirmed")
    expect(page.get_by_test_id("invoice-number")).to_have_text(invoice.number)
    expect(page.get_by_test_id("invoice-pdf")).to_have_attribute("href", f"/bills/{invoice.pk}/pdf/")
    expect(page.get_by_test_id("pay-now")).to_be_visible()

    # "Pay now" opens the payment for exactly this invoice.
    page.get_by_test_id("pay-now").click()
    expect(page).to_have_url(re.compile(r"/payments/sandbox/\d+/$"))

    page.goto("/orders/")
    expect(page.get_by_test_id("order-row")).to_have_count(1)
    expect(page.get_by_test_id("order-row")).to_contain_text(invoice.number)
