"""The rules for meter reads: plausibility, estimation and the register value
at any moment.

`read_check` is pure (no database): the portal, the API and the bulk import
all judge a read by it, and by `read_place_problem` (no agreement supplies the
meter then, or it was not installed), `later_read_problem` (a later read
contradicts it) and `duplicate_problem` (another value was received for the
moment already). A read is

- REJECTED when it cannot be right: negative, more than 3 decimals, more
  digits than the register has, taken in the future, or lower than the
  previous read of the same meter without a rollover that makes sense;
- SUSPECT when its consumption since the previous read lies outside the band
  [expected x (1 - lower %), expected x (1 + upper %)] (the edges belong to the
  band); the customer is asked to confirm or correct it;
- ACCEPTED otherwise, and also when nothing is expected (no history and no
  profile) or the meter was exchanged since the previous read.

A read lower than the previous one is a rollover when the register passing
10^digits gives a plausible consumption: at most the band's upper edge when
something is expected, else less than a tenth of the register's range.

The value of a register at a moment (`register_value_at`) is an actual read
at that moment, else interpolated linearly by elapsed time between the actual
reads around it, else estimated forward from the last known value with the
average daily use of the history or with the standard load profile.
Rejected reads never count; suspect reads that were kept count; estimated
reads count only where no actual read lies after them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext

from django.db import transaction
from django.db.models import TextChoices
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import clock
from meters.models import PlausibilityBand, Read, Register
from meters.profiles import PRECISION, elapsed_microseconds, profile_use_between

DEFAULT_LOWER_PERCENT = Decimal(25)
DEFAULT_UPPER_PERCENT = Decimal(50)
# Reads carry at most this many decimals (the database column's scale).
READ_PLACES = Decimal("0.001")
EDGE_PLACES = Decimal("1E-9")
# Without an expectation, a rollover is believed when the wrapped consumption
# is less than this part of the register's range.
ROLLOVER_SHARE_WITHOUT_EXPECTATION = Decimal("0.1")
# The history that gives the average daily use: reads of the last year,
# spanning at least a week.
HISTORY_DAYS = 365
HISTORY_MIN_DAYS = 7
MICROSECONDS_PER_DAY = Decimal(86_400_000_000)

COUNTED_QUALITIES = (Read.Quality.VALID, Read.Quality.SUSPECT)


class Verdict(TextChoices):
    ACCEPTED = "ACCEPTED", gettext_lazy("accepted")
    SUSPECT = "SUSPECT", gettext_lazy("suspect")
    REJECTED = "REJECTED", gettext_lazy("rejected")


class ValueMethod(TextChoices):
    READ = "read", gettext_lazy("read")
    INTERPOLATED = "interpolated", gettext_lazy("interpolated")
    ESTIMATED_HISTORY = "estimated_history", gettext_lazy("estimated from the history")
    ESTIMATED_PROFILE = "estimated_profile", gettext_lazy("estimated from a standard load profile")


ESTIMATION_METHOD = {
    Read.Estimation.HISTORY: ValueMethod.ESTIMATED_HISTORY,
    Read.Estimation.PROFILE: ValueMethod.ESTIMATED_PROFILE,
}


class NoRegisterValue(LookupError):
    """Nothing is known about the register at or before the moment."""


class EstimateNotNeeded(ValueError):
    """Actual reads cover the day: its value is interpolated, not estimated."""


@dataclass(frozen=True)
class ReadCheck:
    verdict: str
    # A translated sentence a customer understands; empty when accepted.
    reason: str
    # Since the previous read, rollover-corrected; None without a comparable previous read.
    consumption: Decimal | None
    rollover: bool
    # The plausible range of the value (not the consumption); when the range
    # passes the register's rollover, expected_high is below expected_low.
    expected_low: Decimal | None
    expected_high: Decimal | None


@dataclass(frozen=True)
class RegisterValue:
    value: Decimal
    estimated: bool
    method: str
    # Who took the reading (Read.Source) when the value is a reading itself.
    source: str = ""


def elapsed_days(start_at: dt.datetime, end_at: dt.datetime) -> Decimal:
    """Real elapsed days between two aware moments (23 hours across the spring DST change)."""
    return Decimal(elapsed_microseconds(start_at, end_at)) / MICROSECONDS_PER_DAY


def consumption_band(*, expected: Decimal, lower_percent: Decimal, upper_percent: Decimal) -> tuple[Decimal, Decimal]:
    """The plausible consumption for an expected one, to 3 decimals: the low
    edge rounded up and the high edge rounded down, so that a read with at
    most 3 decimals lies inside exactly when it lies inside the exact band.
    The edges are first rounded to 9 decimals, so that the last digit of a
    division (25 hours / 24 x 24 = 25.000…001) does not move them."""
    with localcontext(prec=PRECISION):
        low = max(expected * (1 - lower_percent / 100), Decimal(0)).quantize(EDGE_PLACES)
        high = (expected * (1 + upper_percent / 100)).quantize(EDGE_PLACES)
    return low.quantize(READ_PLACES, ROUND_CEILING), high.quantize(READ_PLACES, ROUND_FLOOR)


def _band(
    *,
    previous_taken_at: dt.datetime,
    taken_at: dt.datetime,
    expected_daily_use: Decimal | None,
    lower_percent: Decimal,
    upper_percent: Decimal,
) -> tuple[Decimal, Decimal] | None:
    if expected_daily_use is None:
        return None
    with localcontext(prec=PRECISION):
        expected = expected_daily_use * elapsed_microseconds(previous_taken_at, taken_at) / MICROSECONDS_PER_DAY
    return consumption_band(expected=expected, lower_percent=lower_percent, upper_percent=upper_percent)


def expected_value_range(
    *,
    register_digits: int,
    previous_value: Decimal,
    previous_taken_at: dt.datetime,
    taken_at: dt.datetime,
    expected_daily_use: Decimal | None,
    lower_percent: Decimal,
    upper_percent: Decimal,
) -> tuple[Decimal, Decimal] | None:
    """The values `read_check` accepts at `taken_at` after the previous read,
    or None when nothing is expected. Pure. Past the register's rollover the
    high end is below the low end."""
    band = _band(
        previous_taken_at=previous_taken_at,
        taken_at=taken_at,
        expected_daily_use=expected_daily_use,
        lower_percent=lower_percent,
        upper_percent=upper_percent,
    )
    if band is None:
        return None
    register_range = Decimal(10) ** register_digits
    return (previous_value + band[0]) % register_range, (previous_value + band[1]) % register_range


def _number(value: Decimal) -> str:
    return formats.number_format(value.quantize(READ_PLACES).normalize(), force_grouping=True)


def _date(moment: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(moment).date(), "SHORT_DATE_FORMAT")


def _rejected(reason: str) -> ReadCheck:
    return ReadCheck(Verdict.REJECTED, reason, None, False, None, None)


def read_check(
    *,
    register_digits: int,
    taken_at: dt.datetime,
    value: Decimal,
    previous_value: Decimal | None,
    previous_taken_at: dt.datetime | None,
    expected_daily_use: Decimal | None,
    lower_percent: Decimal,
    upper_percent: Decimal,
    now: dt.datetime,
    meter_exchanged_since_previous: bool = False,
) -> ReadCheck:
    """Judge one read against the previous read of the same register (see the
    module's rules). Pure: the caller looks up the previous read, the expected
    daily use and the band. Moments must be timezone-aware and the previous
    read taken no later than this one."""
    if taken_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("Moments must be timezone-aware.")
    if previous_value is not None and (previous_taken_at is None or previous_taken_at > taken_at):
        raise ValueError("The previous read needs its moment, no later than the read's.")
    if not value.is_finite():
        return _rejected(_("Please enter the meter reading as a number."))
    if value < 0:
        return _rejected(_("A meter reading cannot be negative."))
    if value != value.quantize(READ_PLACES, ROUND_FLOOR):
        return _rejected(_("A meter reading has at most 3 decimal places."))
    register_range = Decimal(10) ** register_digits
    if value >= register_range:
        return _rejected(
            _("This register shows at most %(digits)d digits before the decimal point.") % {"digits": register_digits}
        )
    if taken_at > now:
        return _rejected(_("The reading cannot be taken in the future."))
    if previous_value is None or meter_exchanged_since_previous:
        return ReadCheck(Verdict.ACCEPTED, "", None, False, None, None)

    band = _band(
        previous_taken_at=previous_taken_at,
        taken_at=taken_at,
        expected_daily_use=expected_daily_use,
        lower_percent=lower_percent,
        upper_percent=upper_percent,
    )
    expected_low = expected_high = None
    if band is not None:
        expected_low = (previous_value + band[0]) % register_range
        expected_high = (previous_value + band[1]) % register_range

    rollover = value < previous_value
    consumption = value - previous_value + (register_range if rollover else 0)
    if rollover:
        believable = (
            consumption <= band[1] if band else consumption < register_range * ROLLOVER_SHARE_WITHOUT_EXPECTATION
        )
        if not believable:
            return ReadCheck(
                Verdict.REJECTED,
                _("The reading is lower than the previous reading (%(previous)s on %(date)s).")
                % {"previous": _number(previous_value), "date": _date(previous_taken_at)},
                None,
                False,
                expected_low,
                expected_high,
            )
    if band is not None and not band[0] <= consumption <= band[1]:
        return ReadCheck(
            Verdict.SUSPECT,
            _(
                "This reading means a consumption of %(consumption)s since the previous reading on %(date)s, "
                "but we expected between %(low)s and %(high)s. Please check the reading and confirm or correct it."
            )
            % {
                "consumption": _number(consumption),
                "date": _date(previous_taken_at),
                "low": _number(band[0]),
                "high": _number(band[1]),
            },
            consumption,
            rollover,
            expected_low,
            expected_high,
        )
    return ReadCheck(Verdict.ACCEPTED, "", consumption, rollover, expected_low, expected_high)


def read_place_problem(
    *,
    taken_at: dt.datetime,
    supplied: bool,
    meter_serial: str,
    installed_from: dt.datetime,
    removed_until: dt.datetime | None,
) -> str:
    """Why no read of the meter can be taken at `taken_at`, or "": no agreement
    of ours supplies the meter then (`supplied`: the caller looks it up), or the
    meter was not installed that day. A meter is installed from 00:00 of its
    installation day (`installed_from`) to 00:00 of the day after its removal
    (`removed_until`, None while it is in place). Pure."""
    if not supplied:
        return _("We do not supply this meter on %(date)s.") % {"date": _date(taken_at)}
    if taken_at < installed_from or (removed_until is not None and taken_at >= removed_until):
        return _("Meter %(serial)s was not installed on %(date)s.") % {"serial": meter_serial, "date": _date(taken_at)}
    return ""


def later_read_problem(
    *, register_digits: int, taken_at: dt.datetime, value: Decimal, later_taken_at: dt.datetime, later_value: Decimal
) -> str:
    """Why the value cannot stand before the register's next actual read, or
    "": that later read would be rejected after it (`read_check` with nothing
    expected). Pure."""
    check = read_check(
        register_digits=register_digits,
        taken_at=later_taken_at,
        value=later_value,
        previous_value=value,
        previous_taken_at=taken_at,
        expected_daily_use=None,
        lower_percent=Decimal(0),
        upper_percent=Decimal(0),
        now=later_taken_at,
    )
    if check.verdict != Verdict.REJECTED:
        return ""
    return _("The reading is higher than the later reading (%(value)s on %(date)s).") % {
        "value": _number(later_value),
        "date": _date(later_taken_at),
    }


def duplicate_problem(*, stored_value: Decimal, value: Decimal) -> str:
    """Why a read for a moment (register and source) that has a stored read
    already cannot be taken, or "" when it repeats the stored value. Pure."""
    if stored_value == value:
        return ""
    return _("A different reading (%(value)s) has been received for this moment already.") % {
        "value": _number(stored_value)
    }


def band_for(*, utility: str) -> tuple[Decimal, Decimal]:
    """(lower %, upper %) for the utility: its PlausibilityBand, else -25 % / +50 %."""
    band = PlausibilityBand.objects.filter(utility=utility).values_list("lower_percent", "upper_percent").first()
    return band or (DEFAULT_LOWER_PERCENT, DEFAULT_UPPER_PERCENT)


def _consumption(start: Decimal, end: Decimal, *, digits: int) -> Decimal:
    """Consumption between two values of a register, across its rollover."""
    return end - start if end >= start else end + Decimal(10) ** digits - start


def expected_daily_use(*, register: Register, before: dt.datetime) -> Decimal | None:
    """The register's average daily use over the last year before `before`,
    from valid actual reads (not estimated, not suspect); None when they span
    less than a week."""
    reads = list(
        register.reads.filter(
            quality=Read.Quality.VALID,
            taken_at__lt=before,
            taken_at__gte=before - dt.timedelta(days=HISTORY_DAYS),
        )
        .exclude(source=Read.Source.ESTIMATED)
        .order_by("taken_at", "id")
        .values_list("taken_at", "value")
    )
    return average_daily_use(reads=reads, digits=register.digits)


def average_daily_use(*, reads: Sequence[tuple[dt.datetime, Decimal]], digits: int) -> Decimal | None:
    """The average daily use between (taken_at, value) reads of one register
    in time order; None when they span less than a week. Pure."""
    if len(reads) < 2:
        return None
    days = elapsed_days(reads[0][0], reads[-1][0])
    if days < HISTORY_MIN_DAYS:
        return None
    total = sum(
        (_consumption(a, b, digits=digits) for (_a, a), (_b, b) in zip(reads, reads[1:], strict=False)),
        Decimal(0),
    )
    with localcontext(prec=PRECISION):
        return total / days


def _counted(register: Register):
    return register.reads.filter(quality__in=COUNTED_QUALITIES)


@dataclass(frozen=True)
class ReadRow:
    """What the value rules need of a counted read (valid or kept suspect)."""

    taken_at: dt.datetime
    value: Decimal
    source: str
    quality: str
    estimation: str = ""

    @property
    def is_estimate(self) -> bool:
        return self.source == Read.Source.ESTIMATED


READ_ROW_FIELDS = ("taken_at", "value", "source", "quality", "estimation")


def _history_daily_use(reads: Sequence[ReadRow], *, before: dt.datetime, digits: int) -> Decimal | None:
    """`expected_daily_use` over rows already in memory."""
    since = before - dt.timedelta(days=HISTORY_DAYS)
    history = [
        (row.taken_at, row.value)
        for row in reads
        if row.quality == Read.Quality.VALID and not row.is_estimate and since <= row.taken_at < before
    ]
    return average_daily_use(reads=history, digits=digits)


def _interpolate(before: ReadRow, after: ReadRow, moment: dt.datetime, *, digits: int) -> Decimal:
    span = elapsed_microseconds(before.taken_at, after.taken_at)
    with localcontext(prec=PRECISION):
        share = Decimal(elapsed_microseconds(before.taken_at, moment)) / Decimal(span)
        value = before.value + _consumption(before.value, after.value, digits=digits) * share
    return _on_register(value, digits=digits)


def _on_register(value: Decimal, *, digits: int) -> Decimal:
    return (value % Decimal(10) ** digits).quantize(READ_PLACES, ROUND_HALF_UP)


def value_from_reads(
    *, reads: Sequence[ReadRow], moment: dt.datetime, digits: int, annual_consumption: Decimal | None = None
) -> RegisterValue:
    """The register's value at `moment` from its counted reads in time order
    (every read from a year before the moment on, and at least the last actual
    read at or before it). Pure: the bill run calls it for many registers at
    once; `register_value_at` loads the reads of one register."""
    if moment.tzinfo is None:
        raise ValueError("The moment must be timezone-aware.")
    actual = [row for row in reads if not row.is_estimate]
    before = next((row for row in reversed(actual) if row.taken_at <= moment), None)
    if before is not None and before.taken_at == moment:
        return RegisterValue(before.value, False, ValueMethod.READ, before.source)
    after = next((row for row in actual if row.taken_at > moment), None)
    if before is not None and after is not None:
        return RegisterValue(_interpolate(before, after, moment, digits=digits), False, ValueMethod.INTERPOLATED)
    if after is not None:
        raise NoRegisterValue(_("No reading of this register lies at or before this moment."))

    # No actual read after the moment: estimates after the last actual read stand.
    estimates = [row for row in reads if row.is_estimate and (before is None or row.taken_at > before.taken_at)]
    estimate_before = next((row for row in reversed(estimates) if row.taken_at <= moment), None)
    if estimate_before is not None and estimate_before.taken_at == moment:
        return RegisterValue(estimate_before.value, True, ESTIMATION_METHOD[estimate_before.estimation])
    anchor = estimate_before or before
    if anchor is None:
        raise NoRegisterValue(_("No reading of this register lies at or before this moment."))
    estimate_after = next((row for row in estimates if row.taken_at > moment), None)
    if estimate_after is not None:
        return RegisterValue(
            _interpolate(anchor, estimate_after, moment, digits=digits),
            True,
            ESTIMATION_METHOD[estimate_after.estimation],
        )
    daily = _history_daily_use(reads, before=moment, digits=digits)
    with localcontext(prec=PRECISION):
        if daily is not None:
            use, method = daily * elapsed_days(anchor.taken_at, moment), ValueMethod.ESTIMATED_HISTORY
        elif annual_consumption is not None:
            use = profile_use_between(annual=annual_consumption, start_at=anchor.taken_at, end_at=moment)
            method = ValueMethod.ESTIMATED_PROFILE
        else:
            raise NoRegisterValue(_("There is no history and no expected yearly consumption to estimate from."))
    return RegisterValue(_on_register(anchor.value + use, digits=digits), True, method)


def reads_for_value(*, register: Register, moment: dt.datetime) -> list[ReadRow]:
    """The counted reads `value_from_reads` needs for one register and moment."""
    counted = _counted(register)
    before = (
        counted.exclude(source=Read.Source.ESTIMATED)
        .filter(taken_at__lte=moment)
        .order_by("-taken_at", "-id")
        .values_list("taken_at", flat=True)
        .first()
    )
    since = moment - dt.timedelta(days=HISTORY_DAYS)
    if before is not None:
        since = min(since, before)
    rows = counted.filter(taken_at__gte=since)
    after = (
        counted.exclude(source=Read.Source.ESTIMATED)
        .filter(taken_at__gt=moment)
        .order_by("taken_at", "id")
        .values_list("taken_at", flat=True)
        .first()
    )
    if after is not None:
        rows = rows.filter(taken_at__lte=after)
    return [ReadRow(*values) for values in rows.order_by("taken_at", "id").values_list(*READ_ROW_FIELDS)]


def register_value_at(
    *, register: Register, moment: dt.datetime, annual_consumption: Decimal | None = None
) -> RegisterValue:
    """The register's value at `moment` (see the module's rules); raises
    NoRegisterValue when no read lies at or before it, or when it lies after
    the last read and neither history nor `annual_consumption` estimates it."""
    if moment.tzinfo is None:
        raise ValueError("The moment must be timezone-aware.")
    return value_from_reads(
        reads=reads_for_value(register=register, moment=moment),
        moment=moment,
        digits=register.digits,
        annual_consumption=annual_consumption,
    )


def read_estimate(*, register: Register, day: dt.date, annual_consumption: Decimal | None) -> Read:
    """The read standing for the register at 00:00 (Europe/Berlin) of `day`:
    an actual read taken then, an estimate stored before (so asking twice
    stores one), or a new ESTIMATED read. Raises EstimateNotNeeded when
    actual reads lie on both sides, NoRegisterValue when nothing estimates it."""
    moment = clock.start_of_day(day)
    with transaction.atomic():
        Register.objects.select_for_update().filter(pk=register.pk).first()
        at_moment = list(_counted(register).filter(taken_at=moment).order_by("id"))
        existing = next((read for read in at_moment if read.source != Read.Source.ESTIMATED), None)
        existing = existing or next(iter(at_moment), None)
        if existing is not None:
            return existing
        value = register_value_at(register=register, moment=moment, annual_consumption=annual_consumption)
        if not value.estimated:
            raise EstimateNotNeeded(_("Actual readings cover this day; its value is interpolated."))
        estimation = (
            Read.Estimation.HISTORY if value.method == ValueMethod.ESTIMATED_HISTORY else Read.Estimation.PROFILE
        )
        return Read.objects.create(
            register=register,
            taken_at=moment,
            value=value.value,
            source=Read.Source.ESTIMATED,
            estimation=estimation,
        )
