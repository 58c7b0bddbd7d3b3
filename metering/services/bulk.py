"""Checking and storing meter reads in bulk, for metering.services.imports (the CSV
command, the back-office upload and the API).

Every row is judged like a single read (metering.services.intake), in time order
per register code at a supply point ("chain": the registers of that code on
the supply point's meters, old and new), so the previous read may be an
earlier row of the same delivery:

- unknown meter or register, an unreadable date or number, an unknown source
  -> rejected;
- the same register, moment and source stored already, or stored by an
  earlier row -> duplicate (stored once; the reason says so when the value
  differs);
- no ACTIVE or ENDING agreement supplies the meter at that moment (from 00:00
  of its start date to 00:00 of the day after its end date), or the meter was
  not installed that day -> rejected;
- meters.readings.read_check's verdict against the previous counted actual
  read of the chain (a read of another meter means an exchange), with the
  expected daily use of the register's year of valid actual reads or, without
  one, of the standard load profile scaled to the agreement's expected yearly
  consumption; a value that a later stored read contradicts -> rejected.
  SUSPECT rows are stored as SUSPECT for the agents' review queue (a delivery
  cannot confirm them).

Two simplifications against the single read, both to keep the work
set-based: the year of history is counted back from the chain's first row
(the single read counts back from each read), and a register is taken not to
roll over twice in that year.

The work, the same on PostgreSQL and SQLite:
1. reading: rows are parsed in batches; one query a batch finds the registers
   of its meter numbers; good rows go to a temporary table (COPY on
   PostgreSQL);
2. checking: consecutive chains of about CHUNK_ROWS rows are loaded with four
   set-based queries (the registers with the last read before the chain's
   first row and their history, the agreements, the stored reads from that
   row on, the rows in time order) and checked in Python;
3. saving, in one transaction: on PostgreSQL the rows to keep are spooled to
   a temporary file and COPYed into the reads table at the end or, for a
   large delivery, over a second connection while the next chunks are
   checked. A COPY fails as a whole when another writer stored one of the
   rows in the meantime (a unique violation); then, and on SQLite, one
   INSERT ... SELECT ... ON CONFLICT DO NOTHING stores them, and the rows it
   skips count as duplicates.
Nothing is stored before step 3, so a delivery that turns out to be broken
stores nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, localcontext
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.copy import QueuedLibpqWriter

from core import clock
from metering.services.intake import SUPPLYING_STATES
from meters.models import Meter, Read, Register, SupplyPoint
from meters.profiles import PRECISION, profile_use_between
from meters.readings import (
    COUNTED_QUALITIES,
    HISTORY_DAYS,
    HISTORY_MIN_DAYS,
    MICROSECONDS_PER_DAY,
    Verdict,
    band_for,
    duplicate_problem,
    elapsed_days,
    later_read_problem,
    read_check,
    read_place_problem,
)
from supply.models import ServiceAgreement

COLUMNS = ("meter_serial", "obis", "read_at", "value", "source")
SOURCES = {
    "smart": Read.Source.SMART,
    "operator": Read.Source.OPERATOR,
    "customer": Read.Source.CUSTOMER,
    "agent": Read.Source.AGENT,
}
# Rows parsed per batch (one register look-up each), and checked per chunk
# (a few set-based queries each; larger chunks mean fewer scans).
BATCH_ROWS = 20_000
CHUNK_ROWS = 100_000
# Rows to store are handed on in pieces of this size, so the database stores
# them while the next ones are checked.
KEEP_ROWS = 10_000
# From this many rows on, a second connection stores them while they are checked (PostgreSQL).
STREAM_FROM_ROWS = 50_000
ONE_MICROSECOND = dt.timedelta(microseconds=1)
NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
REASON_LENGTH = Read._meta.get_field("reason").max_length
ESTIMATED = Read.Source.ESTIMATED
VALID = Read.Quality.VALID
SUSPECT_QUALITY = Read.Quality.SUSPECT

ACCEPTED, SUSPECT, REJECTED, DUPLICATE = "accepted", "suspect", "rejected", "duplicate"
STATUS_OF_QUALITY = {VALID: ACCEPTED, SUSPECT_QUALITY: SUSPECT}

ROWS_TABLE = "read_import_rows"
CHAINS_TABLE = "read_import_chains"
NEW_TABLE = "read_import_new"
# The row's own columns of the reads table, in the order the spool writes them.
OWN_COLUMNS = ("register_id", "taken_at", "value", "source", "quality", "reason", "rollover")


class ReadRow(NamedTuple):
    """One read as delivered: `number` is the file's line (the header is
    line 1) or the API item's index; `problem` rejects a malformed row."""

    number: int
    meter_serial: str = ""
    obis: str = ""
    read_at: str = ""
    value: str = ""
    source: str = ""
    problem: str = ""


@dataclass(frozen=True)
class RejectedRow:
    number: int
    reason: str
    meter_serial: str
    obis: str
    read_at: str
    value: str
    source: str

    def report_row(self) -> list[str]:
        return [str(self.number), self.reason, self.meter_serial, self.obis, self.read_at, self.value, self.source]


@dataclass
class ReadCounts:
    accepted: int = 0
    suspect: int = 0
    rejected: int = 0
    duplicate: int = 0

    @property
    def rows(self) -> int:
        return self.accepted + self.suspect + self.rejected + self.duplicate

    def summary(self) -> str:
        return _("accepted %(accepted)d, suspect %(suspect)d, rejected %(rejected)d, duplicate %(duplicate)d") % {
            "accepted": self.accepted,
            "suspect": self.suspect,
            "rejected": self.rejected,
            "duplicate": self.duplicate,
        }


@dataclass
class ReadImportResult:
    counts: ReadCounts
    # Sorted by number.
    rejections: list[RejectedRow]
    # number -> (status, reason) for every row, when asked for.
    items: dict[int, tuple[str, str]] | None = None


# stage ("reading", "checking", "saving"), rows read, rows checked, counts so far
Progress = Callable[[str, int, int, ReadCounts], None]


def reads_check_and_store(
    *, rows: Iterable[ReadRow], now: dt.datetime, progress: Progress | None = None, keep_items: bool = False
) -> ReadImportResult:
    """Judge and store the rows (see the module's rules). `keep_items` keeps
    every row's status and reason in the result."""
    return _BulkReads(now=now, progress=progress, keep_items=keep_items).run(rows)


@dataclass(slots=True)
class _Register:
    """A register of a chain, with its history: the valid actual reads from a
    year before the chain's first row."""

    id: int
    meter_id: int
    serial: str
    digits: int
    installed_from: dt.datetime
    removed_until: dt.datetime | None
    first: tuple[dt.datetime, Decimal] | None = None
    last: tuple[dt.datetime, Decimal] | None = None
    reads: int = 0
    wraps: int = 0
    daily: Decimal | None = None
    daily_known: bool = False
    # Stored counted actual reads from the chain's first row on, in time order.
    later: list[tuple[dt.datetime, Decimal]] | None = None
    later_index: int = 0

    def remember(self, taken_at: dt.datetime, value: Decimal) -> None:
        """A valid actual read before the one being checked joins the history."""
        if self.last is not None and value < self.last[1]:
            self.wraps += 1
        if self.first is None:
            self.first = (taken_at, value)
        self.last = (taken_at, value)
        self.reads += 1
        self.daily_known = False

    def daily_use(self) -> Decimal | None:
        """meters.readings.expected_daily_use over the remembered history."""
        if not self.daily_known:
            self.daily_known = True
            self.daily = None
            if self.reads >= 2:
                # meters.readings.elapsed_days, for moments that are all in UTC here.
                days = Decimal((self.last[0] - self.first[0]) // ONE_MICROSECOND) / MICROSECONDS_PER_DAY
                if days >= HISTORY_MIN_DAYS:
                    total = self.last[1] - self.first[1] + self.wraps * Decimal(10) ** self.digits
                    with localcontext(prec=PRECISION):
                        self.daily = total / days
        return self.daily

    def next_later(self, taken_at: dt.datetime) -> tuple[dt.datetime, Decimal] | None:
        later, index = self.later, self.later_index
        if later is None:
            return None
        while index < len(later) and later[index][0] <= taken_at:
            index += 1
        self.later_index = index
        return later[index] if index < len(later) else None


@dataclass(frozen=True)
class _Agreement:
    supplies_from: dt.datetime
    supplies_until: dt.datetime | None
    annual: Decimal | None


@dataclass
class _Chain:
    utility: str
    agreements: list[_Agreement]
    registers: dict[int, _Register]
    # The previous counted actual read: (taken_at, value, meter id, read id).
    previous: tuple[dt.datetime, Decimal, int, int] | None = None


class _BulkReads:
    def __init__(self, *, now: dt.datetime, progress: Progress | None, keep_items: bool) -> None:
        self.now = now
        self.progress = progress
        self.items: dict[int, tuple[str, str]] | None = {} if keep_items else None
        self.counts = ReadCounts()
        self.rejections: list[RejectedRow] = []
        self.postgres = connection.vendor == "postgresql"
        self.zone = ZoneInfo(settings.TIME_ZONE)
        # serial -> {obis: (register id, supply point id)}; None for an unknown meter
        self.meters: dict[str, dict[str, tuple[int, int]] | None] = {}
        self.obis_of: dict[int, str] = {}
        self.chain_of: dict[tuple[int, str], int] = {}
        self.chain_keys: list[tuple[int, str]] = []
        self.chain_first: list[dt.datetime] = []
        self.chain_rows: list[int] = []
        self.parsed_moments: dict[str, tuple[dt.datetime, str] | None] = {}
        self.stored_moments: dict[Any, dt.datetime] = {}
        self.bands: dict[str, tuple[Decimal, Decimal]] = {}
        self.read = 0
        self.checked = 0
        # The rows to store: COPY text in a file and their numbers (PostgreSQL).
        self.spool: Any = None
        self.spooled = array("q")
        # Outside a transaction of the caller's, the whole save is this import's own.
        self.own_transaction = not connection.in_atomic_block
        self.stream: Any = None
        self.other_columns = self._other_columns()
        self.copy_columns = ", ".join([*OWN_COLUMNS, *(column for column, _value in self.other_columns)])
        # The other columns' values: the spool's lines end in them for the reads table.
        self.line_end = "".join("\t" + _copy_literal(value) for _column, value in self.other_columns) + "\n"

    # -- the three steps --

    def run(self, rows: Iterable[ReadRow]) -> ReadImportResult:
        with connection.cursor() as cursor, tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
            self.cursor, self.spool = cursor, spool
            self._tables_drop()
            self._tables_create()
            try:
                batch: list[ReadRow] = []
                for row in rows:
                    batch.append(row)
                    if len(batch) >= BATCH_ROWS:
                        self._stage(batch)
                        batch = []
                self._stage(batch)
                self._chains_write()
                self._lost(self._check_and_save())
            finally:
                self._tables_drop()
        self.rejections.sort(key=lambda rejected: rejected.number)
        return ReadImportResult(counts=self.counts, rejections=self.rejections, items=self.items)

    def _check_and_save(self) -> list[tuple[int, str]]:
        """Check every chunk and store the rows to keep; return (number,
        quality) of those another writer stored since they were checked.

        Large deliveries on PostgreSQL, outside a transaction of the
        caller's, are stored over a second connection while the next chunks
        are checked, so that the database writes while Python checks. A COPY
        fails as a whole when another writer stored one of the rows
        meanwhile; then the rows are inserted again, skipping those."""
        if not (self.postgres and self.own_transaction and sum(self.chain_rows) >= STREAM_FROM_ROWS):
            self._check_all()
            if self.postgres:
                return self._save_postgresql()
            with transaction.atomic():
                return self._insert_remaining()
        try:
            with _reads_stream(columns=self.copy_columns, line_end=self.line_end) as stream:
                self.stream = stream
                self._check_all()
        except IntegrityError:
            return self._insert_remaining()
        return []

    def _check_all(self) -> None:
        for first, last in self._chunks():
            self._check(first, last)
        self._report("saving")

    def _report(self, stage: str) -> None:
        if self.progress is not None:
            self.progress(stage, self.read, self.checked, self.counts)

    # -- reading --

    def _stage(self, batch: list[ReadRow]) -> None:
        self._meters_load({row.meter_serial.strip() for row in batch} - self.meters.keys())
        staged = [staged_row for staged_row in map(self._parse, batch) if staged_row is not None]
        self.read += len(batch)
        if staged:
            self._rows_write(staged)
        self._report("reading")

    def _meters_load(self, serials: set[str]) -> None:
        serials.discard("")
        if not serials:
            return
        found: dict[str, dict[str, tuple[int, int]]] = {}
        ordered = sorted(serials)
        size = 20_000 if self.postgres else 500
        for start in range(0, len(ordered), size):
            part = ordered[start : start + size]
            if self.postgres:
                # One array parameter: much faster to plan than a list of thousands.
                self.cursor.execute(
                    f"SELECT m.serial, m.supply_point_id, g.obis, g.id FROM {Meter._meta.db_table} m "  # noqa: S608
                    f"LEFT JOIN {Register._meta.db_table} g ON g.meter_id = m.id WHERE m.serial = ANY(%s)",
                    [part],
                )
                meters = self.cursor.fetchall()
            else:
                meters = Meter.objects.filter(serial__in=part).values_list(
                    "serial", "supply_point_id", "registers__obis", "registers__id"
                )
            for serial, supply_point_id, obis, register_id in meters:
                registers = found.setdefault(serial, {})
                if register_id is not None:
                    registers[obis] = (register_id, supply_point_id)
                    self.obis_of[register_id] = obis
        for serial in serials:
            self.meters[serial] = found.get(serial)

    def _parse(self, row: ReadRow) -> tuple[int, int, int, str, str, str] | None:
        """(number, chain, register id, moment, value, source) of a good row."""
        number, serial, obis, read_at, value, source_name, problem = row
        if problem:
            self._reject_raw(row, problem)
            return None
        serial, obis, value = serial.strip(), obis.strip(), value.strip()
        registers = self.meters.get(serial)
        register = registers.get(obis) if registers else None
        moment = self.parsed_moments.get(read_at) or self._moment(read_at)
        source = SOURCES.get(source_name) or SOURCES.get(source_name.strip().lower())
        if register is None or moment is None or source is None or NUMBER.fullmatch(value) is None:
            self._reject_raw(row, self._problems(row, registers, register, moment, value, source))
            return None
        register_id, supply_point_id = register
        taken_at, stored_moment = moment
        key = (supply_point_id, obis)
        chain = self.chain_of.get(key)
        if chain is None:
            chain = self.chain_of[key] = len(self.chain_keys)
            self.chain_keys.append(key)
            self.chain_first.append(taken_at)
            self.chain_rows.append(0)
        elif taken_at < self.chain_first[chain]:
            self.chain_first[chain] = taken_at
        self.chain_rows[chain] += 1
        return number, chain, register_id, stored_moment, value.replace(",", "."), source

    def _problems(self, row: ReadRow, registers, register, moment, value: str, source) -> str:
        """Every reason the row cannot be read, `column: message`, in the columns' order."""
        problems = []
        serial, obis = row.meter_serial.strip(), row.obis.strip()
        if not serial:
            problems.append("meter_serial: " + _("The meter number is missing."))
        elif registers is None:
            problems.append(
                "meter_serial: " + _("There is no meter with the number “%(serial)s”.") % {"serial": serial}
            )
        elif register is None:
            if not registers:
                problems.append("obis: " + _("Meter %(serial)s has no registers.") % {"serial": serial})
            else:
                problems.append(
                    "obis: "
                    + _("Meter %(serial)s has no register “%(obis)s” (it has %(registers)s).")
                    % {"serial": serial, "obis": obis, "registers": ", ".join(sorted(registers))}
                )
        if moment is None:
            if row.read_at.strip():
                problems.append(
                    "read_at: "
                    + _(
                        "“%(value)s” is not an ISO 8601 date or date-time "
                        "(e.g. 2026-01-31 or 2026-01-31T06:00:00+01:00)."
                    )
                    % {"value": row.read_at.strip()}
                )
            else:
                problems.append("read_at: " + _("The date of the reading is missing."))
        if NUMBER.fullmatch(value) is None:
            if value:
                problems.append("value: " + _("“%(value)s” is not a number.") % {"value": value})
            else:
                problems.append("value: " + _("The reading is missing."))
        if source is None:
            problems.append(
                "source: "
                + _("“%(value)s” is not one of %(sources)s.")
                % {"value": row.source.strip(), "sources": ", ".join(SOURCES)}
            )
        return "; ".join(problems)

    def _moment(self, text: str) -> tuple[dt.datetime, str] | None:
        """The aware moment and its form for the temporary table; a date or a
        date-time without offset is Berlin time."""
        try:
            moment = dt.datetime.fromisoformat(text.strip())
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        if len(self.parsed_moments) >= 100_000:
            self.parsed_moments.clear()
        parsed = self.parsed_moments[text] = (moment, self._moment_out(moment))
        return parsed

    def _reject_raw(self, row: ReadRow, reason: str) -> None:
        self._rejected(RejectedRow(row.number, reason, row.meter_serial, row.obis, row.read_at, row.value, row.source))

    def _rejected(self, rejected: RejectedRow) -> None:
        self.counts.rejected += 1
        self.rejections.append(rejected)
        if self.items is not None:
            self.items[rejected.number] = (REJECTED, rejected.reason)

    def _chunks(self) -> Iterator[tuple[int, int]]:
        """Consecutive chains of about CHUNK_ROWS rows."""
        first, rows = 0, 0
        for chain, count in enumerate(self.chain_rows):
            rows += count
            if rows >= CHUNK_ROWS:
                yield first, chain
                first, rows = chain + 1, 0
        if first < len(self.chain_rows):
            yield first, len(self.chain_rows) - 1

    # -- checking --

    def _check(self, first: int, last: int) -> None:
        chains = self._chains_load(first, last)
        stored = self._stored_read(first, last)
        for chain_id, stored_at, _id, register_id, source, value, quality in stored:
            if source != ESTIMATED and quality in COUNTED_QUALITIES:
                register = chains[chain_id].registers[register_id]
                if register.later is None:
                    register.later = []
                register.later.append((stored_at, value))
        keep: list[tuple[int, int, str, str, str, str, str, bool]] = []
        index, count = 0, len(stored)
        current = -1
        chain: _Chain | None = None
        moment = None
        at_moment: dict[tuple[int, str], Decimal] = {}
        pending: list[tuple[_Register, dt.datetime, Decimal]] = []
        moments = self.stored_moments
        judge = self._judge
        for line, chain_id, register_id, moment_text, value_text, source in self._rows_read(first, last):
            taken_at = moments.get(moment_text) or self._moment_in(moment_text)
            value = Decimal(value_text)
            if chain_id != current:
                current, chain, moment = chain_id, chains[chain_id], None
                at_moment.clear()
                pending.clear()
                while index < count and stored[index][0] < chain_id:
                    index += 1
            while index < count and stored[index][0] == chain_id and stored[index][1] <= taken_at:
                _chain, stored_at, read_id, stored_register, stored_source, stored_value, quality = stored[index]
                index += 1
                if stored_at != moment:
                    moment = stored_at
                    at_moment.clear()
                    for register, pending_at, pending_value in pending:
                        register.remember(pending_at, pending_value)
                    pending.clear()
                at_moment[(stored_register, stored_source)] = stored_value
                if stored_source != ESTIMATED and quality in COUNTED_QUALITIES:
                    register = chain.registers[stored_register]
                    chain.previous = (stored_at, stored_value, register.meter_id, read_id)
                    if quality == VALID:
                        pending.append((register, stored_at, stored_value))
            if taken_at != moment:
                moment = taken_at
                at_moment.clear()
                for register, pending_at, pending_value in pending:
                    register.remember(pending_at, pending_value)
                pending.clear()
            register = chain.registers[register_id]
            status, reason, rollover = judge(chain, register, taken_at, value, at_moment.get((register_id, source)))
            self.checked += 1
            if status == DUPLICATE:
                self.counts.duplicate += 1
                if self.items is not None:
                    self.items[line] = (DUPLICATE, reason)
                continue
            if status == REJECTED:
                self._rejected(
                    RejectedRow(
                        line,
                        reason,
                        register.serial,
                        self.obis_of[register_id],
                        timezone.localtime(taken_at, self.zone).isoformat(),
                        value_text,
                        source.lower(),
                    )
                )
                continue
            if self.items is not None:
                self.items[line] = (status, reason)
            if status == ACCEPTED:
                self.counts.accepted += 1
                quality = VALID
                pending.append((register, taken_at, value))
            else:
                self.counts.suspect += 1
                quality = SUSPECT_QUALITY
            keep.append((line, register_id, moment_text, value_text, source, quality, reason, rollover))
            if len(keep) >= KEEP_ROWS:
                self._keep(keep)
                keep = []
            at_moment[(register_id, source)] = value
            chain.previous = (taken_at, value, register.meter_id, 0)
        self._report("checking")
        if keep:
            self._keep(keep)

    def _judge(
        self, chain: _Chain, register: _Register, taken_at: dt.datetime, value: Decimal, existing: Decimal | None
    ) -> tuple[str, str, bool]:
        """(status, reason, rollover) of a row, as metering.services.intake.read_submit judges it."""
        if existing is not None:
            return DUPLICATE, duplicate_problem(stored_value=existing, value=value), False
        agreement = None
        for candidate in chain.agreements:
            if candidate.supplies_from <= taken_at and (
                candidate.supplies_until is None or taken_at <= candidate.supplies_until
            ):
                agreement = candidate
                break
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
        daily_use = register.daily_use()
        if daily_use is None and agreement.annual and previous is not None and not exchanged:
            days = elapsed_days(previous[0], taken_at)
            daily_use = agreement.annual * _profile_share(previous[0], taken_at) / days if days else Decimal(0)
        utility = chain.utility
        band = self.bands.get(utility) or self.bands.setdefault(utility, band_for(utility=utility))
        check = read_check(
            register_digits=register.digits,
            taken_at=taken_at,
            value=value,
            previous_value=previous[1] if previous else None,
            previous_taken_at=previous[0] if previous else None,
            expected_daily_use=daily_use,
            lower_percent=band[0],
            upper_percent=band[1],
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

    # -- saving --

    def _keep(self, keep: list[tuple[int, int, str, str, str, str, str, bool]]) -> None:
        """Hold the rows to store until the end, in the spool (PostgreSQL) or a
        table (SQLite); when streaming, hand them to the second connection too."""
        if self.postgres:
            self.spooled.extend(row[0] for row in keep)
            data = "".join(
                f"{register}\t{moment}\t{value}\t{source}\t{quality}\t{_copy_text(reason) if reason else ''}\t"
                f"{'t' if rollover else 'f'}\n"
                for _line, register, moment, value, source, quality, reason, rollover in keep
            )
            self.spool.write(data)
            if self.stream is not None:
                self.stream.write(data.replace("\n", self.line_end))
        else:
            self.cursor.executemany(
                f"INSERT INTO {NEW_TABLE} (line, {', '.join(OWN_COLUMNS)}) "  # noqa: S608 - our own tables
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                keep,
            )

    def _save_postgresql(self) -> list[tuple[int, str]]:
        """One COPY into the reads table, or the insert that skips rows stored meanwhile."""
        try:
            with transaction.atomic():
                self._copy_into_reads()
        except IntegrityError:
            return self._insert_remaining()
        return []

    def _lost(self, lost: list[tuple[int, str]]) -> None:
        """Rows another writer stored since they were checked are duplicates."""
        for line, quality in lost:
            if STATUS_OF_QUALITY[quality] == ACCEPTED:
                self.counts.accepted -= 1
            else:
                self.counts.suspect -= 1
            self.counts.duplicate += 1
            if self.items is not None:
                self.items[line] = (DUPLICATE, "")

    def _copy_into_reads(self) -> None:
        self.spool.seek(0)
        with (
            connection.wrap_database_errors,
            self.cursor.cursor.copy(f"COPY {Read._meta.db_table} ({self.copy_columns}) FROM STDIN") as copy,
        ):
            while data := self.spool.read(1 << 20):
                copy.write(data.replace("\n", self.line_end))

    def _insert_remaining(self) -> list[tuple[int, str]]:
        """Store the kept rows that are not stored yet; return (number,
        quality) of those another writer stored meanwhile."""
        table = Read._meta.db_table
        other = self.other_columns
        columns = ", ".join([*OWN_COLUMNS, *(column for column, _value in other)])
        values = ", ".join([*(f"n.{column}" for column in OWN_COLUMNS), *(["%s"] * len(other))])
        params = [value for _column, value in other]
        insert = (
            f"INSERT INTO {table} ({columns}) SELECT {values} FROM {NEW_TABLE} n "  # noqa: S608 - our own tables
            "WHERE 1 = 1 ORDER BY n.register_id, n.taken_at ON CONFLICT DO NOTHING"
        )
        if self.postgres:
            with transaction.atomic():
                self.spool.seek(0)
                with (
                    connection.wrap_database_errors,
                    self.cursor.cursor.copy(f"COPY {NEW_TABLE} ({', '.join(OWN_COLUMNS)}) FROM STDIN") as copy,
                ):
                    while data := self.spool.read(1 << 20):
                        copy.write(data)
                self.cursor.execute(
                    f"WITH stored AS ({insert} RETURNING register_id, taken_at, source) "  # noqa: S608
                    f"SELECT n.ordinal, n.quality FROM {NEW_TABLE} n WHERE NOT EXISTS (SELECT 1 FROM stored s "
                    "WHERE s.register_id = n.register_id AND s.taken_at = n.taken_at AND s.source = n.source)",
                    params,
                )
                return [(self.spooled[ordinal - 1], quality) for ordinal, quality in self.cursor.fetchall()]
        # SQLite has one writer at a time: the rows that were not inserted have older ids.
        self.cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        (before,) = self.cursor.fetchone()
        self.cursor.execute(insert, params)
        self.cursor.execute(
            f"SELECT n.line, n.quality FROM {NEW_TABLE} n JOIN {table} r ON r.register_id = n.register_id "  # noqa: S608
            "AND r.taken_at = n.taken_at AND r.source = n.source WHERE r.id <= %s",
            [before],
        )
        return list(self.cursor.fetchall())

    def _other_columns(self) -> list[tuple[str, Any]]:
        """The reads table's other columns with the value a new row gets (so
        that a field added later with a default needs no change here)."""
        other = []
        for model_field in Read._meta.concrete_fields:
            if model_field.primary_key or model_field.column in OWN_COLUMNS:
                continue
            default = self.now if model_field.attname == "created_at" else model_field.get_default()
            other.append((model_field.column, model_field.get_db_prep_save(default, connection)))
        return other

    # -- the temporary tables --

    def _tables_create(self) -> None:
        if self.postgres:
            moment, number, key, ordinal = "timestamptz", "numeric", "bigint", "ordinal bigserial, "
        else:
            moment, number, key, ordinal = "text", "text", "integer", "line integer NOT NULL, "
        for statement in (
            f"CREATE TEMPORARY TABLE {ROWS_TABLE} (line {key} NOT NULL, chain integer NOT NULL, "
            f"register_id {key} NOT NULL, taken_at {moment} NOT NULL, value {number} NOT NULL, "
            "source varchar(10) NOT NULL)",
            f"CREATE TEMPORARY TABLE {CHAINS_TABLE} (chain integer PRIMARY KEY, supply_point_id {key} NOT NULL, "
            f"obis varchar(20) NOT NULL, from_at {moment} NOT NULL, window_from {moment} NOT NULL)",
            f"CREATE TEMPORARY TABLE {NEW_TABLE} ({ordinal}register_id {key} NOT NULL, taken_at {moment} NOT NULL, "
            f"value {number} NOT NULL, source varchar(10) NOT NULL, quality varchar(10) NOT NULL, "
            "reason varchar(300) NOT NULL, rollover boolean NOT NULL)",
        ):
            self.cursor.execute(statement)

    def _tables_drop(self) -> None:
        for table in (ROWS_TABLE, CHAINS_TABLE, NEW_TABLE):
            self.cursor.execute(f"DROP TABLE IF EXISTS {table}")

    def _moment_out(self, moment: dt.datetime) -> str:
        if self.postgres:
            return moment.isoformat()
        return str(connection.ops.adapt_datetimefield_value(moment))

    def _moment_in(self, value: Any) -> dt.datetime:
        """A moment from the database (text on PostgreSQL, which is faster than
        its datetime loader; SQLite gives UTC without zone, or text)."""
        moment = self.stored_moments.get(value)
        if moment is None:
            if len(self.stored_moments) >= 100_000:
                self.stored_moments.clear()
            moment = self.stored_moments[value] = _moment_in(value)
        return moment

    def _rows_write(self, staged: list[tuple[int, int, int, str, str, str]]) -> None:
        if self.postgres:
            data = "".join(f"{a}\t{b}\t{c}\t{d}\t{e}\t{f}\n" for a, b, c, d, e, f in staged)
            with (
                connection.wrap_database_errors,
                self.cursor.cursor.copy(
                    f"COPY {ROWS_TABLE} (line, chain, register_id, taken_at, value, source) FROM STDIN"
                ) as copy,
            ):
                copy.write(data)
        else:
            self.cursor.executemany(
                f"INSERT INTO {ROWS_TABLE} (line, chain, register_id, taken_at, value, source) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s, %s)",
                staged,
            )

    def _chains_write(self) -> None:
        rows = []
        for chain, (supply_point_id, obis) in enumerate(self.chain_keys):
            first = self.chain_first[chain]
            window_from = first.astimezone(self.zone) - dt.timedelta(days=HISTORY_DAYS)
            rows.append((chain, supply_point_id, obis, self._moment_out(first), self._moment_out(window_from)))
        if self.postgres and rows:
            with (
                connection.wrap_database_errors,
                self.cursor.cursor.copy(
                    f"COPY {CHAINS_TABLE} (chain, supply_point_id, obis, from_at, window_from) FROM STDIN"
                ) as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        elif rows:
            self.cursor.executemany(
                f"INSERT INTO {CHAINS_TABLE} (chain, supply_point_id, obis, from_at, window_from) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s)",
                rows,
            )
        self.cursor.execute(f"CREATE INDEX {ROWS_TABLE}_chain ON {ROWS_TABLE} (chain, taken_at, line)")
        if self.postgres:
            self.cursor.execute(f"ANALYZE {ROWS_TABLE}")
            self.cursor.execute(f"ANALYZE {CHAINS_TABLE}")

    def _rows_read(self, first: int, last: int) -> list[tuple[int, int, int, Any, str, str]]:
        """The chains' rows in time order; moments and values as text."""
        moment, value = ("taken_at::text", "value::text") if self.postgres else ("taken_at", "value")
        self.cursor.execute(
            f"SELECT line, chain, register_id, {moment}, {value}, source FROM {ROWS_TABLE} "  # noqa: S608
            "WHERE chain BETWEEN %s AND %s ORDER BY chain, taken_at, line",
            [first, last],
        )
        return self.cursor.fetchall()

    def _stored_read(self, first: int, last: int) -> list[tuple]:
        """The stored reads of the chains' registers from each chain's first
        row on: (chain, taken_at, id, register id, source, value, quality)."""
        self.cursor.execute(
            f"SELECT c.chain, {self._text('r.taken_at')}, r.id, r.register_id, r.source, "  # noqa: S608
            f"{self._decimal('r.value')}, r.quality FROM {CHAINS_TABLE} c "
            f"JOIN {Meter._meta.db_table} m ON m.supply_point_id = c.supply_point_id "
            f"JOIN {Register._meta.db_table} g ON g.meter_id = m.id AND g.obis = c.obis "
            f"JOIN {Read._meta.db_table} r ON r.register_id = g.id AND r.taken_at >= c.from_at "
            "WHERE c.chain BETWEEN %s AND %s ORDER BY c.chain, r.taken_at, r.id",
            [first, last],
        )
        return [
            (chain, self._moment_in(taken_at), read_id, register, source, _decimal_in(value), quality)
            for chain, taken_at, read_id, register, source, value, quality in self.cursor.fetchall()
        ]

    def _chains_load(self, first: int, last: int) -> dict[int, _Chain]:
        """The chains' utility and supplying agreements, their registers with
        the last counted actual read before the chain's first row and the
        history (first and last valid actual read of the year before)."""
        reads = Read._meta.db_table
        last_counted = (
            f"SELECT r.id FROM {reads} r WHERE r.register_id = g.id AND r.taken_at < c.from_at "  # noqa: S608
            "AND r.quality IN (%s, %s) AND r.source <> %s ORDER BY r.taken_at DESC, r.id DESC LIMIT 1"
        )
        history = (
            f"SELECT r.id FROM {reads} r WHERE r.register_id = g.id AND r.taken_at >= c.window_from "  # noqa: S608
            "AND r.taken_at < c.from_at AND r.quality = %s AND r.source <> %s ORDER BY r.taken_at {order}, "
            "r.id {order} LIMIT 1"
        )
        self.cursor.execute(
            f"SELECT c.chain, g.id, g.meter_id, g.digits, m.serial, m.installed_on, m.removed_on, "  # noqa: S608
            f"{self._text('p.taken_at')}, {self._decimal('p.value')}, p.id, "
            f"{self._text('f.taken_at')}, {self._decimal('f.value')}, f.id, "
            f"{self._text('l.taken_at')}, {self._decimal('l.value')}, l.id "
            f"FROM {CHAINS_TABLE} c "
            f"JOIN {Meter._meta.db_table} m ON m.supply_point_id = c.supply_point_id "
            f"JOIN {Register._meta.db_table} g ON g.meter_id = m.id AND g.obis = c.obis "
            f"LEFT JOIN {reads} p ON p.id = ({last_counted}) "
            f"LEFT JOIN {reads} f ON f.id = ({history.format(order='ASC')}) "
            f"LEFT JOIN {reads} l ON l.id = ({history.format(order='DESC')}) "
            "WHERE c.chain BETWEEN %s AND %s",
            [*COUNTED_QUALITIES, ESTIMATED, VALID, ESTIMATED, VALID, ESTIMATED, first, last],
        )
        registers: dict[int, dict[int, _Register]] = {}
        previous: dict[int, tuple[dt.datetime, Decimal, int, int]] = {}
        for row in self.cursor.fetchall():
            chain, register_id, meter_id, digits, serial, installed_on, removed_on = row[:7]
            p_at, p_value, p_id, f_at, f_value, f_id, l_at, l_value, l_id = row[7:]
            register = _Register(
                id=register_id,
                meter_id=meter_id,
                serial=serial,
                digits=digits,
                installed_from=_start_of_day(_date_in(installed_on)),
                removed_until=_start_of_day(_date_in(removed_on) + dt.timedelta(days=1)) if removed_on else None,
            )
            if f_id is not None:
                register.first = (self._moment_in(f_at), _decimal_in(f_value))
                register.last = (self._moment_in(l_at), _decimal_in(l_value))
                register.reads = 1 if f_id == l_id else 2
                # At most one rollover a year: a last value below the first means one.
                register.wraps = 1 if register.last[1] < register.first[1] else 0
            registers.setdefault(chain, {})[register_id] = register
            if p_id is not None:
                candidate = (self._moment_in(p_at), _decimal_in(p_value), meter_id, p_id)
                known = previous.get(chain)
                if known is None or (candidate[0], candidate[3]) > (known[0], known[3]):
                    previous[chain] = candidate
        self.cursor.execute(
            f"SELECT c.chain, s.utility, a.id, a.start_date, a.end_date, "  # noqa: S608
            f"{self._decimal('a.expected_annual_consumption')} "
            f"FROM {CHAINS_TABLE} c JOIN {SupplyPoint._meta.db_table} s ON s.id = c.supply_point_id "
            f"LEFT JOIN {ServiceAgreement._meta.db_table} a ON a.supply_point_id = c.supply_point_id "
            "AND a.status IN (%s, %s) WHERE c.chain BETWEEN %s AND %s",
            [*SUPPLYING_STATES, first, last],
        )
        agreements: dict[int, list[tuple]] = {}
        utilities: dict[int, str] = {}
        for chain, utility, agreement_id, start_date, end_date, annual in self.cursor.fetchall():
            utilities[chain] = utility
            found = agreements.setdefault(chain, [])
            if agreement_id is not None:
                found.append((_date_in(start_date), agreement_id, _date_in(end_date) if end_date else None, annual))
        chains = {}
        for chain, utility in utilities.items():
            # The newest agreement first, as the single read looks them up.
            ordered = sorted(agreements[chain], key=lambda item: (item[0], item[1]), reverse=True)
            chains[chain] = _Chain(
                utility=utility,
                agreements=[
                    _Agreement(
                        supplies_from=_start_of_day(start_date),
                        supplies_until=_start_of_day(end_date + dt.timedelta(days=1)) if end_date else None,
                        annual=_decimal_in(annual) if annual is not None else None,
                    )
                    for start_date, _id, end_date, annual in ordered
                ],
                registers=registers.get(chain, {}),
                previous=previous.get(chain),
            )
        return chains

    def _text(self, column: str) -> str:
        return f"{column}::text" if self.postgres else column

    def _decimal(self, column: str) -> str:
        """SQLite keeps decimals as numbers; as text they convert exactly."""
        return column if self.postgres else f"CAST({column} AS TEXT)"


# --- helpers -------------------------------------------------------------------------


@contextmanager
def _reads_stream(*, columns: str, line_end: str) -> Iterator[Any]:
    """A COPY into the reads table on a connection of its own, committed when
    the block ends without an error (PostgreSQL). Writes are queued to a
    thread, so the database stores the rows while the caller goes on."""
    database = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        database.set_autocommit(False)
        with database.wrap_database_errors, database.connection.cursor() as cursor:
            # Foreign keys checked while the rows arrive instead of all at the commit: faster.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            with cursor.copy(
                f"COPY {Read._meta.db_table} ({columns}) FROM STDIN", writer=QueuedLibpqWriter(cursor)
            ) as copy:
                yield copy
            database.commit()
    finally:
        database.close()


@lru_cache(maxsize=4096)
def _profile_share(start_at: dt.datetime, end_at: dt.datetime) -> Decimal:
    """The standard load profile's share of a year between two moments (the
    profile is linear in the yearly consumption)."""
    return profile_use_between(annual=Decimal(1), start_at=start_at, end_at=end_at)


@lru_cache(maxsize=4096)
def _start_of_day(day: dt.date) -> dt.datetime:
    return clock.start_of_day(day)


def _moment_in(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _date_in(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _decimal_in(value: Decimal | str) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def _copy_text(text: str) -> str:
    """A text in PostgreSQL's COPY text format."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_literal(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return _copy_text(str(value))
