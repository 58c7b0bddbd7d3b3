"""Checking and storing meter reads in bulk, for metering.services.imports (the CSV
command, the back-office upload and the API).

Every row is judged like a single read (metering.services.intake), by the same
rules (meters.readings: read_place_problem, read_check, later_read_problem,
duplicate_problem), in time order per register code at a supply point
("chain": the registers of that code on the supply point's meters, old and
new), so the previous read may be an earlier row of the same delivery:

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

The package: rows (the rows as delivered and what became of them), parsing
(step 1), tables (the temporary tables), chains and checking (step 2),
saving (step 3); this module runs the steps.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from psycopg.copy import QueuedLibpqWriter

from metering.services.bulk.checking import Checker
from metering.services.bulk.parsing import RowReader
from metering.services.bulk.rows import (
    COLUMNS,
    SOURCES,
    Progress,
    ReadCounts,
    ReadImportResult,
    ReadRow,
    RejectedRow,
    Tally,
)
from metering.services.bulk.saving import ReadsSaver
from metering.services.bulk.tables import Tables
from meters.models import Read

__all__ = [
    "COLUMNS",
    "SOURCES",
    "Progress",
    "ReadCounts",
    "ReadImportResult",
    "ReadRow",
    "RejectedRow",
    "reads_check_and_store",
]

# Rows parsed per batch (one register look-up each), and checked per chunk
# (a few set-based queries each; larger chunks mean fewer scans).
BATCH_ROWS = 20_000
CHUNK_ROWS = 100_000
# From this many rows on, a second connection stores them while they are checked (PostgreSQL).
STREAM_FROM_ROWS = 50_000


def reads_check_and_store(
    *, rows: Iterable[ReadRow], now: dt.datetime, progress: Progress | None = None, keep_items: bool = False
) -> ReadImportResult:
    """Judge and store the rows (see the module's rules). `keep_items` keeps
    every row's status and reason in the result."""
    tally = Tally(progress=progress, items={} if keep_items else None)
    # Outside a transaction of the caller's, the whole save is this import's own.
    own_transaction = not connection.in_atomic_block
    with connection.cursor() as cursor, tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        tables = Tables(cursor)
        tables.drop()
        tables.create()
        try:
            _BulkReads(tables=tables, spool=spool, now=now, tally=tally, own_transaction=own_transaction).run(rows)
        finally:
            tables.drop()
    return tally.result()


class _BulkReads:
    """One delivery through the three steps, on the import's temporary tables."""

    def __init__(self, *, tables: Tables, spool: Any, now: dt.datetime, tally: Tally, own_transaction: bool) -> None:
        self.tables = tables
        self.tally = tally
        self.own_transaction = own_transaction
        self.reader = RowReader(tables=tables, tally=tally)
        self.saver = ReadsSaver(tables=tables, spool=spool, now=now)
        self.checker = Checker(now=now, tables=tables, obis_of=self.reader.obis_of, tally=tally, keep=self.saver.keep)

    def run(self, rows: Iterable[ReadRow]) -> None:
        batch: list[ReadRow] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                self.reader.stage(batch)
                batch = []
        self.reader.stage(batch)
        self.tables.chains_write(keys=self.reader.chain_keys, firsts=self.reader.chain_first)
        self.tally.lost(self._check_and_save())

    def _check_and_save(self) -> list[tuple[int, str]]:
        """Check every chunk and store the rows to keep; return (number,
        quality) of those another writer stored since they were checked.

        Large deliveries on PostgreSQL, outside a transaction of the
        caller's, are stored over a second connection while the next chunks
        are checked, so that the database writes while Python checks. A COPY
        fails as a whole when another writer stored one of the rows
        meanwhile; then the rows are inserted again, skipping those."""
        postgres = self.tables.postgres
        if not (postgres and self.own_transaction and sum(self.reader.chain_rows) >= STREAM_FROM_ROWS):
            self._check_all()
            if postgres:
                return self.saver.save_postgresql()
            with transaction.atomic():
                return self.saver.insert_remaining()
        try:
            with _reads_stream(columns=self.saver.copy_columns, line_end=self.saver.line_end) as stream:
                self.saver.stream = stream
                self._check_all()
        except IntegrityError:
            return self.saver.insert_remaining()
        return []

    def _check_all(self) -> None:
        for first, last in self._chunks():
            self.checker.check(first, last)
        self.tally.report("saving")

    def _chunks(self) -> Iterator[tuple[int, int]]:
        """Consecutive chains of about CHUNK_ROWS rows."""
        chain_rows = self.reader.chain_rows
        first, rows = 0, 0
        for chain, count in enumerate(chain_rows):
            rows += count
            if rows >= CHUNK_ROWS:
                yield first, chain
                first, rows = chain + 1, 0
        if first < len(chain_rows):
            yield first, len(chain_rows) - 1


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
