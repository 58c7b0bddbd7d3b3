"""Interruptions in the JSON API:

- POST /interruptions (API key with interruptions:write, the network
  operator's system): {"utility", "planned", "cause", "postcodes",
  "supply_point_ids", "started_at", "expected_end_at", "ended_at",
  "reference"} → 201 {"id", "customers_affected"}; the same `reference`
  again → 200 with the interruption logged first, nothing changed.
  `utility` lower-case (electricity|gas|water|internet), `cause` a cause
  code (grid_fault, maintenance, …, either case), `supply_point_ids` the
  supply points' ids as elsewhere in the API (market location or line id),
  times ISO 8601 with their offset.
- PATCH /interruptions/{id} (the same key): {"status", "note",
  "expected_end_at", "ended_at"}, each optional; a status update on the
  timeline. 200 with the interruption.
- GET /interruptions?postcode=&utility=&active=true (public, no sign-in):
  current and planned interruptions; no personal data (utility, planned,
  cause, postcodes, times, status only).

Bad input: 422 {"errors": {field: message}}."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from core import clock
from core.api import ApiKeyAuth, InvalidInput, Message, invalid_input
from meters.models import SupplyPoint, Utility
from outages.models import Interruption
from outages.queries import public_interruptions
from outages.services import InterruptionRefused, interruption_log, interruption_update

router = Router(tags=["interruptions"])
INTERRUPTIONS_WRITE = ApiKeyAuth(scope="interruptions:write")
UTILITIES = ", ".join(u.lower() for u in Utility.values)


class InterruptionIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    utility: Any = None
    planned: Any = None
    cause: Any = None
    postcodes: Any = None
    supply_point_ids: Any = None
    started_at: Any = None
    expected_end_at: Any = None
    ended_at: Any = None
    reference: Any = None


class InterruptionPatch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Any = None
    note: Any = None
    expected_end_at: Any = None
    ended_at: Any = None


class LoggedOut(Schema):
    id: int
    customers_affected: int


class InterruptionOut(Schema):
    """`status`: planned | investigating | crew_on_site | restored | cancelled."""

    id: int
    utility: str
    planned: bool
    cause: str
    status: str
    started_at: dt.datetime
    expected_end_at: dt.datetime | None
    ended_at: dt.datetime | None
    customers_affected: int


class PublicOut(Schema):
    """One current or planned interruption; `cause` is the cause's name."""

    utility: str
    planned: bool
    cause: str
    postcodes: list[str]
    started_at: dt.datetime
    expected_end_at: dt.datetime | None
    status: str
    in_progress: bool


def _time(value: Any, field: str, messages: dict[str, list[str]]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    parsed = None
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None:
        messages[field] = [_("Give a date and time as ISO 8601, e.g. 2026-03-01T08:00:00+01:00.")]
        return None
    if timezone.is_naive(parsed):
        messages[field] = [_("Give the time with its offset, e.g. +01:00.")]
        return None
    return parsed


def _out(interruption: Interruption) -> dict[str, Any]:
    return {
        "id": interruption.pk,
        "utility": interruption.utility.lower(),
        "planned": interruption.planned,
        "cause": interruption.cause.code.lower(),
        "status": interruption.status.lower(),
        "started_at": interruption.started_at,
        "expected_end_at": interruption.expected_end_at,
        "ended_at": interruption.ended_at,
        "customers_affected": interruption.customers_affected,
    }


def _log_inputs(payload: InterruptionIn) -> tuple[dict[str, Any], dict[str, list[str]]]:
    messages: dict[str, list[str]] = {}
    found: dict[str, Any] = {}
    utility = str(payload.utility or "").strip().upper() if isinstance(payload.utility, str) else ""
    if utility not in Utility.values:
        messages["utility"] = [_("Choose one of: %(known)s.") % {"known": UTILITIES}]
    found["utility"] = utility
    if not isinstance(payload.planned, bool):
        messages["planned"] = [_("Say true or false.")]
    found["planned"] = payload.planned is True
    if not isinstance(payload.cause, str) or not payload.cause.strip():
        messages["cause"] = [_("Give the cause's code.")]
    found["cause"] = payload.cause if isinstance(payload.cause, str) else ""
    postcodes = payload.postcodes if payload.postcodes is not None else []
    if not isinstance(postcodes, list) or not all(isinstance(code, str) for code in postcodes):
        messages["postcodes"] = [_("Send a list of postcodes.")]
        postcodes = []
    found["postcodes"] = postcodes
    ids = payload.supply_point_ids if payload.supply_point_ids is not None else []
    points: list[SupplyPoint] = []
    if not isinstance(ids, list) or not all(isinstance(value, str | int) and value != "" for value in ids):
        messages["supply_point_ids"] = [_("Send a list of supply point ids.")]
    elif ids and utility in Utility.values:
        wanted = [str(value).strip() for value in ids]
        by_id = {p.identifier: p for p in SupplyPoint.objects.filter(utility=utility, identifier__in=wanted)}
        missing = [value for value in wanted if value not in by_id]
        if missing:
            messages["supply_point_ids"] = [
                _("Unknown supply point(s) of this utility: %(ids)s.") % {"ids": ", ".join(missing[:10])}
            ]
        points = [by_id[value] for value in wanted if value in by_id]
    found["supply_points"] = points
    started_at = _time(payload.started_at, "started_at", messages)
    if started_at is None and "started_at" not in messages:
        messages["started_at"] = [_("Give the start.")]
    found["started_at"] = started_at
    found["expected_end_at"] = _time(payload.expected_end_at, "expected_end_at", messages)
    found["ended_at"] = _time(payload.ended_at, "ended_at", messages)
    reference = payload.reference
    if reference is not None and (not isinstance(reference, str) or len(reference.strip()) > 100):
        messages["reference"] = [_("Send a reference of 1 to 100 characters.")]
    found["reference"] = reference.strip() if isinstance(reference, str) else None
    return found, messages


@router.post(
    "/interruptions",
    response={200: LoggedOut, 201: LoggedOut, 401: Message, 403: Message, 422: InvalidInput},
    auth=INTERRUPTIONS_WRITE,
)
def interruption_create(request: HttpRequest, payload: InterruptionIn) -> Status[Any]:
    """Log an interruption: 201 {"id", "customers_affected"}. The same
    `reference` again: 200 with the first one (nothing changes)."""
    reference = payload.reference.strip() if isinstance(payload.reference, str) else ""
    if reference:
        existing = Interruption.objects.filter(reference=reference).first()
        if existing is not None:
            return Status(200, {"id": existing.pk, "customers_affected": existing.customers_affected})
    found, messages = _log_inputs(payload)
    if messages:
        return Status(422, invalid_input(messages))
    try:
        interruption, created = interruption_log(source=Interruption.Source.API, now=clock.now(), **found)
    except InterruptionRefused as error:
        return Status(422, invalid_input({error.field: [str(error)]}))
    return Status(
        201 if created else 200, {"id": interruption.pk, "customers_affected": interruption.customers_affected}
    )


@router.patch(
    "/interruptions/{int:interruption_id}",
    response={200: InterruptionOut, 401: Message, 403: Message, 404: Message, 422: InvalidInput},
    auth=INTERRUPTIONS_WRITE,
)
def interruption_patch(request: HttpRequest, interruption_id: int, payload: InterruptionPatch) -> Status[Any]:
    """A status update: any of `status`, `note`, `expected_end_at`,
    `ended_at` (null clears it). An `ended_at` restores the interruption."""
    interruption = get_object_or_404(Interruption.objects.select_related("cause"), pk=interruption_id)
    given = payload.model_fields_set
    messages: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    if payload.status is not None:
        status = str(payload.status).strip().upper() if isinstance(payload.status, str) else ""
        if status not in Interruption.Status.values:
            messages["status"] = [
                _("Choose one of: %(known)s.") % {"known": ", ".join(s.lower() for s in Interruption.Status.values)}
            ]
        changes["status"] = status
    if payload.note is not None and not isinstance(payload.note, str):
        messages["note"] = [_("Send the note as text.")]
    for field in ("expected_end_at", "ended_at"):
        if field in given:
            changes[field] = _time(getattr(payload, field), field, messages)
    if messages:
        return Status(422, invalid_input(messages))
    try:
        interruption = interruption_update(
            interruption=interruption, note=payload.note or "", now=clock.now(), **changes
        )
    except InterruptionRefused as error:
        return Status(422, invalid_input({error.field: [str(error)]}))
    interruption.refresh_from_db()
    return Status(200, _out(interruption))


@router.get("/interruptions", response={200: list[PublicOut], 422: InvalidInput}, auth=None)
def interruptions_public(
    request: HttpRequest, postcode: str = "", utility: str = "", active: bool = False
) -> Status[Any]:
    """Current and planned interruptions (`active=true`: in progress only),
    by postcode and utility. No personal data."""
    if utility and utility.strip().upper() not in Utility.values:
        return Status(422, invalid_input({"utility": [_("Choose one of: %(known)s.") % {"known": UTILITIES}]}))
    rows = public_interruptions(now=clock.now(), postcode=postcode, utility=utility.strip(), active=active)
    return Status(
        200,
        [
            {
                "utility": row.utility.lower(),
                "planned": row.planned,
                "cause": row.cause,
                "postcodes": row.postcodes,
                "started_at": row.started_at,
                "expected_end_at": row.expected_end_at,
                "status": row.status.lower(),
                "in_progress": row.in_progress,
            }
            for row in rows
        ],
    )
