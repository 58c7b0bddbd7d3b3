"""Meter reads in bulk in the JSON API: POST /reads (an API key with reads:write)."""

from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import BaseModel, ConfigDict

from core import clock
from core.api import ApiKeyAuth, InvalidInput, Message
from metering.services.imports import MAX_API_ITEMS, reads_import_items

# The operation ids are a published contract: every endpoint here keeps the
# id it had when the API lived in portal/api.py (`operation_id=`).
router = Router(tags=["reads"])
READS_WRITE = ApiKeyAuth(scope="reads:write")


class ReadIn(BaseModel):
    """One read, with the CSV import's columns. Every field is taken as text
    (numbers too) and checked like a row of the file, so a missing or bad
    field rejects its item only. `read_at`: ISO 8601 date or date-time (a
    date means 00:00 Europe/Berlin, a date-time without offset is Berlin
    time); `source`: smart | operator | customer | agent."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    meter_serial: str | None = None
    obis: str | None = None
    read_at: str | None = None
    value: str | None = None
    source: str | None = None


class ReadResult(Schema):
    index: int
    status: Literal["accepted", "suspect", "rejected", "duplicate"]
    reason: str


@router.post(
    "/reads",
    response={200: list[ReadResult], 401: Message, 403: Message, 413: Message, 422: InvalidInput},
    auth=READS_WRITE,
    operation_id="portal_api_reads_deliver",
)
def reads_deliver(request: HttpRequest, payload: list[ReadIn]) -> list[dict[str, Any]]:
    """Meter reads from a head-end or the metering operator (needs
    reads:write): a JSON list of at most 10,000 reads, each judged like a
    read the customer submits, in time order per register. Answers every
    item's result by its index: accepted, suspect (stored for the agents'
    review), rejected (with the reason, nothing stored) or duplicate (stored
    before; sending the same list twice stores nothing twice)."""
    if len(payload) > MAX_API_ITEMS:
        raise HttpError(413, _("Send at most %(max)d reads per request; split the list.") % {"max": MAX_API_ITEMS})
    return reads_import_items(items=[item.model_dump() for item in payload], now=clock.now())
