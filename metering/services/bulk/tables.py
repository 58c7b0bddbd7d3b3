"""The import's temporary tables: the good rows, the chains and (SQLite) the
rows to store; and the moments, numbers and dates as the database gives and
takes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from meters.models import Meter, Read, Register
from meters.readings import HISTORY_DAYS

ROWS_TABLE = "read_import_rows"
CHAINS_TABLE = "read_import_chains"
NEW_TABLE = "read_import_new"
# The row's own columns of the reads table, in the order the spool writes them.
OWN_COLUMNS = ("register_id", "taken_at", "value", "source", "quality", "reason", "rollover")

# (number, chain, register id, moment, value, source) of a good row.
StagedRow = tuple[int, int, int, str, str, str]


class Tables:
    """The temporary tables on the import's cursor, the same on PostgreSQL and SQLite."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.postgres = connection.vendor == "postgresql"
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.stored_moments: dict[Any, dt.datetime] = {}

    def create(self) -> None:
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

    def drop(self) -> None:
        for table in (ROWS_TABLE, CHAINS_TABLE, NEW_TABLE):
            self.cursor.execute(f"DROP TABLE IF EXISTS {table}")

    def moment_out(self, moment: dt.datetime) -> str:
        if self.postgres:
            return moment.isoformat()
        return str(connection.ops.adapt_datetimefield_value(moment))

    def moment_in(self, value: Any) -> dt.datetime:
        """A moment from the database (text on PostgreSQL, which is faster than
        its datetime loader; SQLite gives UTC without zone, or text)."""
        moment = self.stored_moments.get(value)
        if moment is None:
            if len(self.stored_moments) >= 100_000:
                self.stored_moments.clear()
            moment = self.stored_moments[value] = moment_in(value)
        return moment

    def text(self, column: str) -> str:
        return f"{column}::text" if self.postgres else column

    def decimal(self, column: str) -> str:
        """SQLite keeps decimals as numbers; as text they convert exactly."""
        return column if self.postgres else f"CAST({column} AS TEXT)"

    def rows_write(self, staged: list[StagedRow]) -> None:
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

    def chains_write(self, *, keys: list[tuple[int, str]], firsts: list[dt.datetime]) -> None:
        """The chains (supply point, register code) with their first row's
        moment and the start of their year of history; then the rows' index."""
        rows = []
        for chain, (supply_point_id, obis) in enumerate(keys):
            first = firsts[chain]
            window_from = first.astimezone(self.zone) - dt.timedelta(days=HISTORY_DAYS)
            rows.append((chain, supply_point_id, obis, self.moment_out(first), self.moment_out(window_from)))
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

    def rows_read(self, first: int, last: int) -> list[tuple[int, int, int, Any, str, str]]:
        """The chains' rows in time order; moments and values as text."""
        moment, value = ("taken_at::text", "value::text") if self.postgres else ("taken_at", "value")
        self.cursor.execute(
            f"SELECT line, chain, register_id, {moment}, {value}, source FROM {ROWS_TABLE} "  # noqa: S608
            "WHERE chain BETWEEN %s AND %s ORDER BY chain, taken_at, line",
            [first, last],
        )
        return self.cursor.fetchall()

    def stored_read(self, first: int, last: int) -> list[tuple]:
        """The stored reads of the chains' registers from each chain's first
        row on: (chain, taken_at, id, register id, source, value, quality)."""
        self.cursor.execute(
            f"SELECT c.chain, {self.text('r.taken_at')}, r.id, r.register_id, r.source, "  # noqa: S608
            f"{self.decimal('r.value')}, r.quality FROM {CHAINS_TABLE} c "
            f"JOIN {Meter._meta.db_table} m ON m.supply_point_id = c.supply_point_id "
            f"JOIN {Register._meta.db_table} g ON g.meter_id = m.id AND g.obis = c.obis "
            f"JOIN {Read._meta.db_table} r ON r.register_id = g.id AND r.taken_at >= c.from_at "
            "WHERE c.chain BETWEEN %s AND %s ORDER BY c.chain, r.taken_at, r.id",
            [first, last],
        )
        return [
            (chain, self.moment_in(taken_at), read_id, register, source, decimal_in(value), quality)
            for chain, taken_at, read_id, register, source, value, quality in self.cursor.fetchall()
        ]


def moment_in(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def date_in(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def decimal_in(value: Decimal | str) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)
