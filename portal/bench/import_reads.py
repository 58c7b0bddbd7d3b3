"""The import_reads bench: a smart meters' delivery of reads through `manage.py import_reads`."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection

from accounts.models import Account, Customer, CustomerType, PaymentMethod
from core import clock
from metering.services.imports import reads_import_csv
from meters.identifiers import market_location_check_digit
from meters.models import Meter, Premise, Read, Register, SupplyPoint, Unit, Utility
from meters.profiles import profile_use
from portal.bench.base import BenchContext, copy_rows_baseline
from supply.models import ServiceAgreement, Tariff

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
