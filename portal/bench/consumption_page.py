"""The consumption_page bench: the customer's reads page over five years of daily reads."""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection

from accounts.models import Customer
from core import clock
from meters.models import Read, Register
from portal.bench.base import BenchContext
from portal.bench.import_reads import read_bench_supplies

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
