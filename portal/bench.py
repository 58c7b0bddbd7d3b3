"""Benchmarks for `manage.py bench` (`make bench`).

Each bench builds its own data (seeded, repeatable), times the real code path
and, in the same run, the physical baseline: the same rows written straight
into scratch tables (COPY on PostgreSQL, executemany on SQLite). Each prints
one JSON object per figure.

Benches run in a scratch database made next to the configured one (as the
test runner does: `bench_<name>` on PostgreSQL, var/bench.sqlite3 on SQLite)
and dropped afterwards, so every write is committed as in production and the
real database is never touched: no rows, no used-up account numbers.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from schwifty import IBAN

from accounts.models import Account, Customer, CustomerType, PaymentMethod, SepaMandate
from accounts.services import OnboardingData, customer_onboard
from accounts.validation import BankAccount, check_iban
from core import clock
from core.models import OutboxMessage
from metering.services.imports import reads_import_csv
from meters.identifiers import market_location_check_digit
from meters.models import Meter, Premise, Read, Register, SupplyPoint, Unit, Utility
from meters.profiles import profile_use
from portal.bench_billing import bench_bill_run
from supply.models import ServiceAgreement, Tariff

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
    from core.tasks import deliver_message

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


# --- onboarding --------------------------------------------------------------

FIRST_NAMES = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Jonas", "Lena", "Max", "Mia"]
LAST_NAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann"]
STREETS = ["Hauptstraße", "Schulstraße", "Gartenweg", "Bahnhofstraße", "Lindenallee", "Am Markt", "Kirchgasse"]
CITIES = [("10969", "Berlin"), ("80336", "München"), ("50667", "Köln"), ("20457", "Hamburg"), ("04109", "Leipzig")]
BANK_CODES = ["37040044", "10070000", "12030000", "50010517", "20041111", "70150000", "43060967", "76026000"]


def bank_accounts(rng: random.Random, count: int) -> list[BankAccount]:
    """`count` distinct German bank accounts that pass the portal's own IBAN check."""
    found: dict[str, BankAccount] = {}
    for _attempt in range(count * 200):
        if len(found) == count:
            break
        iban = IBAN.generate("DE", bank_code=rng.choice(BANK_CODES), account_code=f"{rng.randrange(10**10):010d}")
        try:
            account = check_iban(str(iban))
        except ValidationError:  # not every account number passes its bank's check-digit rule
            continue
        found[account.iban] = account
    if len(found) < count:
        raise RuntimeError("could not generate enough valid IBANs")
    return list(found.values())


def onboarding_data(count: int, seed: int) -> list[OnboardingData]:
    """`count` valid, distinct onboardings: 80% direct debit, 10% businesses, 30% English."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
    banks = bank_accounts(rng, 64)
    signed = dt.date(2026, 1, 2)
    result = []
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        business = rng.random() < 0.1
        sepa = rng.random() < 0.8
        bank = rng.choice(banks)
        postcode, city = rng.choice(CITIES)
        result.append(
            OnboardingData(
                customer_type=CustomerType.BUSINESS if business else CustomerType.HOUSEHOLD,
                first_name=first,
                last_name=last,
                company_name=f"{last} Bau GmbH" if business else "",
                vat_id=f"DE{rng.randrange(10**8, 10**9)}" if business else "",
                language="en" if rng.random() < 0.3 else "de",
                street=rng.choice(STREETS),
                house_number=str(rng.randint(1, 200)),
                address_extra="",
                postcode=postcode,
                city=city,
                country="DE",
                email=f"bench.{seed}.{index:07d}@example.com",
                phone=f"+4930{rng.randrange(10**6, 10**8)}",
                payment_method=PaymentMethod.SEPA if sepa else PaymentMethod.TRANSFER,
                account_holder=f"{first} {last}" if sepa else "",
                iban=bank.iban if sepa else "",
                bic=bank.bic if sepa else "",
                bank_name=bank.bank_name if sepa else "",
                mandate_reference=f"BENCH-{seed}-{index:07d}" if sepa else "",
                mandate_signed_date=signed,
            )
        )
    return result


def bench_onboarding(ctx: BenchContext) -> list[dict[str, Any]]:
    """Customers onboarded one by one through the service, each in its own
    committed transaction, as the wizard, the staff screen, the API and the
    CSV import do it."""
    customers = ctx.count(2000)
    data = onboarding_data(customers, ctx.seed)
    with deliveries_switched_off() as held:
        started = time.perf_counter()
        for item in data:
            customer_onboard(data=item)
        seconds = time.perf_counter() - started
    written = tables_of(
        Customer,
        Customer.history.model,
        Account,
        Account.history.model,
        SepaMandate,
        SepaMandate.history.model,
        OutboxMessage,
    )
    rows, copy_seconds = copy_baseline(written)
    return [
        {
            "bench": "onboarding",
            "database": connection.vendor,
            "customers": customers,
            "seconds": round(seconds, 3),
            "per_s": round(customers / seconds, 1),
            "rows": rows,
            "messages_recorded": OutboxMessage.objects.count(),
            "deliveries_suppressed": len(held),
            "copy_seconds": round(copy_seconds, 4),
            "copy_ratio": round(seconds / copy_seconds, 1) if copy_seconds else None,
        }
    ]


# --- import_reads ------------------------------------------------------------


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


READ_DAYS = 10
READ_OBIS = "1-0:1.8.0"


def read_bench_supplies(*, meters: int, seed: int, start_date: dt.date) -> list[tuple[str, Decimal, Decimal]]:
    """`meters` smart electricity meters, each at its own supply point with an
    ACTIVE agreement from `start_date` and its start read, written with bulk
    operations (setting up is not measured). Returns (serial, start value,
    expected yearly consumption) per meter."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
    customer = Customer.objects.create(
        customer_type=CustomerType.HOUSEHOLD,
        first_name="Bench",
        last_name="Reads",
        email=f"bench.reads.{seed}@example.com",
    )
    account = Account.objects.create(
        number=f"BENCH{seed:07d}"[:12],
        customer=customer,
        street="Hauptstraße",
        house_number="1",
        postcode="10969",
        city="Berlin",
        payment_method=PaymentMethod.TRANSFER,
    )
    tariff = Tariff.objects.create(
        code=f"BENCH-READS-{seed}",
        name_de="Strom Bench",
        name_en="Electricity bench",
        utility=Utility.ELECTRICITY,
        customer_type=CustomerType.HOUSEHOLD,
    )
    premise = Premise.objects.create(street="Hauptstraße", house_number="1", postcode="10969", city="Berlin")
    batch = 5000
    points = SupplyPoint.objects.bulk_create(
        [
            SupplyPoint(premise=premise, utility=Utility.ELECTRICITY, identifier=_market_location_id(index))
            for index in range(meters)
        ],
        batch_size=batch,
    )
    serials = [f"BENCH{seed:02d}{index:08d}" for index in range(meters)]
    meter_rows = Meter.objects.bulk_create(
        [
            Meter(supply_point=point, serial=serial, kind=Meter.Kind.SMART, installed_on=start_date)
            for point, serial in zip(points, serials, strict=True)
        ],
        batch_size=batch,
    )
    registers = Register.objects.bulk_create(
        [Register(meter=meter, obis=READ_OBIS, unit=Unit.KWH, digits=6) for meter in meter_rows], batch_size=batch
    )
    annuals = [Decimal(rng.randrange(1500, 6000)) for _index in range(meters)]
    starts = [Decimal(rng.randrange(1_000_000, 50_000_000)) / 1000 for _index in range(meters)]
    ServiceAgreement.objects.bulk_create(
        [
            ServiceAgreement(
                account=account,
                supply_point=point,
                tariff=tariff,
                status=ServiceAgreement.Status.ACTIVE,
                start_reason=ServiceAgreement.StartReason.MOVE_IN,
                start_date=start_date,
                expected_annual_consumption=annual,
            )
            for point, annual in zip(points, annuals, strict=True)
        ],
        batch_size=batch,
    )
    taken_at = clock.start_of_day(start_date)
    Read.objects.bulk_create(
        [
            Read(register=register, taken_at=taken_at, value=start, source=Read.Source.OPERATOR, reason="start")
            for register, start in zip(registers, starts, strict=True)
        ],
        batch_size=batch,
    )
    return list(zip(serials, starts, annuals, strict=True))


def _market_location_id(index: int) -> str:
    first_ten = f"5{index:09d}"
    return f"{first_ten}{market_location_check_digit(first_ten)}"


def read_bench_file(
    *, path: Path, supplies: list[tuple[str, Decimal, Decimal]], seed: int, start_date: dt.date, days: list[dt.date]
) -> int:
    """A smart meters' delivery: one read a meter a day at 00:00, day by day,
    the consumption following the standard load profile with some noise."""
    rng = random.Random(seed + 1)  # noqa: S311 - repeatable test data, not secrets
    share_until_first = profile_use(annual=Decimal(1), start=start_date, end=days[0])
    shares = [profile_use(annual=Decimal(1), start=day, end=day + dt.timedelta(days=1)) for day in days]
    values = []
    for _serial, start, annual in supplies:
        value = start + annual * share_until_first * Decimal(rng.uniform(0.95, 1.05))
        meter_values = [value]
        for share in shares[:-1]:
            value += annual * share * Decimal(rng.uniform(0.9, 1.1))
            meter_values.append(value)
        values.append(meter_values)
    places = Decimal("0.001")
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.write("meter_serial,obis,read_at,value,source\n")
        for index, day in enumerate(days):
            read_at = clock.start_of_day(day).isoformat()
            lines = [
                f"{serial},{READ_OBIS},{read_at},{meter_values[index].quantize(places)},smart\n"
                for (serial, _start, _annual), meter_values in zip(supplies, values, strict=True)
            ]
            stream.write("".join(lines))
            rows += len(lines)
    return rows


def bench_import_reads(ctx: BenchContext) -> list[dict[str, Any]]:
    """`manage.py import_reads` on a delivery of 10 smart meter reads for each
    of 100,000 meters (at scale 1), then the same rows COPYed into a copy of
    the reads table."""
    meters = ctx.count(100_000)
    today = clock.today()
    start_date = today - dt.timedelta(days=120)
    days = [today - dt.timedelta(days=READ_DAYS - offset) for offset in range(READ_DAYS)]
    supplies = read_bench_supplies(meters=meters, seed=ctx.seed, start_date=start_date)
    with tempfile.TemporaryDirectory(prefix="bench-reads-") as directory:
        path = Path(directory) / "reads.csv"
        reads = read_bench_file(path=path, supplies=supplies, seed=ctx.seed, start_date=start_date, days=days)
        started = time.perf_counter()
        result, _report = reads_import_csv(path=path, now=clock.now())
        seconds = time.perf_counter() - started
    rows, copy_seconds = copy_rows_baseline(table=Read._meta.db_table, where="source = %s", params=[Read.Source.SMART])
    counts = result.counts
    return [
        {
            "bench": "import_reads",
            "database": connection.vendor,
            "reads": reads,
            "meters": meters,
            "seconds": round(seconds, 3),
            "per_s": round(reads / seconds, 1),
            "accepted": counts.accepted,
            "suspect": counts.suspect,
            "rejected": counts.rejected,
            "duplicate": counts.duplicate,
            "copy_rows": rows,
            "copy_seconds": round(copy_seconds, 4),
            "copy_ratio": round(seconds / copy_seconds, 1) if copy_seconds else None,
        }
    ]


# --- consumption page ----------------------------------------------------------


CONSUMPTION_PAGE_REQUESTS = 50


def bench_consumption_page(ctx: BenchContext) -> list[dict[str, Any]]:
    """The customer's reads page (/reads/: chart of this year against last
    year, last reads, expected range) for one smart meter with a read every
    day for five years (at scale 1), requested through Django's test client
    with the whole middleware stack."""
    from django.contrib.auth import get_user_model
    from django.db.models import Max
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone

    days = ctx.count(1825)
    today = clock.today()
    start_date = today - dt.timedelta(days=days)
    ((serial, start, annual),) = read_bench_supplies(meters=1, seed=ctx.seed, start_date=start_date)
    register = Register.objects.get(meter__serial=serial)
    rng = random.Random(ctx.seed)  # noqa: S311 - repeatable test data, not secrets
    daily = annual / 365
    value, reads = start, []
    for offset in range(1, days + 1):
        value += (daily * Decimal(rng.uniform(0.8, 1.2))).quantize(Decimal("0.001"))
        taken_at = clock.start_of_day(start_date + dt.timedelta(days=offset))
        reads.append(Read(register=register, taken_at=taken_at, value=value, source=Read.Source.SMART))
    Read.objects.bulk_create(reads, batch_size=5000)
    customer = Customer.objects.get(accounts__agreements__supply_point__meters__serial=serial)
    customer.user = get_user_model().objects.create_user(username=customer.email, email=customer.email)
    customer.save(update_fields=["user"])

    client = Client(secure=True)
    client.force_login(customer.user)
    timings = []
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        for _warm_up in range(3):
            client.get("/reads/")
        queries: list[str] = []

        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get("/reads/")
        if response.status_code != 200:
            raise RuntimeError(f"/reads/ answered {response.status_code}")
        for _request in range(CONSUMPTION_PAGE_REQUESTS):
            started = time.perf_counter()
            client.get("/reads/")
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    stored = register.reads.count()
    latest = register.reads.aggregate(latest=Max("taken_at"))["latest"]
    return [
        {
            "bench": "consumption_page",
            "database": connection.vendor,
            "reads": stored,
            "latest_read": timezone.localtime(latest).date().isoformat() if latest else None,
            "requests": len(timings),
            "ms_p50": round(timings[len(timings) // 2], 2),
            "ms_p95": round(timings[min(len(timings) - 1, round(len(timings) * 0.95))], 2),
            "queries": len(queries),
        }
    ]


BENCHES: dict[str, Callable[[BenchContext], list[dict[str, Any]]]] = {
    "onboarding": bench_onboarding,
    "import_reads": bench_import_reads,
    "consumption_page": bench_consumption_page,
    "bill_run": bench_bill_run,
}
