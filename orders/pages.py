"""What the order pages show (reads only): the catalogue a customer may
order from, an order with its invoice, what is open of it, how it is paid
and whether it can be cancelled, the lists of orders, and the agents' queue
with its filters. Shared by the customer pages, the back-office and the
template tags of the dashboard and the customer page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from billing.models import Invoice
from billing.queries.bills import BillRow, bill_rows
from core import clock
from orders.models import AppointmentSlot, Order, OrderLine, Product
from orders.pricing import NoVatRateOnDate, order_price, vat_rate_for
from orders.rules import order_rule_allows
from orders.services import order_cancel_check, slots_bookable
from payments.models import SepaCollection
from supply.models import ServiceAgreement

STATUS_BADGES = {
    Order.Status.QUOTED: "text-bg-light border",
    Order.Status.CONFIRMED: "text-bg-primary",
    Order.Status.SCHEDULED: "text-bg-info",
    Order.Status.COMPLETED: "text-bg-success",
    Order.Status.CANCELLED: "text-bg-secondary",
}
# Supplies an order can be for: not refused or withdrawn ones.
ORDERABLE_SUPPLY_EXCLUDED = (ServiceAgreement.Status.REJECTED, ServiceAgreement.Status.CANCELLED)


def orders_with_relations() -> QuerySet[Order]:
    return Order.objects.select_related(
        "account__customer", "product", "supply_point__premise", "slot", "invoice", "created_by"
    )


# --- The catalogue -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueItem:
    product: Product
    gross_price: Decimal | None

    @property
    def orderable_online(self) -> bool:
        return not self.product.quote_only


def agreements_for(*, accounts: list[Account]) -> list[ServiceAgreement]:
    """The accounts' supplies an order can be for, newest first."""
    return list(
        ServiceAgreement.objects.filter(account__in=accounts)
        .exclude(status__in=ORDERABLE_SUPPLY_EXCLUDED)
        .select_related("account", "supply_point__premise")
        .order_by("-start_date", "-id")
    )


def _gross(product: Product, *, as_of: dt.date) -> Decimal | None:
    """The gross price of one unit on `as_of` (None without a VAT rate that day)."""
    try:
        rate = vat_rate_for(category=product.vat_category, day=as_of)
    except NoVatRateOnDate:
        return None
    return order_price([(product.code, Decimal(1), product.unit, product.net_price, rate)]).gross_total


def catalogue(
    *, accounts: list[Account], agreements: list[ServiceAgreement], for_agent: bool, as_of: dt.date
) -> list[CatalogueItem]:
    """The active products one of `accounts` may order: for a supply it has
    (or for any), whose rule one of the accounts meets; agent-only products
    only for an agent."""
    utilities = {agreement.supply_point.utility for agreement in agreements}
    products = Product.objects.filter(active=True).filter(Q(utility="") | Q(utility__in=utilities))
    if not for_agent:
        products = products.exclude(ordered_by=Product.OrderedBy.AGENT)
    items = []
    for product in products.order_by("position", "code", "id"):
        if product.rule and not any(order_rule_allows(product.rule, account) for account in accounts):
            continue
        items.append(CatalogueItem(product=product, gross_price=_gross(product, as_of=as_of)))
    return items


def slots_for(*, product: Product, now: dt.datetime, for_agent: bool) -> list[AppointmentSlot]:
    """The free slots a customer may book (after the lead time); an agent may
    book any free slot from now on."""
    if not product.needs_appointment:
        return []
    if for_agent:
        return slots_bookable(product=product, now=now - dt.timedelta(days=product.lead_time_days))
    return slots_bookable(product=product, now=now)


def slots_for_order(*, order: Order, now: dt.datetime) -> list[AppointmentSlot]:
    """The slots an agent may set for an open order: its own first (to agree
    to the customer's choice), then every other free one."""
    free = slots_for(product=order.product, now=now, for_agent=True)
    if order.slot is None:
        return free
    return [order.slot, *(slot for slot in free if slot.pk != order.slot_id)]


# --- One order -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderPage:
    order: Order
    bill: BillRow | None
    credit_note: Invoice | None
    collection_date: dt.date | None
    cancel_refusal: str
    fee_orders: list[Order]
    lines: list[OrderLine]

    @property
    def badge(self) -> str:
        return STATUS_BADGES[Order.Status(self.order.status)]

    @property
    def open_amount(self) -> Decimal:
        return self.bill.open_amount if self.bill else Decimal("0.00")

    @property
    def collected_by_direct_debit(self) -> bool:
        return self.collection_date is not None

    @property
    def may_pay_online(self) -> bool:
        """ "Pay now" for an invoice with something open that no direct debit collects."""
        return (
            self.order.invoice is not None
            and self.order.invoice.status == Invoice.Status.ISSUED
            and self.open_amount > 0
            and not self.collected_by_direct_debit
        )

    @property
    def may_cancel(self) -> bool:
        return not self.cancel_refusal

    @property
    def appointment(self) -> AppointmentSlot | None:
        return self.order.slot


def _collection_date(invoice: Invoice | None) -> dt.date | None:
    if invoice is None:
        return None
    collection = (
        SepaCollection.objects.filter(ledger_entries__invoice=invoice)
        .exclude(status__in=(SepaCollection.Status.CANCELLED,))
        .order_by("-collection_date", "-id")
        .first()
    )
    return collection.collection_date if collection else None


def order_page(*, order: Order, channel: str) -> OrderPage:
    """The order with its invoice's open amount, the credit note after a
    cancellation, the direct-debit date, and why it cannot be cancelled
    by `channel` now ("" when it can)."""
    invoice = order.invoice
    bill = bill_rows(invoices=[invoice], as_of=clock.today())[0] if invoice is not None else None
    credit_note = (
        Invoice.objects.filter(cancels=invoice, kind=Invoice.Kind.CREDIT_NOTE).first()
        if invoice is not None and order.is_cancelled
        else None
    )
    return OrderPage(
        order=order,
        bill=bill,
        credit_note=credit_note,
        collection_date=_collection_date(invoice) if invoice is not None and not order.is_cancelled else None,
        cancel_refusal=order_cancel_check(order=order, channel=channel, now=clock.now()),
        fee_orders=list(order.fees.select_related("invoice", "product").order_by("id")),
        lines=list(order.lines.order_by("position", "id")),
    )


# --- Lists -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderRow:
    order: Order
    bill: BillRow | None
    credit_note: Invoice | None
    may_cancel: bool

    @property
    def badge(self) -> str:
        return STATUS_BADGES[Order.Status(self.order.status)]


def order_rows(*, orders: list[Order], channel: str) -> list[OrderRow]:
    """Each order with its invoice's state and its credit note, in two queries for all."""
    invoices = [order.invoice for order in orders if order.invoice is not None]
    bills = {row.invoice.pk: row for row in bill_rows(invoices=invoices, as_of=clock.today())} if invoices else {}
    cancelled = [order.invoice_id for order in orders if order.is_cancelled and order.invoice_id]
    notes = {}
    if cancelled:
        credit_notes = Invoice.objects.filter(cancels_id__in=cancelled, kind=Invoice.Kind.CREDIT_NOTE)
        notes = {note.cancels_id: note for note in credit_notes}
    now = clock.now()
    return [
        OrderRow(
            order=order,
            bill=bills.get(order.invoice_id),
            credit_note=notes.get(order.invoice_id),
            may_cancel=not order_cancel_check(order=order, channel=channel, now=now),
        )
        for order in orders
    ]


def open_orders(*, accounts: list[Account]) -> list[Order]:
    """The accounts' confirmed and scheduled orders, the next appointment first."""
    return list(
        Order.objects.filter(account__in=accounts, status__in=Order.OPEN_STATES)
        .select_related("product", "slot")
        .order_by("slot__starts_at", "id")
    )


# --- The agents' queue -------------------------------------------------------------------------------------------

QUEUE_FILTERS = {
    "new": _("New"),
    "scheduled": _("Scheduled"),
    "today": _("Due today"),
    "overdue": _("Overdue"),
    "all": _("All open"),
}


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = clock.start_of_day(day)
    return start, clock.start_of_day(day + dt.timedelta(days=1))


def queue_conditions(*, today: dt.date) -> dict[str, Q]:
    """The queue's filters over open orders: new = confirmed, waiting for an
    agent; scheduled = the appointment is agreed; due today = the appointment
    is today; overdue = the appointment has passed and the order is not done."""
    start, end = _day_bounds(today)
    return {
        "new": Q(status=Order.Status.CONFIRMED),
        "scheduled": Q(status=Order.Status.SCHEDULED),
        "today": Q(slot__starts_at__gte=start, slot__starts_at__lt=end),
        "overdue": Q(slot__starts_at__lt=start),
        "all": Q(),
    }


def queue_counts(*, today: dt.date) -> dict[str, int]:
    conditions = queue_conditions(today=today)
    return Order.objects.filter(status__in=Order.OPEN_STATES).aggregate(
        **{key: Count("id", filter=condition) for key, condition in conditions.items()}
    )


def queue(*, key: str, today: dt.date) -> QuerySet[Order]:
    """The open orders of one filter: appointments first by time, then the oldest orders."""
    return (
        orders_with_relations()
        .filter(status__in=Order.OPEN_STATES)
        .filter(queue_conditions(today=today)[key])
        .order_by("slot__starts_at", "confirmed_at", "id")
    )


def new_orders_count() -> int:
    return Order.objects.filter(status=Order.Status.CONFIRMED).count()
