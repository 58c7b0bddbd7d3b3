"""Benchmarks for `manage.py bench` (`make bench`), one module a bench, all
registered in BENCHES.

Each bench builds its own data (seeded, repeatable), times the real code path
and, in the same run, the physical baseline: the same rows written straight
into scratch tables (COPY on PostgreSQL, executemany on SQLite). Each prints
one JSON object per figure.

Benches run in a scratch database made next to the configured one (as the
test runner does: `bench_<name>` on PostgreSQL, var/bench.sqlite3 on SQLite)
and dropped afterwards, so every write is committed as in production and the
real database is never touched: no rows, no used-up account numbers.
"""

from collections.abc import Callable
from typing import Any

from portal.bench.base import BenchContext
from portal.bench.bill_run import bench_bill_run
from portal.bench.consumption_page import bench_consumption_page
from portal.bench.import_reads import bench_import_reads
from portal.bench.onboarding import bench_onboarding

BENCHES: dict[str, Callable[[BenchContext], list[dict[str, Any]]]] = {
    "onboarding": bench_onboarding,
    "import_reads": bench_import_reads,
    "consumption_page": bench_consumption_page,
    "bill_run": bench_bill_run,
}
