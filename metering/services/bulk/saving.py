"""Step 3, saving: the rows to keep wait in a spool (COPY text in a temporary
file, PostgreSQL) or a temporary table (SQLite) and go into the reads table
in one COPY or one INSERT ... SELECT ... ON CONFLICT DO NOTHING; see the
package's description."""

from __future__ import annotations

import datetime as dt
from array import array
from typing import Any

from django.db import IntegrityError, connection, transaction

from metering.services.bulk.tables import NEW_TABLE, OWN_COLUMNS, Tables
from meters.models import Read

# (number, register id, moment, value, source, quality, reason, rollover) of a row to store.
KeptRow = tuple[int, int, str, str, str, str, str, bool]


class ReadsSaver:
    def __init__(self, *, tables: Tables, spool: Any, now: dt.datetime) -> None:
        self.tables = tables
        self.cursor = tables.cursor
        # The rows to store: COPY text in a file and their numbers (PostgreSQL).
        self.spool = spool
        self.spooled = array("q")
        # A COPY on a second connection that stores the rows while the next ones are checked, when streaming.
        self.stream: Any = None
        self.other_columns = _other_columns(now)
        self.copy_columns = ", ".join([*OWN_COLUMNS, *(column for column, _value in self.other_columns)])
        # The other columns' values: the spool's lines end in them for the reads table.
        self.line_end = "".join("\t" + _copy_literal(value) for _column, value in self.other_columns) + "\n"

    def keep(self, kept: list[KeptRow]) -> None:
        """Hold the rows to store until the end, in the spool (PostgreSQL) or a
        table (SQLite); when streaming, hand them to the second connection too."""
        if self.tables.postgres:
            self.spooled.extend(row[0] for row in kept)
            data = "".join(
                f"{register}\t{moment}\t{value}\t{source}\t{quality}\t{_copy_text(reason) if reason else ''}\t"
                f"{'t' if rollover else 'f'}\n"
                for _line, register, moment, value, source, quality, reason, rollover in kept
            )
            self.spool.write(data)
            if self.stream is not None:
                self.stream.write(data.replace("\n", self.line_end))
        else:
            self.cursor.executemany(
                f"INSERT INTO {NEW_TABLE} (line, {', '.join(OWN_COLUMNS)}) "  # noqa: S608 - our own tables
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                kept,
            )

    def save_postgresql(self) -> list[tuple[int, str]]:
        """One COPY into the reads table, or the insert that skips rows stored meanwhile."""
        try:
            with transaction.atomic():
                self._copy_into_reads()
        except IntegrityError:
            return self.insert_remaining()
        return []

    def _copy_into_reads(self) -> None:
        self.spool.seek(0)
        with (
            connection.wrap_database_errors,
            self.cursor.cursor.copy(f"COPY {Read._meta.db_table} ({self.copy_columns}) FROM STDIN") as copy,
        ):
            while data := self.spool.read(1 << 20):
                copy.write(data.replace("\n", self.line_end))

    def insert_remaining(self) -> list[tuple[int, str]]:
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
        if self.tables.postgres:
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


def _other_columns(now: dt.datetime) -> list[tuple[str, Any]]:
    """The reads table's other columns with the value a new row gets (so
    that a field added later with a default needs no change here)."""
    other = []
    for model_field in Read._meta.concrete_fields:
        if model_field.primary_key or model_field.column in OWN_COLUMNS:
            continue
        default = now if model_field.attname == "created_at" else model_field.get_default()
        other.append((model_field.column, model_field.get_db_prep_save(default, connection)))
    return other


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
