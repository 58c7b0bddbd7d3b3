"""Step 2, checking: a chunk of chains is loaded (metering.services.bulk.chains),
its rows are walked in time order together with the stored reads, and each
row is judged by the rules a single read is judged by (meters.readings)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

from django.utils import timezone

from metering.services.bulk.chains import Chain, ChainAgreement, ChainRegister, chains_load
from metering.services.bulk.rows import ACCEPTED, DUPLICATE, REJECTED, SUSPECT, RejectedRow, Tally
from metering.services.bulk.saving import KeptRow
from metering.services.bulk.tables import Tables
from meters.models import Read
from meters.profiles import profile_use_between
from meters.readings import (
    COUNTED_QUALITIES,
    Verdict,
    band_for,
    duplicate_problem,
    elapsed_days,
    later_read_problem,
    read_check,
    read_place_problem,
)

# Rows to store are handed on in pieces of this size, so the database stores
# them while the next ones are checked.
KEEP_ROWS = 10_000
REASON_LENGTH = Read._meta.get_field("reason").max_length
ESTIMATED = Read.Source.ESTIMATED
VALID = Read.Quality.VALID
SUSPECT_QUALITY = Read.Quality.SUSPECT


class Checker:
    """Judges the rows chunk by chunk and hands the ones to store to `keep`."""

    def __init__(
        self,
        *,
        now: dt.datetime,
        tables: Tables,
        obis_of: dict[int, str],
        tally: Tally,
        keep: Callable[[list[KeptRow]], None],
    ) -> None:
        self.now = now
        self.tables = tables
        self.obis_of = obis_of
        self.tally = tally
        self.keep = keep
        self.bands: dict[str, tuple[Decimal, Decimal]] = {}

    def check(self, first: int, last: int) -> None:
        """Judge the rows of the chains numbered `first` to `last`."""
        chains = chains_load(self.tables, first, last)
        stored = self.tables.stored_read(first, last)
        for chain_id, stored_at, _id, register_id, source, value, quality in stored:
            if source != ESTIMATED and quality in COUNTED_QUALITIES:
                chains[chain_id].registers[register_id].later_add(stored_at, value)
        walk = _Walk(chains, stored)
        kept: list[KeptRow] = []
        moments, moment_in, tally = self.tables.stored_moments, self.tables.moment_in, self.tally
        for line, chain_id, register_id, moment_text, value_text, source in self.tables.rows_read(first, last):
            taken_at = moments.get(moment_text) or moment_in(moment_text)
            value = Decimal(value_text)
            chain = walk.advance(chain_id, taken_at)
            register = chain.registers[register_id]
            status, reason, rollover = self._judge(chain, register, taken_at, value, walk.received(register_id, source))
            tally.checked += 1
            if status == DUPLICATE:
                tally.duplicate(line, reason)
                continue
            if status == REJECTED:
                tally.rejected(
                    RejectedRow(
                        line,
                        reason,
                        register.serial,
                        self.obis_of[register_id],
                        timezone.localtime(taken_at, self.tables.zone).isoformat(),
                        value_text,
                        source.lower(),
                    )
                )
                continue
            tally.kept(line, status, reason)
            quality = VALID if status == ACCEPTED else SUSPECT_QUALITY
            kept.append((line, register_id, moment_text, value_text, source, quality, reason, rollover))
            if len(kept) >= KEEP_ROWS:
                self.keep(kept)
                kept = []
            walk.taken(register, taken_at, value, source, valid=status == ACCEPTED)
        tally.report("checking")
        if kept:
            self.keep(kept)

    def _judge(
        self, chain: Chain, register: ChainRegister, taken_at: dt.datetime, value: Decimal, existing: Decimal | None
    ) -> tuple[str, str, bool]:
        """(status, reason, rollover) of a row, as metering.services.intake.read_submit judges it."""
        if existing is not None:
            return DUPLICATE, duplicate_problem(stored_value=existing, value=value), False
        agreement = chain.agreement_at(taken_at)
        if problem := read_place_problem(
            taken_at=taken_at,
            supplied=agreement is not None,
            meter_serial=register.serial,
            installed_from=register.installed_from,
            removed_until=register.removed_until,
        ):
            return REJECTED, problem, False
        previous = chain.previous
        exchanged = previous is not None and previous[2] != register.meter_id
        lower_percent, upper_percent = self._band(chain.utility)
        check = read_check(
            register_digits=register.digits,
            taken_at=taken_at,
            value=value,
            previous_value=previous[1] if previous else None,
            previous_taken_at=previous[0] if previous else None,
            expected_daily_use=_daily_use(register, agreement, previous, taken_at, exchanged=exchanged),
            lower_percent=lower_percent,
            upper_percent=upper_percent,
            now=self.now,
            meter_exchanged_since_previous=exchanged,
        )
        if check.verdict == Verdict.REJECTED:
            return REJECTED, check.reason, False
        later = register.next_later(taken_at)
        if later is not None and (
            problem := later_read_problem(
                register_digits=register.digits,
                taken_at=taken_at,
                value=value,
                later_taken_at=later[0],
                later_value=later[1],
            )
        ):
            return REJECTED, problem, False
        status = ACCEPTED if check.verdict == Verdict.ACCEPTED else SUSPECT
        return status, check.reason[:REASON_LENGTH], check.rollover

    def _band(self, utility: str) -> tuple[Decimal, Decimal]:
        return self.bands.get(utility) or self.bands.setdefault(utility, band_for(utility=utility))


class _Walk:
    """A chunk's rows and the stored reads of their chains, merged in time
    order. The stored reads up to a row's moment give the chain's previous
    counted actual read; once their moment is past, the valid ones (and the
    accepted rows) join their register's history. The values received for
    the current moment, per register and source, find duplicates."""

    def __init__(self, chains: dict[int, Chain], stored: list[tuple]) -> None:
        self.chains = chains
        self.stored = stored
        self.index = 0
        self.current = -1
        self.chain: Chain | None = None
        self.moment: dt.datetime | None = None
        self.at_moment: dict[tuple[int, str], Decimal] = {}
        self.pending: list[tuple[ChainRegister, dt.datetime, Decimal]] = []

    def advance(self, chain_id: int, taken_at: dt.datetime) -> Chain:
        """Move on to a row of the chain at `taken_at` (rows come by chain, in time order)."""
        if chain_id != self.current:
            self._chain_enter(chain_id)
        stored, count, chain = self.stored, len(self.stored), self.chain
        while self.index < count and stored[self.index][0] == chain_id and stored[self.index][1] <= taken_at:
            _chain, stored_at, read_id, register_id, source, value, quality = stored[self.index]
            self.index += 1
            if stored_at != self.moment:
                self._moment_enter(stored_at)
            self.at_moment[(register_id, source)] = value
            if source != ESTIMATED and quality in COUNTED_QUALITIES:
                register = chain.registers[register_id]
                chain.previous = (stored_at, value, register.meter_id, read_id)
                if quality == VALID:
                    self.pending.append((register, stored_at, value))
        if taken_at != self.moment:
            self._moment_enter(taken_at)
        return chain

    def received(self, register_id: int, source: str) -> Decimal | None:
        """The value received for the current moment from the register and source, if any."""
        return self.at_moment.get((register_id, source))

    def taken(
        self, register: ChainRegister, taken_at: dt.datetime, value: Decimal, source: str, *, valid: bool
    ) -> None:
        """A row to store is the chain's previous read from now on."""
        if valid:
            self.pending.append((register, taken_at, value))
        self.at_moment[(register.id, source)] = value
        self.chain.previous = (taken_at, value, register.meter_id, 0)

    def _chain_enter(self, chain_id: int) -> None:
        self.current, self.chain, self.moment = chain_id, self.chains[chain_id], None
        self.at_moment.clear()
        self.pending.clear()
        stored, count = self.stored, len(self.stored)
        while self.index < count and stored[self.index][0] < chain_id:
            self.index += 1

    def _moment_enter(self, moment: dt.datetime) -> None:
        self.moment = moment
        self.at_moment.clear()
        for register, taken_at, value in self.pending:
            register.remember(taken_at, value)
        self.pending.clear()


def _daily_use(
    register: ChainRegister,
    agreement: ChainAgreement,
    previous: tuple[dt.datetime, Decimal, int, int] | None,
    taken_at: dt.datetime,
    *,
    exchanged: bool,
) -> Decimal | None:
    """The register's daily use over its history or, without one, the
    agreement's expected yearly consumption spread by the standard load
    profile since the previous read."""
    daily_use = register.daily_use()
    if daily_use is None and agreement.annual and previous is not None and not exchanged:
        days = elapsed_days(previous[0], taken_at)
        daily_use = agreement.annual * _profile_share(previous[0], taken_at) / days if days else Decimal(0)
    return daily_use


@lru_cache(maxsize=4096)
def _profile_share(start_at: dt.datetime, end_at: dt.datetime) -> Decimal:
    """The standard load profile's share of a year between two moments (the
    profile is linear in the yearly consumption)."""
    return profile_use_between(annual=Decimal(1), start_at=start_at, end_at=end_at)
