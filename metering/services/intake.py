"""Where a single meter read enters: from the portal, the API, an agent or a
row of the bulk import, and the agents' decisions on suspect reads.

A read is judged by `meters.readings.read_check` against the previous
actual read of the same register code at the supply point (a read of another
meter means the meter was exchanged, so it is not compared), with the
expected daily use from the register's history or, without history, from
the standard load profile scaled to the agreement's expected yearly
consumption. It must also not be higher than a later read of the register.

    ACCEPTED             -> stored VALID
    SUSPECT, unconfirmed -> nothing stored; the customer confirms or corrects
    SUSPECT, confirmed   -> stored SUSPECT, waiting in the agents' review queue
    REJECTED             -> nothing stored

Agents accept a suspect read (VALID), reject it with a reason (REJECTED, the
customer is told) or correct it (a new AGENT read; the suspect one is kept as
REJECTED); each decision is a ReadReview row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core import clock, communications
from meters.models import Read, ReadReview, Register
from meters.profiles import profile_use_between
from meters.readings import (
    COUNTED_QUALITIES,
    ReadCheck,
    Verdict,
    band_for,
    duplicate_problem,
    elapsed_days,
    expected_daily_use,
    expected_value_range,
    later_read_problem,
    read_check,
    read_place_problem,
)
from supply.models import ServiceAgreement

Status = ServiceAgreement.Status
SUPPLYING_STATES = (Status.ACTIVE, Status.ENDING)
# Agreements whose customer is told about their reads.
SUPPLIED_STATES = (Status.ACTIVE, Status.ENDING, Status.ENDED)
INTAKE_SOURCES = (Read.Source.SMART, Read.Source.OPERATOR, Read.Source.CUSTOMER, Read.Source.AGENT)
PHOTO_MAX_BYTES = 10 * 1024 * 1024
# File signatures of the photo formats phones take: JPEG, PNG, HEIC/HEIF (ISO box "ftyp" at byte 4).
PHOTO_SIGNATURES = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}
HEIF_BRANDS = {b"heic": "heic", b"heix": "heic", b"mif1": "heif", b"heif": "heif"}
VERDICT_OF_QUALITY = {
    Read.Quality.VALID: Verdict.ACCEPTED,
    Read.Quality.SUSPECT: Verdict.SUSPECT,
    Read.Quality.REJECTED: Verdict.REJECTED,
}


class RegisterNotFound(LookupError):
    """The register does not belong to the customer's accounts (views answer 404)."""


class ReviewRefused(ValueError):
    """An agent's decision that cannot be taken, with the reason."""


@dataclass(frozen=True)
class IntakeResult:
    verdict: str
    reason: str
    read: Read | None
    check: ReadCheck | None
    # The same register, moment and source was received before; nothing new was stored.
    duplicate: bool = False


@dataclass(frozen=True)
class _Context:
    """What a read at a moment is judged against."""

    previous: Read | None
    meter_exchanged: bool
    daily_use: Decimal | None
    lower_percent: Decimal
    upper_percent: Decimal


def _agreement_on(
    *, register: Register, moment: dt.datetime, states: tuple[str, ...], customer=None
) -> ServiceAgreement | None:
    """The agreement supplying the register's supply point at `moment`: from
    00:00 of its start date to 00:00 of the day after its end date."""
    day = timezone.localtime(moment).date()
    agreements = ServiceAgreement.objects.filter(
        supply_point_id=register.meter.supply_point_id, status__in=states, start_date__lte=day
    ).select_related("account__customer")
    if customer is not None:
        agreements = agreements.filter(account__customer=customer)
    for agreement in agreements.order_by("-start_date", "-id"):
        if agreement.end_date is None or moment <= clock.start_of_day(agreement.end_date + dt.timedelta(days=1)):
            return agreement
    return None


def _context(
    *, register: Register, taken_at: dt.datetime, agreement: ServiceAgreement | None, leave_out: Read | None = None
) -> _Context:
    previous_reads = (
        Read.objects.filter(
            register__meter__supply_point_id=register.meter.supply_point_id,
            register__obis=register.obis,
            quality__in=COUNTED_QUALITIES,
            taken_at__lte=taken_at,
        )
        .exclude(source=Read.Source.ESTIMATED)
        .select_related("register")
        .order_by("-taken_at", "-id")
    )
    if leave_out is not None:
        previous_reads = previous_reads.exclude(pk=leave_out.pk)
    previous = previous_reads.first()
    meter_exchanged = previous is not None and previous.register.meter_id != register.meter_id
    daily_use = expected_daily_use(register=register, before=taken_at)
    annual = agreement.expected_annual_consumption if agreement is not None else None
    if daily_use is None and annual and previous is not None and not meter_exchanged:
        days = elapsed_days(previous.taken_at, taken_at)
        use = profile_use_between(annual=annual, start_at=previous.taken_at, end_at=taken_at)
        daily_use = use / days if days else Decimal(0)
    lower_percent, upper_percent = band_for(utility=register.meter.supply_point.utility)
    return _Context(previous, meter_exchanged, daily_use, lower_percent, upper_percent)


def _check(*, register: Register, taken_at: dt.datetime, value: Decimal, context: _Context, now: dt.datetime):
    previous = context.previous
    return read_check(
        register_digits=register.digits,
        taken_at=taken_at,
        value=value,
        previous_value=previous.value if previous else None,
        previous_taken_at=previous.taken_at if previous else None,
        expected_daily_use=context.daily_use,
        lower_percent=context.lower_percent,
        upper_percent=context.upper_percent,
        now=now,
        meter_exchanged_since_previous=context.meter_exchanged,
    )


def _later_read_conflict(*, register: Register, taken_at: dt.datetime, value: Decimal) -> str:
    """Why the value cannot stand before the register's next actual read, or ""."""
    later = (
        register.reads.filter(quality__in=COUNTED_QUALITIES, taken_at__gt=taken_at)
        .exclude(source=Read.Source.ESTIMATED)
        .order_by("taken_at", "id")
        .first()
    )
    if later is None:
        return ""
    return later_read_problem(
        register_digits=register.digits,
        taken_at=taken_at,
        value=value,
        later_taken_at=later.taken_at,
        later_value=later.value,
    )


def _photo_problem(photo: UploadedFile) -> str:
    """Why the photo cannot be kept, or "" (the type is read from the file, not its name)."""
    refused = _("The photo must be a JPEG, PNG or HEIC image of at most 10 MB.")
    if photo.size is None or photo.size > PHOTO_MAX_BYTES:
        return refused
    if _photo_extension(photo) is None:
        return refused
    return ""


def _photo_extension(photo: UploadedFile) -> str | None:
    photo.seek(0)
    head = photo.read(12)
    photo.seek(0)
    for signature, extension in PHOTO_SIGNATURES.items():
        if head.startswith(signature):
            return extension
    if head[4:8] == b"ftyp":
        return HEIF_BRANDS.get(head[8:12])
    return None


def _duplicate(*, existing: Read, value: Decimal) -> IntakeResult:
    if problem := duplicate_problem(stored_value=existing.value, value=value):
        return IntakeResult(Verdict.REJECTED, problem, None, None, duplicate=True)
    verdict = VERDICT_OF_QUALITY[Read.Quality(existing.quality)]
    return IntakeResult(verdict, existing.reason if verdict == Verdict.REJECTED else "", existing, None, duplicate=True)


def read_submit(
    *,
    register: Register,
    taken_at: dt.datetime,
    value: Decimal,
    source: str,
    confirm_suspect: bool = False,
    customer=None,
    photo: UploadedFile | None = None,
    now: dt.datetime,
) -> IntakeResult:
    """Take one read (see the module's rules). With `customer`, a register
    outside the customer's supplies raises RegisterNotFound."""
    if taken_at.tzinfo is None:
        raise ValueError("taken_at must be timezone-aware.")
    with transaction.atomic():
        register = (
            Register.objects.select_for_update(of=("self",)).select_related("meter__supply_point").get(pk=register.pk)
        )
        if (
            customer is not None
            and not ServiceAgreement.objects.filter(
                supply_point_id=register.meter.supply_point_id, account__customer=customer
            ).exists()
        ):
            raise RegisterNotFound(register.pk)
        if source not in INTAKE_SOURCES:
            return IntakeResult(Verdict.REJECTED, _("Unknown source of the reading."), None, None)
        existing = Read.objects.filter(register=register, taken_at=taken_at, source=source).first()
        if existing is not None:
            return _duplicate(existing=existing, value=value)
        agreement = _agreement_on(register=register, moment=taken_at, states=SUPPLYING_STATES, customer=customer)
        meter = register.meter
        if problem := read_place_problem(
            taken_at=taken_at,
            supplied=agreement is not None,
            meter_serial=meter.serial,
            installed_from=clock.start_of_day(meter.installed_on),
            removed_until=clock.start_of_day(meter.removed_on + dt.timedelta(days=1)) if meter.removed_on else None,
        ):
            return IntakeResult(Verdict.REJECTED, problem, None, None)
        if photo is not None and (problem := _photo_problem(photo)):
            return IntakeResult(Verdict.REJECTED, problem, None, None)

        context = _context(register=register, taken_at=taken_at, agreement=agreement)
        check = _check(register=register, taken_at=taken_at, value=value, context=context, now=now)
        if check.verdict != Verdict.REJECTED and (
            conflict := _later_read_conflict(register=register, taken_at=taken_at, value=value)
        ):
            return IntakeResult(Verdict.REJECTED, conflict, None, check)
        if check.verdict == Verdict.REJECTED or (check.verdict == Verdict.SUSPECT and not confirm_suspect):
            return IntakeResult(check.verdict, check.reason, None, check)

        read = Read(
            register=register,
            taken_at=taken_at,
            value=value,
            source=source,
            quality=Read.Quality.VALID if check.verdict == Verdict.ACCEPTED else Read.Quality.SUSPECT,
            reason=check.reason,
            rollover=check.rollover,
        )
        if photo is not None:
            photo.name = f"{uuid.uuid4().hex}.{_photo_extension(photo)}"
            read.photo = photo
        try:
            with transaction.atomic():
                read.save()
        except IntegrityError:
            existing = Read.objects.get(register=register, taken_at=taken_at, source=source)
            return _duplicate(existing=existing, value=value)
    return IntakeResult(check.verdict, check.reason, read, check)


def expected_range(*, register: Register, on: dt.datetime) -> tuple[Decimal, Decimal] | None:
    """The values a read at `on` is accepted with (the form's hint), or None
    when nothing is expected (no previous read, no history and no profile)."""
    register = Register.objects.select_related("meter__supply_point").get(pk=register.pk)
    agreement = _agreement_on(register=register, moment=on, states=SUPPLYING_STATES)
    context = _context(register=register, taken_at=on, agreement=agreement)
    if context.previous is None or context.meter_exchanged:
        return None
    return expected_value_range(
        register_digits=register.digits,
        previous_value=context.previous.value,
        previous_taken_at=context.previous.taken_at,
        taken_at=on,
        expected_daily_use=context.daily_use,
        lower_percent=context.lower_percent,
        upper_percent=context.upper_percent,
    )


def _pending(read: Read) -> Read:
    read = Read.objects.select_for_update(of=("self",)).select_related("register__meter__supply_point").get(pk=read.pk)
    if read.quality != Read.Quality.SUSPECT:
        raise ReviewRefused(_("This reading is not waiting for a review."))
    return read


def _review(
    *, read: Read, decision: str, agent, value_before: Decimal, reason: str = "", corrected_read: Read | None = None
) -> ReadReview:
    return ReadReview.objects.create(
        read=read,
        decision=decision,
        reason=reason,
        value_before=value_before,
        corrected_read=corrected_read,
        decided_by=agent,
        decided_at=clock.now(),
    )


def review_accept(*, read: Read, agent) -> ReadReview:
    """The suspect read is right after all: it counts as VALID."""
    with transaction.atomic():
        read = _pending(read)
        review = _review(read=read, decision=ReadReview.Decision.ACCEPTED, agent=agent, value_before=read.value)
        read.quality = Read.Quality.VALID
        read.save(update_fields=["quality"])
    return review


def review_reject(*, read: Read, agent, reason: str) -> ReadReview:
    """The suspect read is wrong: REJECTED, and the customer supplied at the
    time is told why."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewRefused(_("Please give the customer a reason."))
    max_length = Read._meta.get_field("reason").max_length
    if len(reason) > max_length:
        raise ReviewRefused(_("The reason may be at most %(count)d characters long.") % {"count": max_length})
    with transaction.atomic():
        read = _pending(read)
        review = _review(
            read=read, decision=ReadReview.Decision.REJECTED, agent=agent, value_before=read.value, reason=reason
        )
        read.quality = Read.Quality.REJECTED
        read.reason = reason
        read.save(update_fields=["quality", "reason"])
        agreement = _agreement_on(register=read.register, moment=read.taken_at, states=SUPPLIED_STATES)
        if agreement is not None:
            communications.message_send(
                recipient=agreement.account.customer.as_recipient(),
                template="read_rejected",
                context={
                    "customer": agreement.account.customer,
                    "account": agreement.account,
                    "read": read,
                    "taken_on": timezone.localtime(read.taken_at).date(),
                    "meter_serial": read.register.meter.serial,
                    "reason": reason,
                },
            )
    return review


def review_correct(*, read: Read, agent, value: Decimal) -> ReadReview:
    """The agent enters the right value for the suspect read's moment: a new
    VALID AGENT read (an agent's own suspect read is corrected in place); the
    suspect read is kept as REJECTED. A value that cannot be right is refused."""
    with transaction.atomic():
        read = _pending(read)
        register = read.register
        agreement = _agreement_on(register=register, moment=read.taken_at, states=SUPPLIED_STATES)
        context = _context(register=register, taken_at=read.taken_at, agreement=agreement, leave_out=read)
        check = _check(register=register, taken_at=read.taken_at, value=value, context=context, now=clock.now())
        conflict = _later_read_conflict(register=register, taken_at=read.taken_at, value=value)
        if check.verdict == Verdict.REJECTED or conflict:
            raise ReviewRefused(check.reason or conflict)
        value_before = read.value
        if read.source == Read.Source.AGENT:
            corrected = read
        else:
            read.quality = Read.Quality.REJECTED
            read.reason = _("Corrected by our staff to %(value)s.") % {
                "value": formats.number_format(value.normalize(), force_grouping=True)
            }
            read.save(update_fields=["quality", "reason"])
            corrected = Read(register=register, taken_at=read.taken_at, source=Read.Source.AGENT)
        corrected.value = value
        corrected.quality = Read.Quality.VALID
        corrected.reason = ""
        corrected.rollover = check.rollover
        try:
            with transaction.atomic():
                corrected.save()
        except IntegrityError as error:
            raise ReviewRefused(_("Our staff have entered a reading for this moment already.")) from error
        review = _review(
            read=read,
            decision=ReadReview.Decision.CORRECTED,
            agent=agent,
            value_before=value_before,
            corrected_read=corrected,
        )
    return review
