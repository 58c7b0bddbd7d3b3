"""Ending supply: the earliest possible end date, the request to end one or
all agreements of an account, moving house, and the estimated final read
when the customer sends none.

An agreement supplies up to and including its end date E; the final period
ends on E and is bounded by the register value at 00:00 of E+1, where a
final read "for E" is stored (DESIGN.md, "Termination and the final bill").

    ACTIVE -> ENDING (end date and reason set here)
    ENDING -> ENDED  (after the final bill and its settlement)

- Ordinary termination (NOTICE): the earliest end is the later of the end
  of the minimum term (start + term - 1 day) and today + the notice period.
- Moving out (MOVE_OUT): any day from the start of supply, at most
  SUPPLY_START_MAX_DAYS_BACK days in the past (as far back as a start).
- Moving house: the old supplies end on E and the new ones start on E+1,
  so that no day is supplied twice and none is missed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.changes import Requested, change_record, representative_may
from accounts.models import Account, ChangeChannel, Representative, Requester
from core import clock, communications, departments
from meters import services as metering
from meters.models import Read, Register
from meters.readings import COUNTED_QUALITIES, EstimateNotNeeded, NoRegisterValue, read_estimate
from supply.models import ServiceAgreement
from supply.services.agreements import SupplyRequest, SupplySetupError, supply_setup_submit

logger = logging.getLogger(__name__)

Status = ServiceAgreement.Status
EndReason = ServiceAgreement.EndReason
ONE_DAY = dt.timedelta(days=1)


class TerminationRefused(ValueError):
    """A request to end supply that cannot be taken; `field` names the input
    at fault and `earliest_end` the first end date that would be accepted."""

    def __init__(self, message: str, *, field: str = "", earliest_end: dt.date | None = None) -> None:
        self.field = field
        self.earliest_end = earliest_end
        super().__init__(message)


@dataclass(frozen=True)
class ContractTerms:
    """When an ordinary termination can end the agreement (the bill shows it too)."""

    minimum_term_months: int
    notice_period_weeks: int
    term_end: dt.date
    earliest_end: dt.date

    @property
    def next_cancellation_date(self) -> dt.date:
        """The last day a notice reaches us in time for `earliest_end`."""
        return self.earliest_end - dt.timedelta(weeks=self.notice_period_weeks)


def contract_terms(*, agreement: ServiceAgreement, as_of: dt.date) -> ContractTerms:
    """The minimum term ends the day before the same date `minimum_term_months`
    after the start; a notice given on `as_of` ends supply no earlier than
    `as_of` + the notice period, and never before the term ends."""
    tariff = agreement.tariff
    term_end = agreement.start_date + relativedelta(months=tariff.minimum_term_months) - ONE_DAY
    notice_end = as_of + dt.timedelta(weeks=tariff.notice_period_weeks)
    return ContractTerms(
        minimum_term_months=tariff.minimum_term_months,
        notice_period_weeks=tariff.notice_period_weeks,
        term_end=term_end,
        earliest_end=max(term_end, notice_end, agreement.start_date),
    )


def earliest_end(*, agreement: ServiceAgreement, reason: str, as_of: dt.date) -> dt.date:
    """The first end date a request made on `as_of` for `reason` may name."""
    if reason == EndReason.MOVE_OUT:
        return max(agreement.start_date, as_of - dt.timedelta(days=settings.SUPPLY_START_MAX_DAYS_BACK))
    return contract_terms(agreement=agreement, as_of=as_of).earliest_end


def _date(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _check(*, agreement: ServiceAgreement, end_date: dt.date, reason: str, as_of: dt.date) -> None:
    if reason not in EndReason.values:
        raise TerminationRefused(_("Please choose why the supply ends."), field="reason")
    if agreement.status == Status.ENDING:
        raise TerminationRefused(
            _("This supply already ends on %(date)s.") % {"date": _date(agreement.end_date)}, field="agreement"
        )
    if agreement.status in (Status.REQUESTED, Status.CONFIRMED):
        raise TerminationRefused(
            _("This supply has not started yet; please ask us to cancel the request instead."), field="agreement"
        )
    if agreement.status != Status.ACTIVE:
        raise TerminationRefused(_("This supply has ended already."), field="agreement")
    earliest = earliest_end(agreement=agreement, reason=reason, as_of=as_of)
    if end_date < earliest:
        if reason == EndReason.MOVE_OUT:
            message = _(
                "A move-out date may lie at most %(days)d days in the past; the earliest possible end date is %(date)s."
            ) % {"days": settings.SUPPLY_START_MAX_DAYS_BACK, "date": _date(earliest)}
        else:
            message = _(
                "With the minimum term and the notice period of your tariff, the earliest possible end date "
                "is %(date)s."
            ) % {"date": _date(earliest)}
        raise TerminationRefused(message, field="end_date", earliest_end=earliest)


def agreements_terminate(
    *,
    agreements: list[ServiceAgreement],
    end_date: dt.date,
    reason: str,
    requested_by=None,
    channel: str,
    as_of: dt.date,
    announce_kind: str = "termination",
    representative: Representative | None = None,
) -> list[ServiceAgreement]:
    """End one or more agreements of one account on `end_date`: ENDING with
    the end date, reason and who asked through which channel, in one
    transaction; the customer gets one confirmation that asks for the final
    reads, the departments are told and each end goes into the customer's
    audit trail. An agent acting on a `representative`'s request needs that
    representative's "end supply" scope. Any agreement that cannot end then
    refuses the whole request (TerminationRefused) and nothing is saved."""
    if not agreements:
        raise TerminationRefused(_("Please choose the supply to end."), field="agreement")
    if channel not in ServiceAgreement.Channel.values:
        raise TerminationRefused(_("Please say how the customer asked."), field="channel")
    with transaction.atomic():
        locked = list(
            ServiceAgreement.objects.select_for_update(of=("self",))
            .select_related("account__customer", "supply_point__premise", "tariff")
            .filter(pk__in=[agreement.pk for agreement in agreements])
            .order_by("start_date", "id")
        )
        accounts = {agreement.account_id for agreement in locked}
        if len(accounts) != 1:
            raise TerminationRefused(_("Please end the supplies of one account at a time."), field="agreement")
        for agreement in locked:
            _check(agreement=agreement, end_date=end_date, reason=reason, as_of=as_of)
        account = locked[0].account
        requested = _requested(
            account=account, requested_by=requested_by, channel=channel, representative=representative, as_of=as_of
        )
        requested_at = clock.now()
        for agreement in locked:
            agreement.status = Status.ENDING
            agreement.end_date = end_date
            agreement.end_reason = reason
            agreement.end_requested_at = requested_at
            agreement.end_requested_by = requested_by
            agreement.end_channel = channel
            agreement.save(
                update_fields=[
                    "status",
                    "end_date",
                    "end_reason",
                    "end_requested_at",
                    "end_requested_by",
                    "end_channel",
                ]
            )
            change_record(
                customer=account.customer,
                account=account,
                field="supply_end",
                old="",
                new=_("%(utility)s at %(premise)s ends on %(date)s (%(reason)s)")
                % {
                    "utility": agreement.supply_point.get_utility_display(),
                    "premise": agreement.supply_point.premise,
                    "date": _date(end_date),
                    "reason": ServiceAgreement.EndReason(reason).label,
                },
                requested=requested,
                at=requested_at,
            )
        communications.message_send(
            recipient=account.customer.as_recipient(),
            template="supply_ending",
            context={
                "account": account,
                "agreements": locked,
                "end_date": end_date,
                "moving_out": reason == EndReason.MOVE_OUT,
                "final_read_day": end_date,
                "wait_days": settings.FINAL_READ_WAIT_DAYS,
            },
        )
        departments.change_announce(
            kind=announce_kind,
            account_number=account.number,
            summary={
                "agreements": [
                    {
                        "id": agreement.pk,
                        "utility": agreement.supply_point.utility,
                        "supply_point": agreement.supply_point.identifier,
                        "end_date": {"old": None, "new": end_date.isoformat()},
                    }
                    for agreement in locked
                ],
                "reason": reason,
                "by": getattr(requested_by, "email", "") or "",
                "channel": channel,
                **requested.summary(),
            },
            at=requested_at,
        )
    return locked


def _requested(
    *, account: Account, requested_by, channel: str, representative: Representative | None, as_of: dt.date
) -> Requested:
    """Who asked, for the audit trail; a representative must be the account's
    and hold the "end supply" scope on `as_of`."""
    change_channel = channel if channel in ChangeChannel.values else ChangeChannel.PORTAL
    if representative is not None:
        if representative.account_id != account.pk:
            raise TerminationRefused(_("This person is not a representative of this account."), field="representative")
        if not representative_may(representative, Representative.Scope.END_SUPPLY, on=as_of):
            raise TerminationRefused(
                _("%(name)s may not end the supply for the customer.") % {"name": representative.name},
                field="representative",
            )
        return Requested(
            by=requested_by,
            requested_by=Requester.REPRESENTATIVE,
            channel=change_channel,
            representative=representative,
        )
    if requested_by is None:  # another system, with an API key
        return Requested(by=None, requested_by=Requester.SYSTEM, channel=change_channel)
    is_customer = requested_by.pk == account.customer.user_id
    return Requested(
        by=requested_by,
        requested_by=Requester.CUSTOMER if is_customer else Requester.AGENT,
        channel=change_channel,
    )


def agreement_terminate(
    *,
    agreement: ServiceAgreement,
    end_date: dt.date,
    reason: str,
    requested_by=None,
    channel: str,
    as_of: dt.date,
    representative: Representative | None = None,
) -> ServiceAgreement:
    """End one agreement (see `agreements_terminate`)."""
    (ended,) = agreements_terminate(
        agreements=[agreement],
        end_date=end_date,
        reason=reason,
        requested_by=requested_by,
        channel=channel,
        as_of=as_of,
        representative=representative,
    )
    return ended


def account_terminate(
    *,
    account: Account,
    end_date: dt.date,
    reason: str,
    requested_by=None,
    channel: str,
    as_of: dt.date,
    representative: Representative | None = None,
) -> list[ServiceAgreement]:
    """End every supply of the account that is running (see `agreements_terminate`)."""
    agreements = list(account.agreements.filter(status=Status.ACTIVE).order_by("start_date", "id"))
    if not agreements:
        raise TerminationRefused(_("This account has no running supply to end."), field="agreement")
    return agreements_terminate(
        agreements=agreements,
        end_date=end_date,
        reason=reason,
        requested_by=requested_by,
        channel=channel,
        as_of=as_of,
        representative=representative,
    )


@dataclass(frozen=True)
class Move:
    ended: list[ServiceAgreement]
    started: list[ServiceAgreement]


def move_submit(
    *,
    account: Account,
    agreements: list[ServiceAgreement],
    move_out_date: dt.date,
    premise: metering.PremiseData,
    requests: list[SupplyRequest],
    requested_by=None,
    channel: str,
    as_of: dt.date,
    representative: Representative | None = None,
) -> Move:
    """Moving house in one request: the agreements at the old premise end on
    the move-out date E and supply at the new premise is requested from E+1
    (each request must start then), all in one transaction."""
    if any(agreement.account_id != account.pk for agreement in agreements):
        raise TerminationRefused(_("Please end the supplies of one account at a time."), field="agreement")
    new_start = move_out_date + ONE_DAY
    for request in requests:
        if request.start_date != new_start:
            raise SupplySetupError(
                _("Supply at the new address starts the day after the move-out date, on %(date)s.")
                % {"date": _date(new_start)},
                field="start_date",
            )
    with transaction.atomic():
        ended = agreements_terminate(
            agreements=agreements,
            end_date=move_out_date,
            reason=EndReason.MOVE_OUT,
            requested_by=requested_by,
            channel=channel,
            as_of=as_of,
            announce_kind="move",
            representative=representative,
        )
        started = supply_setup_submit(account=account, premise=premise, requests=requests, as_of=as_of)
    return Move(ended=ended, started=started)


class _Preview(Exception):
    pass


def move_check(**request) -> None:
    """Judge a move as `move_submit` would, saving and sending nothing: raises
    what it would raise."""
    try:
        with transaction.atomic():
            move_submit(**request)
            raise _Preview
    except _Preview:
        return


def final_read_moment(agreement: ServiceAgreement) -> dt.datetime:
    """Where the final read "for the end date E" is stored: 00:00 of E+1."""
    return clock.start_of_day(agreement.end_date + ONE_DAY)


def takes_final_read(register: Register, *, end_date: dt.date) -> bool:
    """Whether the register's meter is in place on the end date, so that its
    final read is asked for (and the final bill waits for it)."""
    meter = register.meter
    return meter.installed_on <= end_date and (meter.removed_on is None or meter.removed_on >= end_date)


def final_read_registers(agreement: ServiceAgreement) -> list[Register]:
    """The registers of the meters in place on the end date, by OBIS code."""
    registers = (
        Register.objects.filter(meter__supply_point_id=agreement.supply_point_id)
        .select_related("meter")
        .order_by("obis", "id")
    )
    return [register for register in registers if takes_final_read(register, end_date=agreement.end_date)]


# The reminder goes out this many days before the final read is estimated.
FINAL_READ_REMINDER_DAYS_BEFORE = 3


def final_read_reminders_send(*, as_of: dt.date) -> list[int]:
    """Remind the customer once of the final reading of an ending supply
    when none is in for 00:00 of E+1: from E + FINAL_READ_WAIT_DAYS -
    FINAL_READ_REMINDER_DAYS_BEFORE (at the earliest E+1) until the estimate
    is recorded. Running it again sends nothing twice. Answers the ids of
    the agreements reminded."""
    wait = settings.FINAL_READ_WAIT_DAYS
    after = max(1, wait + 1 - FINAL_READ_REMINDER_DAYS_BEFORE)
    due = (
        ServiceAgreement.objects.filter(
            status=Status.ENDING,
            final_read_reminded_at__isnull=True,
            end_date__lte=as_of - dt.timedelta(days=after),
            end_date__gt=as_of - dt.timedelta(days=wait + 1),
        )
        .select_related("account__customer", "supply_point__premise")
        .order_by("end_date", "id")
    )
    reminded: list[int] = []
    for agreement in due:
        registers = final_read_registers(agreement)
        moment = final_read_moment(agreement)
        read_in = set(
            Read.objects.filter(register__in=registers, taken_at=moment, quality__in=COUNTED_QUALITIES).values_list(
                "register_id", flat=True
            )
        )
        if not registers or all(register.pk in read_in for register in registers):
            continue
        with transaction.atomic():
            claimed = ServiceAgreement.objects.filter(pk=agreement.pk, final_read_reminded_at__isnull=True).update(
                final_read_reminded_at=clock.now()
            )
            if not claimed:
                continue
            communications.message_send(
                recipient=agreement.account.customer.as_recipient(),
                template="final_read_reminder",
                context={
                    "account": agreement.account,
                    "agreement": agreement,
                    "end_date": agreement.end_date,
                    "estimate_date": agreement.end_date + dt.timedelta(days=wait + 1),
                },
            )
        reminded.append(agreement.pk)
    return reminded


def final_reads_estimate_due(*, as_of: dt.date) -> list[int]:
    """For every ending supply whose end date lies more than
    FINAL_READ_WAIT_DAYS days back and that has no actual final read, store
    an ESTIMATED read at 00:00 of E+1 (from the history, else the expected
    yearly consumption). Running it again stores nothing twice; a read taken
    after E that makes the value an interpolation needs no estimate. Answers
    the ids of the estimated reads."""
    last_end = as_of - dt.timedelta(days=settings.FINAL_READ_WAIT_DAYS + 1)
    due = ServiceAgreement.objects.filter(status=Status.ENDING, end_date__lte=last_end).order_by("end_date", "id")
    estimated: list[int] = []
    for agreement in due:
        for register in final_read_registers(agreement):
            try:
                read = read_estimate(
                    register=register,
                    day=agreement.end_date + ONE_DAY,
                    annual_consumption=agreement.expected_annual_consumption,
                )
            except EstimateNotNeeded:
                continue
            except NoRegisterValue as error:
                logger.warning(
                    "No final read estimated for agreement %s, register %s: %s", agreement.pk, register.pk, error
                )
                continue
            if read.source == Read.Source.ESTIMATED:
                estimated.append(read.pk)
    return estimated
