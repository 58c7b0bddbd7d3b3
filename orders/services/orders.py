"""The order use cases (see orders.services for the published names)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account, PaymentMethod, SepaMandate
from billing.models import Invoice, LedgerClearing, LedgerEntry
from billing.services.invoicing import invoice_cancel
from billing.services.ledger import account_balance, entry_open_amount
from billing.services.order_invoices import OrderInvoiceLine, order_invoice_issue
from core import clock
from core.communications import message_send
from core.money import round_money
from meters.models import SupplyPoint
from orders.models import AppointmentSlot, Order, OrderLine, Product
from orders.pricing import NoVatRateOnDate, Priced, order_price, vat_rate_for
from orders.rules import order_rule_allows
from orders.signals import order_completed
from payments.models import Payment, Refund
from payments.services.payments import CARD_METHODS, RefundRefused, refund_issue
from payments.services.sepa import sepa_collection_request, sepa_collections_cancel
from supply.models import ServiceAgreement

Channel = Order.Channel
# A customer orders in the portal or through the API (the app, an integration's key).
CUSTOMER_CHANNELS = (Channel.PORTAL, Channel.API)
STAFF_CHANNELS = (Channel.AGENT, Channel.SYSTEM)
# Contracts made without meeting (portal, app, an agent on the phone or by
# mail) carry the consumer's 14-day withdrawal right (BGB §312g).
DISTANCE_CHANNELS = (Channel.PORTAL, Channel.API, Channel.AGENT)
# Orders whose appointment takes a place in its slot.
BOOKED_STATES = (Order.Status.CONFIRMED, Order.Status.SCHEDULED, Order.Status.COMPLETED)
MAX_QUANTITY = 99
WITHDRAWAL_DAYS = 14


class OrderRefused(Exception):
    """The order (or the step) is not allowed; the message is for the person asking.
    `field` names the input at fault (API/form), `code` the rule."""

    def __init__(self, message: str, *, field: str = "", code: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


@dataclass(frozen=True)
class Quote:
    """What the customer sees before confirming (nothing saved)."""

    product: Product
    quantity: Decimal
    priced: Priced
    as_of: dt.date
    # Texts in the customer's language; the order keeps them as its quote snapshot.
    snapshot: dict

    @property
    def net_total(self) -> Decimal:
        return self.priced.net_total

    @property
    def vat_total(self) -> Decimal:
        return self.priced.vat_total

    @property
    def gross_total(self) -> Decimal:
        return self.priced.gross_total


@dataclass
class Cancellation:
    order: Order
    credit_note: Invoice | None = None
    refunds: list[Refund] = field(default_factory=list)
    fee_order: Order | None = None
    # Why nothing (or not all) was refunded automatically; empty when all went back.
    refund_note: str = ""


# --- Checks ----------------------------------------------------------------------------------------------------


def _quantity(value) -> Decimal:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise OrderRefused(_("Enter the quantity as a whole number."), field="quantity", code="quantity") from error
    if quantity != quantity.to_integral_value() or not 1 <= quantity <= MAX_QUANTITY:
        raise OrderRefused(
            _("The quantity must be a whole number from 1 to %(max)d.") % {"max": MAX_QUANTITY},
            field="quantity",
            code="quantity",
        )
    return quantity


def _product_check(*, product: Product, account: Account, channel: str) -> None:
    if not product.active:
        raise OrderRefused(_("This item cannot be ordered any more."), field="product_code", code="inactive")
    if product.agent_only and channel not in STAFF_CHANNELS:
        raise OrderRefused(
            _("This item can only be ordered through our customer service."), field="product_code", code="agent_only"
        )
    if product.rule and not order_rule_allows(product.rule, account):
        message = {
            Product.Rule.REQUIRES_DISCONNECTION: _("This item is only for an account whose supply was disconnected."),
        }.get(product.rule, _("This item cannot be ordered for this account."))
        raise OrderRefused(message, field="product_code", code="rule")


def _supply_point_check(*, product: Product, account: Account, supply_point: SupplyPoint | None) -> None:
    if supply_point is not None:
        supplied = ServiceAgreement.objects.filter(account=account, supply_point=supply_point).exclude(
            status__in=(ServiceAgreement.Status.REJECTED, ServiceAgreement.Status.CANCELLED)
        )
        if not supplied.exists():
            raise OrderRefused(
                _("This supply point does not belong to the account."), field="supply_point_id", code="supply_point"
            )
        if product.utility and supply_point.utility != product.utility:
            raise OrderRefused(
                _("This item is for a %(utility)s supply.") % {"utility": product.get_utility_display()},
                field="supply_point_id",
                code="supply_point",
            )
    elif product.utility:
        raise OrderRefused(
            _("Choose the %(utility)s supply this item is for.") % {"utility": product.get_utility_display()},
            field="supply_point_id",
            code="supply_point",
        )


def _booked(slot: AppointmentSlot, *, excluding: Order | None = None) -> int:
    orders = slot.orders.filter(status__in=BOOKED_STATES)
    if excluding is not None and excluding.pk:
        orders = orders.exclude(pk=excluding.pk)
    return orders.count()


def _slot_check(
    *, product: Product, slot: AppointmentSlot | None, now: dt.datetime, order: Order | None = None, lead: bool = True
) -> None:
    if slot is None:
        return
    if not product.needs_appointment:
        raise OrderRefused(_("This item needs no appointment."), field="appointment_slot", code="slot")
    earliest = now + dt.timedelta(days=product.lead_time_days if lead else 0)
    if slot.product_id != product.pk or not slot.active or slot.starts_at < earliest:
        raise OrderRefused(_("This appointment cannot be booked."), field="appointment_slot", code="slot")
    if _booked(slot, excluding=order) >= slot.capacity:
        raise OrderRefused(
            _("This appointment is fully booked; choose another."), field="appointment_slot", code="slot_full"
        )


def _language(account: Account) -> str:
    preferences = getattr(account, "billing_preferences", None)
    return (getattr(preferences, "invoice_language", "") or account.customer.language or "de")[:2]


def _quote_language(*, account: Account, channel: str) -> str:
    active = (translation.get_language() or "")[:2]
    if channel in CUSTOMER_CHANNELS and active in {code for code, _name in settings.LANGUAGES}:
        return active
    return _language(account)


def _deadline(order_or_product: Product, slot: AppointmentSlot | None) -> dt.datetime | None:
    if slot is None:
        return None
    return slot.starts_at - dt.timedelta(hours=order_or_product.cancel_until_hours)


def _snapshot(
    *, product: Product, account: Account, priced: Priced, slot: AppointmentSlot | None, channel: str
) -> dict:
    """The quote's texts as the customer saw them and its figures: in the
    language of the page or app they ordered in, else (an agent or the system
    ordering) in the customer's language."""
    language = _quote_language(account=account, channel=channel)
    with translation.override(language):
        if product.needs_appointment:
            next_steps = _("A technician comes at the appointment; we confirm it by e-mail.")
        else:
            next_steps = _("We carry out your order and tell you when it is done.")
        if not product.cancellable:
            terms = _("This order cannot be cancelled once confirmed.")
        elif product.needs_appointment:
            terms = _("You can cancel free of charge until %(hours)d hours before the appointment.") % {
                "hours": product.cancel_until_hours
            }
        else:
            terms = _("You can cancel free of charge until the order is carried out.")
        consumer_at_distance = channel in DISTANCE_CHANNELS and not account.customer.is_business
        withdrawal = (
            _(
                "You may withdraw from this contract within 14 days without giving reasons. By confirming, you "
                "expressly ask us to start before the withdrawal period ends: if you withdraw, you pay for what "
                "was performed until then, and your right ends once the service is fully performed."
            )
            if consumer_at_distance
            else ""
        )
        return {
            "product": product.code,
            "name": product.name_in(language),
            "lines": [
                {
                    "description": line.description,
                    "quantity": str(line.quantity),
                    "unit": line.unit,
                    "unit_price": str(line.unit_price),
                    "vat_rate": str(line.vat_rate),
                    "net_amount": str(line.net_amount),
                }
                for line in priced.lines
            ],
            "vat_summary": [
                {"rate": str(rate), "net": str(net), "vat": str(vat)} for rate, (net, vat) in priced.vat_summary.items()
            ],
            "net_total": str(priced.net_total),
            "vat_total": str(priced.vat_total),
            "gross_total": str(priced.gross_total),
            "next_steps": next_steps,
            "cancellation_terms": terms,
            "withdrawal_right": bool(withdrawal),
            "withdrawal_text": withdrawal,
            "withdrawal_days": WITHDRAWAL_DAYS if withdrawal else 0,
            "slot": slot.starts_at.isoformat() if slot else None,
        }


def _price(
    *, product: Product, account: Account, quantity: Decimal, unit_price: Decimal | None, as_of: dt.date
) -> Priced:
    try:
        rate = vat_rate_for(category=product.vat_category, day=as_of)
    except NoVatRateOnDate as error:
        raise OrderRefused(_("This item cannot be priced today."), field="product_code", code="no_vat") from error
    price = product.net_price if unit_price is None else unit_price
    return order_price([(product.name_in(_language(account)), quantity, product.unit, price, rate)])


# --- Quote and place --------------------------------------------------------------------------------------------


def order_quote(
    *,
    account: Account,
    product: Product,
    quantity=1,
    supply_point: SupplyPoint | None = None,
    slot: AppointmentSlot | None = None,
    channel: str,
    as_of: dt.date,
    unit_price: Decimal | None = None,
) -> Quote:
    """Price an order on `as_of` without saving anything: lines, VAT per rate,
    totals, what happens next, the cancellation terms and (for a consumer at
    a distance) the 14-day withdrawal right. Raises OrderRefused."""
    quantity = _quantity(quantity)
    _product_check(product=product, account=account, channel=channel)
    _supply_point_check(product=product, account=account, supply_point=supply_point)
    _slot_check(product=product, slot=slot, now=clock.now(), lead=channel in CUSTOMER_CHANNELS)
    if unit_price is not None and channel != Channel.AGENT:
        raise OrderRefused(_("Only an agent can quote a price."), field="unit_price", code="price")
    priced = _price(product=product, account=account, quantity=quantity, unit_price=unit_price, as_of=as_of)
    snapshot = _snapshot(product=product, account=account, priced=priced, slot=slot, channel=channel)
    return Quote(product=product, quantity=quantity, priced=priced, as_of=as_of, snapshot=snapshot)


def _key(value: str) -> str:
    key = (value or "").strip()
    if not key or len(key) > 100:
        raise OrderRefused(
            _("Send an idempotency key of 1 to 100 characters."), field="idempotency_key", code="idempotency_key"
        )
    return key


def _lines_save(order: Order, priced: Priced) -> None:
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            position=position,
            product=order.product,
            description=line.description,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            net_amount=line.net_amount,
        )
        for position, line in enumerate(priced.lines, start=1)
    )


def order_place(
    *,
    account: Account,
    product: Product,
    quantity=1,
    supply_point: SupplyPoint | None = None,
    slot: AppointmentSlot | None = None,
    channel: str,
    idempotency_key: str,
    confirm: bool,
    by: AbstractBaseUser | None = None,
    as_of: dt.date,
    express_start: bool = False,
    unit_price: Decimal | None = None,
    note: str = "",
    fee_for: Order | None = None,
) -> Order:
    """Save the quoted order, and with `confirm` confirm it in the same
    transaction (see order_confirm). The same `idempotency_key` for the
    account returns the first order, whatever it was asked this time."""
    key = _key(idempotency_key)
    existing = Order.objects.filter(account=account, idempotency_key=key).first()
    if existing is not None:
        return existing
    quote = order_quote(
        account=account,
        product=product,
        quantity=quantity,
        supply_point=supply_point,
        slot=slot,
        channel=channel,
        as_of=as_of,
        unit_price=unit_price,
    )
    try:
        with transaction.atomic():
            order = Order.objects.create(
                account=account,
                supply_point=supply_point,
                product=product,
                status=Order.Status.QUOTED,
                channel=channel,
                idempotency_key=key,
                slot=slot,
                quoted_on=as_of,
                net_total=quote.net_total,
                vat_total=quote.vat_total,
                gross_total=quote.gross_total,
                quote=quote.snapshot,
                express_start=express_start,
                fee_for=fee_for,
                note=note[:300],
                created_by=by,
            )
            _lines_save(order, quote.priced)
            if confirm:
                order = order_confirm(order=order, by=by, channel=channel, as_of=as_of, express_start=express_start)
    except IntegrityError:
        # A parallel request with the same key saved its order first.
        existing = Order.objects.filter(account=account, idempotency_key=key).first()
        if existing is None:
            raise
        return existing
    return order


# --- Confirm ------------------------------------------------------------------------------------------------------


def _arrange_payment(*, order: Order, invoice: Invoice, as_of: dt.date) -> None:
    """With an active mandate the invoice is collected by direct debit (the
    customer is pre-notified now, collected on its due date at the earliest);
    otherwise it is due by the payment terms and can be paid online."""
    account = order.account
    if account.payment_method != PaymentMethod.SEPA:
        return
    mandate = SepaMandate.objects.filter(account=account, status=SepaMandate.Status.ACTIVE).order_by("-id").first()
    entry = invoice.ledger_entries.filter(kind=LedgerEntry.Kind.INVOICE).first()
    if mandate is None or entry is None:
        return
    amount = entry_open_amount(entry=entry)
    if amount > 0:
        sepa_collection_request(
            account=account,
            mandate=mandate,
            items=[(entry, amount)],
            as_of=as_of,
            tag=f"ORD{order.pk}",
            not_before=invoice.due_date,
        )


def order_confirm(
    *,
    order: Order,
    by: AbstractBaseUser | None = None,
    channel: str,
    as_of: dt.date,
    express_start: bool = False,
) -> Order:
    """Confirm a quoted order: in one transaction it becomes CONFIRMED, is
    priced again on `as_of` (the invoice date's VAT), and its invoice is
    issued with the next number of the series, booked, delivered after commit,
    and its payment arranged. A confirmed order is returned as it is (a second
    click, a retried request, a parallel worker: one invoice). Quote-only items
    are confirmed by an agent only."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("product", "account__customer", "supply_point", "slot")
            .get(pk=order.pk)
        )
        if order.status in BOOKED_STATES:
            return order
        if order.is_cancelled:
            raise OrderRefused(_("This order was cancelled."), code="cancelled")
        product, account = order.product, order.account
        _product_check(product=product, account=account, channel=channel)
        if product.quote_only and channel != Channel.AGENT:
            raise OrderRefused(
                _("This item needs a quote from us: we will contact you and confirm it with you."),
                field="product_code",
                code="quote_only",
            )
        if order.slot_id is not None:
            slot = AppointmentSlot.objects.select_for_update().get(pk=order.slot_id)
            _slot_check(product=product, slot=slot, now=clock.now(), order=order, lead=False)
        lines = list(order.lines.order_by("position"))
        language = _language(account)
        rates = {}
        for line in lines:
            try:
                rates[line.pk] = vat_rate_for(category=line.product.vat_category, day=as_of)
            except NoVatRateOnDate as error:
                raise OrderRefused(_("This item cannot be priced today."), code="no_vat") from error
        priced = order_price(
            [(line.description, line.quantity, line.unit, line.unit_price, rates[line.pk]) for line in lines]
        )
        for line, priced_line in zip(lines, priced.lines, strict=True):
            if line.vat_rate != priced_line.vat_rate or line.net_amount != priced_line.net_amount:
                line.vat_rate, line.net_amount = priced_line.vat_rate, priced_line.net_amount
                line.save(update_fields=["vat_rate", "net_amount"])
        supply_point = order.supply_point
        with translation.override(language):
            reference = _("Order %(id)s") % {"id": order.pk}
        invoice = order_invoice_issue(
            account=account,
            lines=[
                OrderInvoiceLine(
                    description=line.description,
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_price=line.unit_price,
                    net_amount=line.net_amount,
                    vat_rate=line.vat_rate,
                    utility=supply_point.utility if supply_point else (product.utility or ""),
                    supply_point=supply_point.identifier if supply_point else "",
                )
                for line in priced.lines
            ],
            vat_total=priced.vat_total,
            as_of=as_of,
            reference=reference,
            details={
                "order_id": order.pk,
                "product": product.code,
                "appointment": order.slot.starts_at.isoformat() if order.slot else None,
                "vat_summary": order.quote.get("vat_summary", [])
                if priced.vat_total == order.vat_total
                else [
                    {"rate": str(rate), "net": str(net), "vat": str(vat)}
                    for rate, (net, vat) in priced.vat_summary.items()
                ],
            },
        )
        order.status = Order.Status.CONFIRMED
        order.invoice = invoice
        order.net_total, order.vat_total, order.gross_total = priced.net_total, priced.vat_total, priced.gross_total
        order.confirmed_at = timezone.now()
        order.express_start = order.express_start or express_start
        order.save(
            update_fields=[
                "status",
                "invoice",
                "net_total",
                "vat_total",
                "gross_total",
                "confirmed_at",
                "express_start",
            ]
        )
        _arrange_payment(order=order, invoice=invoice, as_of=as_of)
    return order


# --- Cancel -------------------------------------------------------------------------------------------------------


def order_cancel_check(*, order: Order, channel: str, now: dt.datetime) -> str:
    """Why the order cannot be cancelled now (translated), or "" when it can."""
    if order.is_cancelled:
        return _("This order is cancelled already.")
    if order.status == Order.Status.COMPLETED:
        return _("A completed order cannot be cancelled.")
    if order.is_quoted:
        return ""
    if not order.product.cancellable:
        return _("This order cannot be cancelled once confirmed.")
    deadline = _deadline(order.product, order.slot)
    if deadline is not None and now > deadline:
        return _("The order could be cancelled free of charge until %(deadline)s.") % {
            "deadline": formats.date_format(timezone.localtime(deadline), "DATETIME_FORMAT")
        }
    return ""


def _paid_towards(invoice: Invoice) -> list[tuple[Payment, Decimal]]:
    """The payments that settled the invoice, with how much of each."""
    clearings = (
        LedgerClearing.objects.filter(
            debit__invoice=invoice,
            debit__kind=LedgerEntry.Kind.INVOICE,
            credit__kind=LedgerEntry.Kind.PAYMENT,
            reversed_at__isnull=True,
        )
        .values("credit_id")
        .annotate(total=Sum("amount"))
    )
    amounts = {row["credit_id"]: round_money(Decimal(str(row["total"]))) for row in clearings}
    payments = Payment.objects.filter(ledger_entry_id__in=list(amounts)).order_by("id")
    return [(payment, amounts[payment.ledger_entry_id]) for payment in payments]


def _refund(*, cancellation: Cancellation, invoice: Invoice, by, as_of: dt.date) -> None:
    """Pay back what was paid of the invoice (at most the account's credit):
    to the card of an online payment through its provider, else to the IBAN
    of the mandate on file; without either the credit stays on the account."""
    account = invoice.account
    credit = -round_money(Decimal(str(account_balance(account=account))))
    reason = _("Order %(id)s cancelled (%(number)s)") % {"id": cancellation.order.pk, "number": invoice.number}
    for payment, paid in _paid_towards(invoice):
        amount = min(paid, credit)
        if amount <= 0:
            break
        if payment.method in CARD_METHODS and payment.status == Payment.Status.SUCCEEDED:
            method, kwargs = Refund.Method.CARD, {"payment": payment}
        elif SepaMandate.objects.filter(account=account, status=SepaMandate.Status.ACTIVE).exists():
            method, kwargs = Refund.Method.SEPA_TRANSFER, {}
        else:
            cancellation.refund_note = _(
                "%(amount)s EUR stay on the account as a credit: there is no card payment or IBAN to refund to."
            ) % {"amount": f"{amount:.2f}"}
            continue
        try:
            refund = refund_issue(
                account=account, amount=amount, method=method, created_by=by, as_of=as_of, reason=reason, **kwargs
            )
        except RefundRefused as error:
            cancellation.refund_note = str(error)
            continue
        cancellation.refunds.append(refund)
        credit -= amount


def order_cancel(
    *,
    order: Order,
    by: AbstractBaseUser | None = None,
    channel: str,
    reason: str = "",
    as_of: dt.date,
    charge_late_fee: bool = False,
) -> Cancellation:
    """Cancel an order within its terms: a confirmed order's invoice gets a
    credit note, a direct debit not yet in a file is called off, and what was
    paid goes back (card or IBAN). Outside the terms: OrderRefused with the
    reason; an agent (channel AGENT) may still cancel after the deadline with
    `charge_late_fee`: the product's late-cancellation fee becomes a new
    order. Cancelling a cancelled order answers the first cancellation."""
    order = Order.objects.select_related("product__late_cancellation_fee", "slot", "invoice").get(pk=order.pk)
    if order.is_cancelled:
        note = Invoice.objects.filter(cancels_id=order.invoice_id, kind=Invoice.Kind.CREDIT_NOTE).first()
        return Cancellation(order=order, credit_note=note, fee_order=order.fees.first())
    refusal = order_cancel_check(order=order, channel=channel, now=clock.now())
    late = (
        bool(refusal)
        and charge_late_fee
        and channel == Channel.AGENT
        and order.is_open
        and order.product.cancellable
        and order.product.late_cancellation_fee_id is not None
    )
    if refusal and not late:
        raise OrderRefused(refusal, code="cancel_refused")
    cancellation = Cancellation(order=order)
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("product", "account", "invoice")
            .get(pk=order.pk)
        )
        if order.is_cancelled:
            return order_cancel(order=order, by=by, channel=channel, reason=reason, as_of=as_of)
        if order.invoice is not None:
            sepa_collections_cancel(entries=list(order.invoice.ledger_entries.filter(kind=LedgerEntry.Kind.INVOICE)))
            cancellation.credit_note = invoice_cancel(
                invoice=order.invoice,
                user=by,
                as_of=as_of,
                reason=reason or (_("Order %(id)s cancelled") % {"id": order.pk}),
            )
        order.status = Order.Status.CANCELLED
        order.cancelled_at = timezone.now()
        order.cancel_reason = reason[:300]
        order.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        if late:
            cancellation.fee_order = order_place(
                account=order.account,
                product=order.product.late_cancellation_fee,
                supply_point=order.supply_point,
                channel=Channel.AGENT,
                idempotency_key=f"late-cancellation:{order.pk}",
                confirm=True,
                by=by,
                as_of=as_of,
                fee_for=order,
            )
    cancellation.order = order
    if cancellation.credit_note is not None and order.invoice is not None:
        _refund(cancellation=cancellation, invoice=order.invoice, by=by, as_of=as_of)
    return cancellation


# --- Fulfilment -----------------------------------------------------------------------------------------------------


def order_schedule(*, order: Order, slot: AppointmentSlot, by: AbstractBaseUser | None) -> Order:
    """Set or move a confirmed order's appointment (SCHEDULED); the customer is told by e-mail."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("product", "account__customer", "slot")
            .get(pk=order.pk)
        )
        if not order.is_open:
            raise OrderRefused(_("Only a confirmed order can be scheduled."), code="state")
        slot = AppointmentSlot.objects.select_for_update().get(pk=slot.pk)
        _slot_check(product=order.product, slot=slot, now=clock.now(), order=order, lead=False)
        moved = order.slot_id is not None and order.slot_id != slot.pk and order.status == Order.Status.SCHEDULED
        if order.status == Order.Status.SCHEDULED and order.slot_id == slot.pk:
            return order
        order.slot = slot
        order.status = Order.Status.SCHEDULED
        order.scheduled_at = timezone.now()
        order.save(update_fields=["slot", "status", "scheduled_at"])
        message_send(
            recipient=order.account.customer.as_recipient(),
            template="order_scheduled",
            context={"customer": order.account.customer, "order": order, "slot": slot, "moved": moved},
        )
    return order


def order_complete(*, order: Order, by: AbstractBaseUser | None) -> Order:
    """The service is done (or the device sent): COMPLETED."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == Order.Status.COMPLETED:
            return order
        if not order.is_open:
            raise OrderRefused(_("Only a confirmed order can be completed."), code="state")
        order.status = Order.Status.COMPLETED
        order.completed_at = timezone.now()
        order.completed_by = by
        order.save(update_fields=["status", "completed_at", "completed_by"])
        order_completed.send(sender=Order, order=order, by=by)
    return order


def order_create_for_system(
    *,
    account: Account,
    product_code: str,
    idempotency_key: str,
    as_of: dt.date,
    supply_point: SupplyPoint | None = None,
    by: AbstractBaseUser | None = None,
    note: str = "",
) -> Order:
    """An order the system places and confirms at once (the reconnection
    after a disconnection; a meter exchange an agent requests: `by` names
    them): every one-off charge has an order behind it. Rules still apply."""
    product = Product.objects.filter(code=product_code).first()
    if product is None:
        raise OrderRefused(_("There is no item with this code."), field="product_code", code="unknown")
    return order_place(
        account=account,
        product=product,
        supply_point=supply_point,
        channel=Channel.AGENT if by is not None else Channel.SYSTEM,
        idempotency_key=idempotency_key,
        confirm=True,
        by=by,
        as_of=as_of,
        note=note,
    )


def slots_bookable(*, product: Product, now: dt.datetime) -> list[AppointmentSlot]:
    """The product's active slots after its lead time with a place left, earliest first (one query)."""
    earliest = now + dt.timedelta(days=product.lead_time_days)
    slots = (
        AppointmentSlot.objects.filter(product=product, active=True, starts_at__gte=earliest)
        .annotate(booked=Count("orders", filter=Q(orders__status__in=BOOKED_STATES)))
        .order_by("starts_at", "id")
    )
    return [slot for slot in slots if slot.booked < slot.capacity]


SLOT_HOURS = (8, 10, 13, 15)


def slots_open(*, product: Product, first_day: dt.date, days: int, capacity: int = 2) -> int:
    """Offer two-hour slots at 8, 10, 13 and 15 o'clock on the working days
    (Monday to Friday) from `first_day` for `days` days; a slot that exists is
    kept. How many were added."""
    added = 0
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for hour in SLOT_HOURS:
            starts_at = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
            _slot, created = AppointmentSlot.objects.get_or_create(
                product=product,
                starts_at=starts_at,
                defaults={"ends_at": starts_at + dt.timedelta(hours=2), "capacity": capacity},
            )
            added += created
    return added
