"""Service agreements: the supply set-up request and the agreement's life.

REQUESTED -> CONFIRMED -> ACTIVE -> ENDING -> ENDED
    |            |
    +-> REJECTED +-> CANCELLED   (REQUESTED may also be CANCELLED)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Account
from core import clock, communications
from meters import services as metering
from meters.models import Meter, Read, Register, Utility
from supply.models import ServiceAgreement, Tariff

Status = ServiceAgreement.Status

TRANSITIONS: dict[str, set[str]] = {
    Status.REQUESTED: {Status.CONFIRMED, Status.REJECTED, Status.CANCELLED},
    Status.CONFIRMED: {Status.ACTIVE, Status.REJECTED, Status.CANCELLED},
    Status.ACTIVE: {Status.ENDING},
    Status.ENDING: {Status.ENDED, Status.ACTIVE},
    Status.ENDED: set(),
    Status.REJECTED: set(),
    Status.CANCELLED: set(),
}


class IllegalTransition(Exception):
    """The agreement cannot go from its state to the requested one."""

    def __init__(self, agreement: ServiceAgreement, target: str) -> None:
        self.agreement = agreement
        self.target = target
        super().__init__(
            _("A %(current)s agreement cannot become %(target)s.")
            % {"current": Status(agreement.status).label, "target": Status(target).label}
        )


class SupplySetupError(ValueError):
    """A supply request that cannot be accepted; `field` names the input at fault."""

    def __init__(self, message: str, *, field: str = "") -> None:
        self.field = field
        super().__init__(message)


class OverlappingAgreement(SupplySetupError):
    """The supply point already has an agreement for (part of) this time."""


@dataclass(frozen=True)
class SupplyRequest:
    """One utility at the premise, as the customer (or an agent) asks for it."""

    utility: str
    supply_point_id: str
    tariff: Tariff
    start_date: dt.date
    start_reason: str
    meter_serial: str = ""
    meter_kind: str = Meter.Kind.CONVENTIONAL
    start_reads: dict[str, Decimal] = field(default_factory=dict)
    expected_annual_consumption: Decimal | None = None
    network_area: str = ""


def _transition(agreement: ServiceAgreement, target: str) -> None:
    if target not in TRANSITIONS[Status(agreement.status)]:
        raise IllegalTransition(agreement, target)
    agreement.status = target


def earliest_start(*, as_of: dt.date) -> dt.date:
    """Supply may start at most SUPPLY_START_MAX_DAYS_BACK days in the past."""
    return as_of - dt.timedelta(days=settings.SUPPLY_START_MAX_DAYS_BACK)


def _check_request(*, account: Account, request: SupplyRequest, as_of: dt.date, allow_past: bool) -> None:
    tariff = request.tariff
    if tariff.utility != request.utility:
        raise SupplySetupError(_("This tariff is not offered for this utility."), field="tariff")
    if tariff.customer_type != account.customer.customer_type:
        raise SupplySetupError(_("This tariff is not offered to your kind of customer."), field="tariff")
    if not allow_past and not tariff.is_offered:
        raise SupplySetupError(_("This tariff is no longer offered."), field="tariff")
    if not allow_past and request.start_date < earliest_start(as_of=as_of):
        raise SupplySetupError(
            _("The start date may be at most %(days)d days in the past.")
            % {"days": settings.SUPPLY_START_MAX_DAYS_BACK},
            field="start_date",
        )
    if request.utility != Utility.INTERNET:
        if not request.meter_serial.strip():
            raise SupplySetupError(_("Please enter the meter number."), field="meter_serial")
        for obis, value in request.start_reads.items():
            if value is None or value < 0:
                raise SupplySetupError(
                    _("Please enter the meter reading (%(obis)s) as a positive number.") % {"obis": obis},
                    field="start_reads",
                )


def _agreement_create(
    *, account: Account, premise_data: metering.PremiseData, request: SupplyRequest, status: str
) -> ServiceAgreement:
    premise = metering.premise_get_or_create(data=premise_data)
    try:
        supply_point = metering.supply_point_get_or_create(
            premise=premise,
            utility=request.utility,
            identifier=request.supply_point_id,
            network_area=request.network_area,
        )
    except metering.InvalidSupplyPointId as error:
        raise SupplySetupError(str(error), field="supply_point_id") from error
    if request.utility != Utility.INTERNET:
        try:
            metering.meter_install(
                supply_point=supply_point,
                serial=request.meter_serial,
                installed_on=request.start_date,
                kind=request.meter_kind,
                obis_codes=list(request.start_reads) or None,
            )
        except metering.MeterBelongsElsewhere as error:
            raise SupplySetupError(str(error), field="meter_serial") from error
    agreement = ServiceAgreement(
        account=account,
        supply_point=supply_point,
        tariff=request.tariff,
        status=status,
        start_reason=request.start_reason,
        start_date=request.start_date,
        expected_annual_consumption=request.expected_annual_consumption,
        start_reads={obis: str(value) for obis, value in request.start_reads.items()},
    )
    try:
        with transaction.atomic():
            agreement.save()
    except IntegrityError as error:
        raise OverlappingAgreement(
            _("This supply point is already supplied for (part of) this time."), field="supply_point_id"
        ) from error
    return agreement


def supply_setup_submit(
    *,
    account: Account,
    premise: metering.PremiseData,
    requests: list[SupplyRequest],
    as_of: dt.date,
) -> list[ServiceAgreement]:
    """Request supply for one or more utilities at a premise: agreements in
    REQUESTED for the agents' queue, and a confirmation mail to the customer."""
    if not requests:
        raise SupplySetupError(_("Please choose at least one utility."), field="utilities")
    for request in requests:
        _check_request(account=account, request=request, as_of=as_of, allow_past=False)
    with transaction.atomic():
        agreements = [
            _agreement_create(account=account, premise_data=premise, request=request, status=Status.REQUESTED)
            for request in requests
        ]
        communications.message_send(
            recipient=account.customer.as_recipient(),
            template="supply_requested",
            context={"account": account, "agreements": agreements},
        )
    return agreements


def supply_import(
    *, account: Account, premise: metering.PremiseData, request: SupplyRequest, as_of: dt.date
) -> ServiceAgreement:
    """An existing supply moved from another system: ACTIVE from its start date
    (which may lie in the past), with its start reads recorded."""
    _check_request(account=account, request=request, as_of=as_of, allow_past=True)
    with transaction.atomic():
        agreement = _agreement_create(account=account, premise_data=premise, request=request, status=Status.ACTIVE)
        agreement.confirmed_at = agreement.activated_at = clock.now()
        agreement.save(update_fields=["confirmed_at", "activated_at"])
        _start_reads_record(agreement=agreement, source=Read.Source.OPERATOR)
    return agreement


def agreement_correct(
    *,
    agreement: ServiceAgreement,
    tariff: Tariff | None = None,
    start_date: dt.date | None = None,
    start_reads: dict[str, Decimal] | None = None,
    expected_annual_consumption: Decimal | None = None,
) -> ServiceAgreement:
    """An agent corrects a request before it starts."""
    with transaction.atomic():
        agreement = ServiceAgreement.objects.select_for_update().get(pk=agreement.pk)
        if agreement.status not in (Status.REQUESTED, Status.CONFIRMED):
            raise IllegalTransition(agreement, agreement.status)
        if tariff is not None:
            if tariff.utility != agreement.supply_point.utility:
                raise SupplySetupError(_("This tariff is not offered for this utility."), field="tariff")
            agreement.tariff = tariff
        if start_date is not None:
            agreement.start_date = start_date
        if start_reads is not None:
            agreement.start_reads = {obis: str(value) for obis, value in start_reads.items()}
        if expected_annual_consumption is not None:
            agreement.expected_annual_consumption = expected_annual_consumption
        try:
            with transaction.atomic():
                agreement.save()
        except IntegrityError as error:
            raise OverlappingAgreement(
                _("This supply point is already supplied for (part of) this time."), field="start_date"
            ) from error
    return agreement


def agreement_confirm(*, agreement: ServiceAgreement) -> ServiceAgreement:
    with transaction.atomic():
        agreement = ServiceAgreement.objects.select_for_update().get(pk=agreement.pk)
        if agreement.status == Status.CONFIRMED:
            return agreement
        _transition(agreement, Status.CONFIRMED)
        agreement.confirmed_at = clock.now()
        agreement.save(update_fields=["status", "confirmed_at"])
    return agreement


def agreement_reject(*, agreement: ServiceAgreement, reason: str) -> ServiceAgreement:
    """Refuse a request; the customer is told why."""
    if not reason.strip():
        raise SupplySetupError(_("Please give the customer a reason."), field="reason")
    with transaction.atomic():
        agreement = (
            ServiceAgreement.objects.select_for_update(of=("self",))
            .select_related("account__customer")
            .get(pk=agreement.pk)
        )
        _transition(agreement, Status.REJECTED)
        agreement.rejection_reason = reason.strip()
        agreement.save(update_fields=["status", "rejection_reason"])
        communications.message_send(
            recipient=agreement.account.customer.as_recipient(),
            template="supply_rejected",
            context={"agreement": agreement, "account": agreement.account, "reason": agreement.rejection_reason},
        )
    return agreement


def agreement_cancel(*, agreement: ServiceAgreement) -> ServiceAgreement:
    with transaction.atomic():
        agreement = ServiceAgreement.objects.select_for_update().get(pk=agreement.pk)
        _transition(agreement, Status.CANCELLED)
        agreement.save(update_fields=["status"])
    return agreement


def agreement_end(*, agreement_id: int, as_of: dt.date) -> ServiceAgreement:
    """Supply has ended and its final bill is out: ENDING -> ENDED, once the
    end date has passed. Running it twice ends once."""
    with transaction.atomic():
        agreement = ServiceAgreement.objects.select_for_update().get(pk=agreement_id)
        if agreement.status == Status.ENDED:
            return agreement
        if agreement.end_date is None or agreement.end_date >= as_of:
            raise IllegalTransition(agreement, Status.ENDED)
        _transition(agreement, Status.ENDED)
        agreement.save(update_fields=["status"])
    return agreement


def _start_reads_record(*, agreement: ServiceAgreement, source: str) -> None:
    if agreement.supply_point.utility == Utility.INTERNET:
        return
    taken_at = clock.start_of_day(agreement.start_date)
    registers = Register.objects.filter(meter__supply_point=agreement.supply_point, meter__removed_on__isnull=True)
    for register in registers:
        raw = agreement.start_reads.get(register.obis)
        if raw in (None, ""):
            continue
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            continue
        metering.read_record(
            register=register, taken_at=taken_at, value=value, source=source, reason=_("start reading")
        )


def agreement_activate(*, agreement_id: int, as_of: dt.date) -> ServiceAgreement:
    """Start supply: ACTIVE, start reads recorded, welcome mail with the
    contract summary. Running it twice activates once."""
    from supply.documents import contract_summary_pdf

    with transaction.atomic():
        agreement = (
            ServiceAgreement.objects.select_for_update(of=("self",))
            .select_related("account__customer", "supply_point", "tariff")
            .get(pk=agreement_id)
        )
        if agreement.status == Status.ACTIVE:
            return agreement
        # Only a confirmed request starts supply (ENDING -> ACTIVE is a withdrawn
        # termination, not a new start, and sends no welcome).
        if agreement.status != Status.CONFIRMED or agreement.start_date > as_of:
            raise IllegalTransition(agreement, Status.ACTIVE)
        _transition(agreement, Status.ACTIVE)
        agreement.activated_at = clock.now()
        agreement.save(update_fields=["status", "activated_at"])
        _start_reads_record(agreement=agreement, source=Read.Source.CUSTOMER)
        customer = agreement.account.customer
        pdf = contract_summary_pdf(agreement=agreement, language=customer.language, as_of=as_of)
        communications.message_send(
            recipient=customer.as_recipient(),
            template="supply_welcome",
            context={"agreement": agreement, "account": agreement.account},
            attachments=[communications.Attachment(filename=f"contract-{agreement.pk}.pdf", content=pdf)],
        )
    return agreement


def agreements_activate_due(*, as_of: dt.date) -> list[int]:
    """Activate every confirmed agreement whose start date has come; each in
    its own transaction so one failure does not hold up the others."""
    due = list(
        ServiceAgreement.objects.filter(status=Status.CONFIRMED, start_date__lte=as_of)
        .order_by("start_date", "id")
        .values_list("id", flat=True)
    )
    for agreement_id in due:
        agreement_activate(agreement_id=agreement_id, as_of=as_of)
    return due
