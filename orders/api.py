"""Orders in the JSON API.

- GET /products?utility= (public): the catalogue customers can order, names
  in the request's language, prices for one unit on today's VAT rate;
- POST /accounts/{number}/orders (customer token: own accounts; API key:
  orders:write): quote (`"confirm": false`, 201 "quoted", no invoice) or
  order and confirm at once (201 "confirmed" with the invoice). The same
  `idempotency_key` again answers the first order with 201 (nothing new);
- POST /accounts/{number}/orders/{id}/confirm: 200 with the invoice;
- GET /accounts/{number}/orders (orders:read): newest first;
- POST /accounts/{number}/orders/{id}/cancel: 200 with the credit note
  number (null for a quote), or 409 with the reason outside the terms.

Amounts are strings with two decimals; statuses lower-case. Bad input is
422 {"errors": {field: message}}; another customer's account or order 404."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BaseModel, ConfigDict, StrictBool

from accounts.api import account_visible
from accounts.models import Account
from core import clock
from core.api import InvalidInput, Message, customer_or_key, invalid_input
from meters.models import SupplyPoint, Utility
from orders.models import AppointmentSlot, Order, Product
from orders.pricing import NoVatRateOnDate, order_price, vat_rate_for
from orders.queries import account_orders, catalogue
from orders.services import OrderRefused, order_cancel, order_confirm, order_place

router = Router(tags=["orders"])
ORDERS_READ = customer_or_key(scope="orders:read")
ORDERS_WRITE = customer_or_key(scope="orders:write")

OrderStatus = Literal["quoted", "confirmed", "scheduled", "completed", "cancelled"]


def _money(amount) -> str:
    return f"{amount:.2f}"


# --- Output ------------------------------------------------------------------------------


class ProductOut(Schema):
    """`vat_rate` as a fraction ("0.19"); `gross_price` = net + VAT for one unit, to the cent."""

    code: str
    name: str
    net_price: str
    vat_rate: str
    gross_price: str
    needs_appointment: bool


class OrderOut(Schema):
    """An order; `invoice_number` and `due_date` are null until it is confirmed."""

    id: int
    status: OrderStatus
    invoice_number: str | None
    net_total: str
    vat_total: str
    gross_total: str
    due_date: dt.date | None


class OrderListOut(OrderOut):
    """An order in the list: also the item, quantity, supply point, appointment and times."""

    product_code: str
    quantity: str
    supply_point_id: str | None
    appointment: dt.datetime | None
    created_at: dt.datetime


class CancelOut(Schema):
    """`credit_note_number`: the credit note cancelling the invoice (null for a quote);
    `refunded`: what goes back to the card or the IBAN on file."""

    id: int
    status: OrderStatus
    credit_note_number: str | None
    refunded: str


def order_out(order: Order) -> dict[str, Any]:
    invoice = order.invoice
    return {
        "id": order.pk,
        "status": order.api_status,
        "invoice_number": invoice.number if invoice else None,
        "net_total": _money(order.net_total),
        "vat_total": _money(order.vat_total),
        "gross_total": _money(order.gross_total),
        "due_date": invoice.due_date if invoice else None,
    }


# --- Input --------------------------------------------------------------------------------


class OrderIn(BaseModel):
    """`product_code` from /products; `quantity` (1); `supply_point_id`: the
    market location id of one of the account's supplies (needed for items of
    a utility); `appointment_slot`: a slot's id for items with an
    appointment; `confirm` (true): order at once; `idempotency_key`: the
    client's id of this order (a retry with it answers the first order)."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    product_code: str | None = None
    quantity: int | str | None = 1
    supply_point_id: str | None = None
    appointment_slot: str | None = None
    confirm: StrictBool = True
    idempotency_key: str | None = None
    express_start: StrictBool = False


class CancelIn(BaseModel):
    reason: str | None = None


# --- Endpoints -----------------------------------------------------------------------------


@router.get("/products", response={200: list[ProductOut], 422: InvalidInput}, auth=None)
def product_list(request: HttpRequest, utility: str = "") -> Any:
    """The items customers can order (public, no credentials), for `utility`
    (electricity|gas|water|internet, any case; empty: all) with those for any supply."""
    value = utility.strip().upper()
    if value and value not in Utility.values:
        return Status(422, invalid_input({"utility": [_("Choose one of: electricity, gas, water, internet.")]}))
    today = clock.today()
    result = []
    for product in catalogue(utility=value):
        try:
            rate = vat_rate_for(category=product.vat_category, day=today)
        except NoVatRateOnDate:
            continue
        priced = order_price([(product.name, 1, product.unit, product.net_price, rate)])
        result.append(
            {
                "code": product.code,
                "name": product.name,
                "net_price": _money(priced.net_total),
                "vat_rate": f"{rate.normalize():f}",
                "gross_price": _money(priced.gross_total),
                "needs_appointment": product.needs_appointment,
            }
        )
    return result


def _by(request: HttpRequest) -> AbstractBaseUser | None:
    return request.auth if isinstance(request.auth, AbstractBaseUser) else None


def _order_of(account: Account, order_id: int) -> Order:
    order = account_orders(account=account).filter(pk=order_id).first()
    if order is None:
        raise HttpError(404, _("There is no order with this id on this account."))
    return order


def _refused(error: OrderRefused) -> dict[str, Any]:
    return invalid_input({error.field or "order": [str(error)]})


def _inputs(account: Account, payload: OrderIn) -> tuple[dict[str, Any], dict[str, list[str]]]:
    messages: dict[str, list[str]] = {}
    found: dict[str, Any] = {}
    code = (payload.product_code or "").strip()
    product = Product.objects.filter(code=code, active=True).first() if code else None
    if product is None:
        messages["product_code"] = [_("Choose an item from the catalogue (its code).")]
    found["product"] = product
    if len((payload.idempotency_key or "").strip()) > 100:
        messages["idempotency_key"] = [_("Send an idempotency key of 1 to 100 characters.")]
    quantity = payload.quantity
    found["quantity"] = quantity if quantity not in (None, "") else 1
    found["supply_point"] = None
    if payload.supply_point_id:
        supply_point = SupplyPoint.objects.filter(
            identifier=payload.supply_point_id.strip(), agreements__account=account
        ).first()
        if supply_point is None:
            messages["supply_point_id"] = [_("This supply point does not belong to the account.")]
        found["supply_point"] = supply_point
    found["slot"] = None
    if payload.appointment_slot:
        slot_id = payload.appointment_slot.strip()
        slot = AppointmentSlot.objects.filter(pk=int(slot_id), product=product).first() if slot_id.isdigit() else None
        if slot is None:
            messages["appointment_slot"] = [_("This appointment cannot be booked.")]
        found["slot"] = slot
    return found, messages


@router.post(
    "/accounts/{number}/orders",
    response={200: OrderOut, 201: OrderOut, 401: Message, 403: Message, 404: Message, 422: InvalidInput},
    auth=ORDERS_WRITE,
)
def order_create(request: HttpRequest, number: str, payload: OrderIn) -> Status[Any]:
    """Quote (`confirm: false`) or order and confirm an item for the account:
    201 with the order (and its invoice when confirmed). The same
    `idempotency_key` again: 201 with the first order as it is now, nothing
    new (without a key every call is a new order). 422 for
    bad input or an order the rules refuse (agent-only item, quote-only item
    to confirm, full slot, …) with the message by field."""
    account = account_visible(request.auth, number=number)
    key = (payload.idempotency_key or "").strip() or f"api:{uuid.uuid4().hex}"
    existing = Order.objects.filter(account=account, idempotency_key=key).select_related("invoice").first()
    if existing is not None:
        return Status(201, order_out(existing))
    found, messages = _inputs(account, payload)
    if messages:
        return Status(422, invalid_input(messages))
    try:
        order = order_place(
            account=account,
            channel=Order.Channel.API,
            idempotency_key=key,
            confirm=payload.confirm,
            by=_by(request),
            as_of=clock.today(),
            express_start=payload.express_start,
            **found,
        )
    except OrderRefused as error:
        return Status(422, _refused(error))
    return Status(201, order_out(order))


@router.post(
    "/accounts/{number}/orders/{int:id}/confirm",
    response={200: OrderOut, 401: Message, 403: Message, 404: Message, 422: InvalidInput},
    auth=ORDERS_WRITE,
)
def order_confirm_api(request: HttpRequest, number: str, id: int) -> Status[Any]:
    """Confirm a quoted order: 200 with its invoice (a confirmed order answers as it is)."""
    account = account_visible(request.auth, number=number)
    order = _order_of(account, id)
    try:
        order = order_confirm(order=order, by=_by(request), channel=Order.Channel.API, as_of=clock.today())
    except OrderRefused as error:
        return Status(422, _refused(error))
    return Status(200, order_out(_order_of(account, order.pk)))


@router.get(
    "/accounts/{number}/orders",
    response={200: list[OrderListOut], 401: Message, 403: Message, 404: Message},
    auth=ORDERS_READ + ORDERS_WRITE[1:],
)
def order_list(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """The account's orders, newest first (a key needs orders:read or orders:write)."""
    account = account_visible(request.auth, number=number)
    rows = []
    for order in account_orders(account=account).prefetch_related("lines"):
        lines = list(order.lines.all())
        rows.append(
            {
                **order_out(order),
                "product_code": order.product.code,
                "quantity": f"{sum(line.quantity for line in lines).normalize():f}" if lines else "0",
                "supply_point_id": order.supply_point.identifier if order.supply_point else None,
                "appointment": order.slot.starts_at if order.slot else None,
                "created_at": order.created_at,
            }
        )
    return rows


@router.post(
    "/accounts/{number}/orders/{int:id}/cancel",
    response={200: CancelOut, 401: Message, 403: Message, 404: Message, 409: InvalidInput},
    auth=ORDERS_WRITE,
)
def order_cancel_api(request: HttpRequest, number: str, id: int, payload: CancelIn | None = None) -> Status[Any]:
    """Cancel the order within its terms: 200 with the credit note number
    (null for a quote) and what is refunded; 409 with the reason otherwise."""
    account = account_visible(request.auth, number=number)
    order = _order_of(account, id)
    try:
        cancellation = order_cancel(
            order=order,
            by=_by(request),
            channel=Order.Channel.API,
            reason=((payload.reason if payload else None) or "").strip(),
            as_of=clock.today(),
        )
    except OrderRefused as error:
        return Status(409, invalid_input({"order": [str(error)]}))
    note = cancellation.credit_note
    return Status(
        200,
        {
            "id": order.pk,
            "status": cancellation.order.api_status,
            "credit_note_number": note.number if note else None,
            "refunded": _money(sum((refund.amount for refund in cancellation.refunds), 0)),
        },
    )
