"""Logging and updating interruptions: each change is a timeline entry, the
customers affected are recomputed (outages.services.affected) and the
notices due go out (outages.services.notices)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from meters.models import SupplyPoint, Utility
from outages.models import Cause, Interruption, StatusUpdate
from outages.services.affected import affected_refresh
from outages.services.notices import notices_due_send

POSTCODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z -]{1,9}$")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()


class InterruptionRefused(Exception):
    """An interruption that cannot be logged or changed as asked (the message is for a person)."""

    def __init__(self, message: str, *, field: str = "__all__") -> None:
        super().__init__(message)
        self.field = field


def _aware(value: dt.datetime | None, *, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        raise InterruptionRefused(_("Give a date and time."), field=field)
    if timezone.is_naive(value):
        raise InterruptionRefused(_("Give the time with its time zone."), field=field)
    return value


def _cause(cause: Cause | str) -> Cause:
    if isinstance(cause, Cause):
        return cause
    found = Cause.objects.filter(code=str(cause or "").strip().upper()).first()
    if found is None:
        raise InterruptionRefused(_("There is no cause with this code."), field="cause")
    return found


def _postcodes(values: Iterable[str]) -> list[str]:
    result = []
    for value in values:
        code = str(value or "").strip()
        if not POSTCODE.match(code):
            raise InterruptionRefused(
                _("“%(value)s” is not a postcode.") % {"value": str(value)[:20]}, field="postcodes"
            )
        if code not in result:
            result.append(code)
    return result


def _supply_points(values: Iterable[SupplyPoint | int], *, utility: str) -> list[SupplyPoint]:
    values = list(values)
    ids = [value.pk if isinstance(value, SupplyPoint) else value for value in values]
    if any(not isinstance(pk, int) or isinstance(pk, bool) for pk in ids):
        raise InterruptionRefused(_("Supply points are given by their ids."), field="supply_point_ids")
    found = {point.pk: point for point in SupplyPoint.objects.filter(pk__in=ids)}
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise InterruptionRefused(
            _("Unknown supply point(s): %(ids)s.") % {"ids": ", ".join(missing)}, field="supply_point_ids"
        )
    other = [str(pk) for pk, point in found.items() if point.utility != utility]
    if other:
        raise InterruptionRefused(
            _("Supply point(s) %(ids)s are not of this utility.") % {"ids": ", ".join(sorted(other))},
            field="supply_point_ids",
        )
    return [found[pk] for pk in dict.fromkeys(ids)]


def _times_check(*, started_at, expected_end_at, ended_at) -> None:
    if expected_end_at is not None and expected_end_at < started_at:
        raise InterruptionRefused(_("The expected end lies before the start."), field="expected_end_at")
    if ended_at is not None and ended_at < started_at:
        raise InterruptionRefused(_("The end lies before the start."), field="ended_at")


def _initial_status(*, planned: bool, started_at: dt.datetime, ended_at, now: dt.datetime) -> str:
    if ended_at is not None:
        return Interruption.Status.RESTORED
    if planned:
        return Interruption.Status.PLANNED if started_at > now else Interruption.Status.CREW_ON_SITE
    return Interruption.Status.INVESTIGATING


def interruption_log(
    *,
    utility: str,
    planned: bool,
    cause: Cause | str,
    started_at: dt.datetime,
    expected_end_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
    postcodes: Iterable[str] = (),
    supply_points: Iterable[SupplyPoint | int] = (),
    reference: str | None = None,
    description: str = "",
    source: str,
    by: AbstractBaseUser | None = None,
    account: Account | None = None,
    supply_point: SupplyPoint | None = None,
    now: dt.datetime,
) -> tuple[Interruption, bool]:
    """Record an interruption (see the package docstring). The same
    `reference` again returns the first one unchanged (created=False)."""
    reference = (reference or "").strip() or None
    if reference is not None:
        existing = Interruption.objects.filter(reference=reference).first()
        if existing is not None:
            return existing, False
    utility = str(utility or "").strip().upper()
    if utility not in Utility.values:
        raise InterruptionRefused(_("Choose a utility."), field="utility")
    if started_at is None:
        raise InterruptionRefused(_("Give the start."), field="started_at")
    started_at = _aware(started_at, field="started_at")
    expected_end_at = _aware(expected_end_at, field="expected_end_at")
    ended_at = _aware(ended_at, field="ended_at")
    _times_check(started_at=started_at, expected_end_at=expected_end_at, ended_at=ended_at)
    if ended_at is not None and ended_at > now:
        raise InterruptionRefused(_("The end cannot lie in the future."), field="ended_at")
    found_cause = _cause(cause)
    codes = _postcodes(postcodes)
    points = _supply_points(supply_points, utility=utility)
    if supply_point is not None and supply_point.utility != utility:
        raise InterruptionRefused(_("The supply point is not of this utility."), field="supply_point")
    if not codes and not points and supply_point is None:
        raise InterruptionRefused(_("Name the postcodes or supply points affected."), field="postcodes")
    try:
        with transaction.atomic():
            interruption = Interruption.objects.create(
                utility=utility,
                planned=bool(planned),
                cause=found_cause,
                postcodes=codes,
                started_at=started_at,
                expected_end_at=expected_end_at,
                ended_at=ended_at,
                status=_initial_status(planned=bool(planned), started_at=started_at, ended_at=ended_at, now=now),
                description=description[:2000],
                reference=reference,
                source=source,
                account=account,
                supply_point=supply_point,
                created_by=by,
                created_at=now,
            )
            if points:
                interruption.supply_points.set(points)
            StatusUpdate.objects.create(
                interruption=interruption,
                at=now,
                status=interruption.status,
                note=description[:2000],
                expected_end_at=expected_end_at,
                ended_at=ended_at,
                by=by,
            )
            affected_refresh(interruption=interruption)
            notices_due_send(interruption=interruption, now=now)
    except IntegrityError:
        if reference is None:
            raise
        return Interruption.objects.get(reference=reference), False
    return interruption, True


def interruption_update(
    *,
    interruption: Interruption,
    status: str | None = None,
    note: str = "",
    expected_end_at: dt.datetime | None | _Unset = UNSET,
    ended_at: dt.datetime | None | _Unset = UNSET,
    started_at: dt.datetime | _Unset = UNSET,
    postcodes: Iterable[str] | _Unset = UNSET,
    supply_points: Iterable[SupplyPoint | int] | _Unset = UNSET,
    cause: Cause | str | _Unset = UNSET,
    by: AbstractBaseUser | None = None,
    now: dt.datetime,
) -> Interruption:
    """A timeline entry (see the package docstring). Setting `ended_at`
    restores it; clearing it (an edit) opens it again as crew on site."""
    with transaction.atomic():
        interruption = Interruption.objects.select_for_update().get(pk=interruption.pk)
        if status is not None:
            status = str(status).strip().upper()
            if status not in Interruption.Status.values:
                raise InterruptionRefused(_("Unknown status."), field="status")
        if not isinstance(started_at, _Unset):
            if started_at is None:
                raise InterruptionRefused(_("Give the start."), field="started_at")
            interruption.started_at = _aware(started_at, field="started_at")
        if not isinstance(expected_end_at, _Unset):
            interruption.expected_end_at = _aware(expected_end_at, field="expected_end_at")
        if not isinstance(ended_at, _Unset):
            interruption.ended_at = _aware(ended_at, field="ended_at")
            if interruption.ended_at is not None and interruption.ended_at > now:
                raise InterruptionRefused(_("The end cannot lie in the future."), field="ended_at")
        _times_check(
            started_at=interruption.started_at,
            expected_end_at=interruption.expected_end_at,
            ended_at=interruption.ended_at,
        )
        if not isinstance(cause, _Unset):
            interruption.cause = _cause(cause)
        area_changed = False
        if not isinstance(postcodes, _Unset):
            interruption.postcodes = _postcodes(postcodes)
            area_changed = True
        points = None
        if not isinstance(supply_points, _Unset):
            points = _supply_points(supply_points, utility=interruption.utility)
            area_changed = True
        if area_changed and interruption.supply_point_id is None:
            named = points if points is not None else list(interruption.supply_points.all())
            if not interruption.postcodes and not named:
                raise InterruptionRefused(_("Name the postcodes or supply points affected."), field="postcodes")
        if status == Interruption.Status.RESTORED and interruption.ended_at is None:
            raise InterruptionRefused(_("Give the time supply was restored."), field="ended_at")
        if interruption.ended_at is not None and status != Interruption.Status.CANCELLED:
            status = Interruption.Status.RESTORED
        elif status is None and interruption.status == Interruption.Status.RESTORED:
            status = Interruption.Status.CREW_ON_SITE
        if status is not None:
            interruption.status = status
        interruption.save()
        if points is not None:
            interruption.supply_points.set(points)
        StatusUpdate.objects.create(
            interruption=interruption,
            at=now,
            status=interruption.status,
            note=str(note or "")[:2000],
            expected_end_at=interruption.expected_end_at,
            ended_at=interruption.ended_at,
            by=by,
        )
        affected_refresh(interruption=interruption)
        notices_due_send(interruption=interruption, now=now)
    return interruption
