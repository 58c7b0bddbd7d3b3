"""What every bench shares: its context (scale, seed), the scratch database
it runs in, the outbox without deliveries, and the physical baseline (the
same rows written again into scratch tables, COPY on PostgreSQL and
executemany on SQLite, timed alone)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from django.conf import settings
from django.db import connection, models, transaction

from core.communications import deliver_message

SCRATCH_PREFIX = "bench_copy_"


@dataclass(frozen=True)
class BenchContext:
    scale: float
    seed: int

    def count(self, default: int) -> int:
        return max(1, round(default * self.scale))


# --- scratch database ------------------------------------------------------


@contextmanager
def scratch_database() -> Iterator[None]:
    """Create a migrated, empty database beside the configured one; drop it after."""
    settings_dict = connection.settings_dict
    test_settings = settings_dict.setdefault("TEST", {})
    previous_test_name = test_settings.get("NAME")
    if connection.vendor == "sqlite":
        test_settings["NAME"] = str(settings.VAR_DIR / "bench.sqlite3")
    else:
        test_settings["NAME"] = f"bench_{settings_dict['NAME']}"
    old_name = settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        test_settings["NAME"] = previous_test_name


@contextmanager
def deliveries_switched_off() -> Iterator[list[Any]]:
    """Messages are rendered and recorded in the outbox as always, but the
    Celery delivery task is not queued: a bench sends no e-mail."""
    held: list[Any] = []
    with mock.patch.object(deliver_message, "delay", side_effect=lambda *args, **kwargs: held.append(args)):
        yield held


# --- physical baseline -----------------------------------------------------


def copy_baseline(tables: list[str]) -> tuple[int, float]:
    """Write every row of `tables` again into scratch tables of the same shape
    (columns, defaults, indexes, unique constraints) and time only that write,
    committed. Returns (rows, seconds). The scratch tables are dropped."""
    scratch = [SCRATCH_PREFIX + table for table in tables]
    try:
        if connection.vendor == "postgresql":
            return _copy_postgresql(tables, scratch)
        return _copy_executemany(tables, scratch)
    finally:
        with connection.cursor() as cursor:
            for name in scratch:
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(name)}")


def _copy_postgresql(tables: list[str], scratch: list[str]) -> tuple[int, float]:
    quote = connection.ops.quote_name
    payloads: list[bytes] = []
    rows = 0
    with connection.cursor() as cursor:
        for table, name in zip(tables, scratch, strict=True):
            cursor.execute(f"CREATE TABLE {quote(name)} (LIKE {quote(table)} INCLUDING ALL)")
            buffer = bytearray()
            with cursor.cursor.copy(f"COPY {quote(table)} TO STDOUT") as copy:
                for chunk in copy:
                    buffer += chunk
            payloads.append(bytes(buffer))
            cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608 - our own table names
            rows += cursor.fetchone()[0]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for name, payload in zip(scratch, payloads, strict=True):
            with cursor.cursor.copy(f"COPY {quote(name)} FROM STDIN") as copy:
                copy.write(payload)
    return rows, time.perf_counter() - started


def _copy_executemany(tables: list[str], scratch: list[str]) -> tuple[int, float]:
    quote = connection.ops.quote_name
    batches: list[tuple[str, list[tuple]]] = []
    rows = 0
    with connection.cursor() as cursor:
        for table, name in zip(tables, scratch, strict=True):
            for statement in _sqlite_schema_for(cursor, table, name):
                cursor.execute(statement)
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - our own table names
            data = [tuple(row) for row in cursor.fetchall()]
            columns = len(cursor.description)
            insert = f"INSERT INTO {quote(name)} VALUES ({', '.join(['%s'] * columns)})"  # noqa: S608
            batches.append((insert, data))
            rows += len(data)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for insert, data in batches:
            if data:
                cursor.executemany(insert, data)
    return rows, time.perf_counter() - started


def _sqlite_schema_for(cursor: Any, table: str, name: str) -> list[str]:
    """The CREATE TABLE and CREATE INDEX statements of `table`, renamed for `name`."""
    cursor.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL", [table])
    statements = []
    for kind, object_name, sql in cursor.fetchall():
        sql = sql.replace(f'"{table}"', f'"{name}"')
        if kind == "index":
            sql = sql.replace(f'"{object_name}"', f'"{SCRATCH_PREFIX}{object_name}"', 1)
        statements.append(sql)
    # The table first, its indexes after.
    return sorted(statements, key=lambda sql: not re.match(r"\s*CREATE TABLE", sql, re.IGNORECASE))


def tables_of(*model_classes: type[models.Model]) -> list[str]:
    return [model._meta.db_table for model in model_classes]


def copy_rows_baseline(*, table: str, where: str, params: list[Any]) -> tuple[int, float]:
    """Write the rows of `table` that `where` selects again into a scratch
    table of the same shape and time only that write, committed. Returns
    (rows, seconds); the scratch table is dropped."""
    quote = connection.ops.quote_name
    name = SCRATCH_PREFIX + table
    select = f"SELECT * FROM {quote(table)} WHERE {where}"  # noqa: S608 - our own table and condition
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"CREATE TABLE {quote(name)} (LIKE {quote(table)} INCLUDING ALL)")
                buffer = bytearray()
                with cursor.cursor.copy(f"COPY ({select}) TO STDOUT", params) as copy:
                    for chunk in copy:
                        buffer += chunk
                cursor.execute(f"SELECT count(*) FROM ({select}) AS selected", params)  # noqa: S608
                (rows,) = cursor.fetchone()
                started = time.perf_counter()
                with transaction.atomic(), connection.cursor() as writer:
                    with writer.cursor.copy(f"COPY {quote(name)} FROM STDIN") as copy:
                        copy.write(bytes(buffer))
                return rows, time.perf_counter() - started
            for statement in _sqlite_schema_for(cursor, table, name):
                cursor.execute(statement)
            cursor.execute(select, params)
            data = [tuple(row) for row in cursor.fetchall()]
            insert = f"INSERT INTO {quote(name)} VALUES ({', '.join(['%s'] * len(cursor.description))})"  # noqa: S608
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as writer:
                writer.executemany(insert, data)
            return len(data), time.perf_counter() - started
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {quote(name)}")
