"""Meter reads in the JSON API: POST /reads (an API key with reads:write), and
the request to end a supply with its final reads
(POST /accounts/{number}/agreements/{id}/termination), which lives here
because the final reads are read intake."""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BaseModel, ConfigDict

from accounts.api import account_visible
from core import clock
from core.api import ApiKeyAuth, InvalidInput, Message, customer_or_key, invalid_input
from core.models import ApiKey
from metering.services.final_reads import FinalReadRefused, termination_submit
from metering.services.imports import MAX_API_ITEMS, reads_import_items
from meters.models import Read
from supply.api import AgreementOut, agreements_with_details
from supply.models import ServiceAgreement
from supply.services.termination import TerminationRefused

# The operation ids are a published contract: every endpoint here keeps the
# id it had when the API lived in portal/api.py (`operation_id=`).
router = Router(tags=["reads"])
READS_WRITE = ApiKeyAuth(scope="reads:write")
SUPPLY_WRITE = customer_or_key(scope="supply:write")


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


class FinalReadIn(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)

    obis: str | None = None
    value: str | None = None


class TerminationIn(BaseModel):
    """`end_date` YYYY-MM-DD (the last day of supply), `reason` move_out |
    notice, optional `final_reads` [{"obis", "value"}] for the end date
    (from the end date on; later ones go to POST /reads dated the day
    after the end date)."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    end_date: str | None = None
    reason: str | None = None
    final_reads: list[FinalReadIn] | None = None


def _termination_input(payload: TerminationIn) -> tuple[dt.date | None, str, dict[str, Decimal], dict[str, list[str]]]:
    messages: dict[str, list[str]] = {}
    end_date = None
    try:
        end_date = dt.date.fromisoformat((payload.end_date or "").strip())
    except ValueError:
        messages["end_date"] = [_("Please give the end date as YYYY-MM-DD.")]
    reason = (payload.reason or "").strip().upper()
    if reason not in ServiceAgreement.EndReason.values:
        messages["reason"] = [_("Choose one of: move_out, notice.")]
    values: dict[str, Decimal] = {}
    for index, item in enumerate(payload.final_reads or []):
        obis = (item.obis or "").strip()
        try:
            value = Decimal((item.value or "").strip())
        except InvalidOperation:
            value = None
        if not obis or value is None or not value.is_finite():
            messages.setdefault("final_reads", []).append(
                _("Reading %(index)d: give the register (obis) and its value as a number.") % {"index": index}
            )
        elif obis in values:
            messages.setdefault("final_reads", []).append(_("Register %(obis)s is given twice.") % {"obis": obis})
        else:
            values[obis] = value
    return end_date, reason, values, messages


@router.post(
    "/accounts/{number}/agreements/{int:agreement_id}/termination",
    response={201: AgreementOut, 401: Message, 403: Message, 404: Message, 422: InvalidInput},
    auth=SUPPLY_WRITE,
    tags=["supply"],
    operation_id="portal_api_agreement_terminate",
)
def agreement_terminate(request: HttpRequest, number: str, agreement_id: int, payload: TerminationIn) -> Status[Any]:
    """End a running supply on `end_date` (the last day supplied). An
    ordinary termination (notice) ends no earlier than the tariff's minimum
    term and notice period allow, a move-out date lies at most
    SUPPLY_START_MAX_DAYS_BACK days back: a date before the earliest
    possible one is 422 naming it (`errors.end_date`, and `earliest_end`
    in the message). The agreement becomes ENDING with its `end_date`; the
    customer gets a confirmation e-mail. A customer may end their own
    supply (404 for any other), a key needs supply:write. Bad input: 422
    with every field's message and nothing saved."""
    account = account_visible(request.auth, number=number)
    agreement = ServiceAgreement.objects.filter(account=account, pk=agreement_id).first()
    if agreement is None:
        raise HttpError(404, _("There is no supply with this id on the account."))
    end_date, reason, values, messages = _termination_input(payload)
    if messages:
        return Status(422, invalid_input(messages))
    by_customer = not isinstance(request.auth, ApiKey)
    now = clock.now()
    try:
        termination_submit(
            agreements=[agreement],
            end_date=end_date,
            reason=reason,
            values={agreement.pk: values},
            source=Read.Source.CUSTOMER if by_customer else Read.Source.OPERATOR,
            channel=ServiceAgreement.Channel.API,
            as_of=timezone.localtime(now).date(),
            now=now,
            requested_by=request.auth if by_customer else None,
            customer=account.customer if by_customer else None,
        )
    except TerminationRefused as error:
        return Status(422, invalid_input({error.field or "body": [str(error)]}))
    except FinalReadRefused as error:
        return Status(
            422,
            invalid_input(
                {"final_reads": [f"{obis}: {text}" if obis else text for obis, text in error.messages.items()]}
            ),
        )
    return Status(201, agreements_with_details().get(pk=agreement.pk))
