"""The final read when supply ends, and a request to end supply that brings
its final reads along.

A final read "for the end date E" is stored as taken at 00:00 of E+1 (the
end of E) and judged like any other read (`intake.read_submit`). It can be
given from E on: a reading taken on the last day stands for its end. The
request and its reads are one transaction: a reading that cannot be taken
(rejected, or suspect and not confirmed) refuses the whole request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from metering.services.intake import IntakeResult, read_submit
from meters.models import Register
from meters.readings import Verdict
from supply.models import ServiceAgreement
from supply.services.termination import agreements_terminate, final_read_moment, final_read_registers


class FinalReadRefused(ValueError):
    """Final reads that cannot be taken; `messages` by OBIS code (or "" for all)."""

    def __init__(self, messages: dict[str, str], *, results: list[FinalReadResult] | None = None) -> None:
        self.messages = messages
        self.results = results or []
        super().__init__(" ".join(f"{obis}: {text}" if obis else text for obis, text in messages.items()))


@dataclass(frozen=True)
class FinalReadResult:
    register: Register
    value: Decimal
    result: IntakeResult


def final_reads_submit(
    *,
    agreement: ServiceAgreement,
    values: dict[str, Decimal],
    source: str,
    now: dt.datetime,
    customer=None,
    confirm_suspect: bool = False,
) -> list[FinalReadResult]:
    """Take the final reads of an ending supply, one value per register (OBIS
    code). Raises FinalReadRefused, with nothing stored, when one cannot be taken."""
    if agreement.end_date is None:
        raise FinalReadRefused({"": _("This supply has no end date yet.")})
    end_date = agreement.end_date
    if timezone.localtime(now).date() < end_date:
        raise FinalReadRefused(
            {
                "": _("You can give the final reading from the end date on, %(date)s.")
                % {"date": formats.date_format(end_date, "SHORT_DATE_FORMAT")}
            }
        )
    registers = {register.obis: register for register in final_read_registers(agreement)}
    unknown = sorted(set(values) - set(registers))
    if unknown:
        raise FinalReadRefused(
            {
                obis: _("This meter has no register %(obis)s; its registers are: %(known)s.")
                % {"obis": obis, "known": ", ".join(sorted(registers)) or _("none")}
                for obis in unknown
            }
        )
    moment = final_read_moment(agreement)
    results: list[FinalReadResult] = []
    with transaction.atomic():
        for obis, value in sorted(values.items()):
            result = read_submit(
                register=registers[obis],
                taken_at=moment,
                value=value,
                source=source,
                confirm_suspect=confirm_suspect,
                customer=customer,
                # A reading given on the last day stands for its end.
                now=max(now, moment),
            )
            results.append(FinalReadResult(registers[obis], value, result))
        refused = {
            item.register.obis: item.result.reason or _("We cannot take this reading.")
            for item in results
            if item.result.read is None and item.result.verdict != Verdict.ACCEPTED
        }
        if refused:
            raise FinalReadRefused(refused, results=results)
    return results


def termination_submit(
    *,
    agreements: list[ServiceAgreement],
    end_date: dt.date,
    reason: str,
    values: dict[int, dict[str, Decimal]],
    source: str,
    channel: str,
    as_of: dt.date,
    now: dt.datetime,
    requested_by=None,
    customer=None,
    confirm_suspect: bool = False,
    representative=None,
) -> tuple[list[ServiceAgreement], dict[int, list[FinalReadResult]]]:
    """End the agreements (supply's `agreements_terminate`) and take the final
    reads given with the request (`values` by agreement id, then OBIS code),
    all or nothing."""
    results: dict[int, list[FinalReadResult]] = {}
    with transaction.atomic():
        ended = agreements_terminate(
            agreements=agreements,
            end_date=end_date,
            reason=reason,
            requested_by=requested_by,
            channel=channel,
            as_of=as_of,
            representative=representative,
        )
        for agreement in ended:
            if values.get(agreement.pk):
                results[agreement.pk] = final_reads_submit(
                    agreement=agreement,
                    values=values[agreement.pk],
                    source=source,
                    now=now,
                    customer=customer,
                    confirm_suspect=confirm_suspect,
                )
    return ended, results


class _Preview(Exception):
    pass


def termination_check(**request) -> dict[int, list[FinalReadResult]]:
    """Judge a request as `termination_submit` would, saving nothing: raises
    what it would raise, else answers the verdicts of the final reads."""
    try:
        with transaction.atomic():
            _ended, results = termination_submit(**request)
            raise _Preview
    except _Preview:
        return results
