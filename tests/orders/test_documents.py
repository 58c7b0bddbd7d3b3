"""An order invoice and its credit note go out as PDFs that show the ordered
item, and no supply, reading or comparison with last year."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from billing.documents.pdf import invoice_pdf_ensure
from billing.services.delivery import invoice_deliver
from core.models import OutboxMessage
from orders.models import Order
from orders.services import order_cancel
from tests.accounts.factories import AccountFactory
from tests.orders.factories import order_made, product_make
from tests.supply.factories import pdf_text

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def test_the_order_invoice_and_its_credit_note_render_and_are_delivered():
    account = AccountFactory(customer__language="en")
    order = order_made(account, product_make(name_en="Technician visit", net_price=Decimal("75.00")), as_of=TODAY)

    message = invoice_deliver(invoice_id=order.invoice_id)
    text = pdf_text(invoice_pdf_ensure(invoice_id=order.invoice_id))

    assert message is not None and message.template == "invoice_issued"
    assert "Invoice for your order" in text and order.invoice.number in text
    assert "Technician visit" in text and "89.25" in text
    assert "Supply period" not in text and "same period last year" not in text.lower()

    note = order_cancel(order=order, channel=Order.Channel.PORTAL, as_of=TODAY).credit_note
    invoice_deliver(invoice_id=note.pk)

    assert "Technician visit" in pdf_text(invoice_pdf_ensure(invoice_id=note.pk))
    assert OutboxMessage.objects.filter(template="credit_note_issued").count() == 1
