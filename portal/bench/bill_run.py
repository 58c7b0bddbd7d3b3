"""The bill run bench (`manage.py bench --only bill_run`).

Builds N accounts (100,000 at scale 1, seeded and repeatable) with an
active electricity agreement on one tariff whose prices change on
2025-07-01, and an annual read on 2025-01-01 and 2026-01-01; then bills
them with a real bill run (`billing.services.runs.bill_run_start`, one Celery task a
chunk) worked off by a Celery worker with two worker processes on the
configured broker and database, invoice delivery (PDFs) switched off. The
time runs from the start of the run (planning included) until it is
FINISHED. The baseline: the invoice, line and ledger rows the run wrote,
COPYed into scratch tables in the same database.

A second figure is the rate of rendering invoice PDFs (in this process, one
after the other), which the delivery tasks do apart from the run.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count

from accounts.models import Account, BillingPreferences, Customer, CustomerType, PaymentMethod
from billing.models import BillRun, Invoice, InvoiceLine, LedgerEntry
from core import clock
from meters.identifiers import market_location_check_digit
from meters.models import Meter, Premise, Read, Register, SupplyPoint, Unit, Utility
from portal.bench.base import BenchContext, copy_baseline, tables_of
from supply.models import ServiceAgreement, Tariff, TariffPrice, TariffVersion

YEAR_START = dt.date(2025, 1, 1)
PRICE_CHANGE = dt.date(2025, 7, 1)
YEAR_END_READ = dt.date(2026, 1, 1)
AS_OF = dt.date(2026, 1, 5)
OBIS = "1-0:1.8.0"
BATCH = 5000
WORKER_PROCESSES = 2
WORKER_START_TIMEOUT_S = 120
RUN_TIMEOUT_S = 3600
PDF_SAMPLE = 20


def billing_bench_accounts(*, count: int, seed: int) -> list[int]:
    """`count` household accounts, each with its own supply point, meter and
    ACTIVE agreement since 2025-01-01, annual billing without instalments,
    and reads on 2025-01-01 and 2026-01-01; written in bulk (not measured)."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
    tariff = Tariff.objects.create(
        code=f"BENCH-BILL-{seed}",
        name_de="Strom Bench",
        name_en="Electricity bench",
        utility=Utility.ELECTRICITY,
        customer_type=CustomerType.HOUSEHOLD,
    )
    for valid_from, standing, price in ((YEAR_START, "120.00", "0.300000"), (PRICE_CHANGE, "132.00", "0.320000")):
        version = TariffVersion.objects.create(
            tariff=tariff, valid_from=valid_from, standing_charge_per_year=Decimal(standing)
        )
        TariffPrice.objects.create(version=version, obis="*", unit_price=Decimal(price))
    premise = Premise.objects.create(street="Hauptstraße", house_number="1", postcode="10969", city="Berlin")
    customers = Customer.objects.bulk_create(
        (
            Customer(
                customer_type=CustomerType.HOUSEHOLD,
                first_name="Bench",
                last_name=f"Kunde {index}",
                email=f"bench.bill.{seed}.{index:07d}@example.com",
                language="de" if index % 3 else "en",
            )
            for index in range(count)
        ),
        batch_size=BATCH,
    )
    accounts = Account.objects.bulk_create(
        (
            Account(
                number=f"B{seed % 100:02d}{index:08d}",
                customer=customer,
                street="Hauptstraße",
                house_number=str(index % 200 + 1),
                postcode="10969",
                city="Berlin",
                payment_method=PaymentMethod.TRANSFER,
            )
            for index, customer in enumerate(customers)
        ),
        batch_size=BATCH,
    )
    BillingPreferences.objects.bulk_create(
        (BillingPreferences(account=account, frequency="ANNUAL", budget_billing=False) for account in accounts),
        batch_size=BATCH,
    )
    points = SupplyPoint.objects.bulk_create(
        (
            SupplyPoint(premise=premise, utility=Utility.ELECTRICITY, identifier=_market_location_id(seed, index))
            for index in range(count)
        ),
        batch_size=BATCH,
    )
    meters = Meter.objects.bulk_create(
        (
            Meter(supply_point=point, serial=f"BB{seed % 100:02d}{index:08d}", installed_on=YEAR_START)
            for index, point in enumerate(points)
        ),
        batch_size=BATCH,
    )
    registers = Register.objects.bulk_create(
        (Register(meter=meter, obis=OBIS, unit=Unit.KWH, digits=6) for meter in meters), batch_size=BATCH
    )
    annuals = [Decimal(rng.randrange(1500, 6000)) for _index in range(count)]
    ServiceAgreement.objects.bulk_create(
        (
            ServiceAgreement(
                account=account,
                supply_point=point,
                tariff=tariff,
                status=ServiceAgreement.Status.ACTIVE,
                start_reason=ServiceAgreement.StartReason.MOVE_IN,
                start_date=YEAR_START,
                expected_annual_consumption=annual,
            )
            for account, point, annual in zip(accounts, points, annuals, strict=True)
        ),
        batch_size=BATCH,
    )
    start_at, end_at = clock.start_of_day(YEAR_START), clock.start_of_day(YEAR_END_READ)
    reads = []
    for register, annual in zip(registers, annuals, strict=True):
        start = Decimal(rng.randrange(1_000_000, 50_000_000)) / 1000
        used = (annual * Decimal(rng.uniform(0.9, 1.1))).quantize(Decimal("0.001"))
        reads.append(Read(register=register, taken_at=start_at, value=start, source=Read.Source.OPERATOR))
        reads.append(Read(register=register, taken_at=end_at, value=start + used, source=Read.Source.CUSTOMER))
    Read.objects.bulk_create(reads, batch_size=BATCH)
    return [account.pk for account in accounts]


def _market_location_id(seed: int, index: int) -> str:
    first_ten = f"6{seed % 10}{index:08d}"
    return f"{first_ten}{market_location_check_digit(first_ten)}"


def _database_url() -> str:
    """The scratch database the bench runs in, for the worker processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


@contextmanager
def celery_worker(*, log: Path) -> Iterator[str]:
    """A Celery worker with two processes on a queue of its own (so that no
    other worker on the broker takes the bench's tasks), delivery off. Yields
    the queue; the bench's tasks go there while the context is open."""
    from portal.celery import app

    queue = f"bench-bill-run-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "BILLING_DELIVER_ON_ISSUE": "false",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--pool=prefork",
        f"--concurrency={WORKER_PROCESSES}",
        f"--queues={queue}",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
    ]
    previous = (app.conf.task_default_queue, app.conf.task_always_eager)
    with log.open("w") as output:
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and Celery
            command, cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        _wait_for(lambda: " ready." in log.read_text(), timeout=WORKER_START_TIMEOUT_S, what="the Celery worker")
        app.conf.task_default_queue, app.conf.task_always_eager = queue, False
        yield queue
    finally:
        app.conf.task_default_queue, app.conf.task_always_eager = previous
        worker.terminate()
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        if not settings.CELERY_BROKER_URL.startswith("filesystem://"):  # files are gone once consumed
            with app.connection_for_write() as broker:
                bound = app.amqp.queues[queue](broker.default_channel)
                bound.declare()  # the channel learns the queue's bindings, so that delete removes them
                bound.delete()


def _wait_for(predicate, *, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not get there within {timeout:.0f} s")
        time.sleep(interval)


def bench_bill_run(ctx: BenchContext) -> list[dict[str, Any]]:
    """A bill run of 100,000 accounts (at scale 1) by a worker with two processes."""
    from billing.documents.pdf import invoice_pdf_render
    from billing.services.runs import bill_run_start

    count = ctx.count(100_000)
    billing_bench_accounts(count=count, seed=ctx.seed)
    with tempfile.TemporaryDirectory(prefix="bench-bill-run-") as directory:
        log = Path(directory) / "worker.log"
        with celery_worker(log=log):
            started = time.perf_counter()
            run = bill_run_start(as_of=AS_OF)
            planned = time.perf_counter()
            _wait_for(
                lambda: BillRun.objects.filter(pk=run.pk).exclude(status=BillRun.Status.RUNNING).exists(),
                timeout=RUN_TIMEOUT_S,
                what="the bill run",
                interval=0.05,
            )
            seconds = time.perf_counter() - started
        run.refresh_from_db()
        if run.status != BillRun.Status.FINISHED:
            raise RuntimeError(f"the bill run ended {run.status}: {run.error}\n{log.read_text()[-4000:]}")
    statuses = dict(run.items.values_list("status").annotate(n=Count("id")).order_by())
    invoices = Invoice.objects.filter(bill_run=run).count()
    _rows, copy_seconds = copy_baseline(tables_of(Invoice, InvoiceLine, LedgerEntry))

    sample = list(Invoice.objects.filter(bill_run=run, status=Invoice.Status.ISSUED).order_by("pk")[:PDF_SAMPLE])
    invoice_pdf_render(invoice=sample[0])  # fonts and templates loaded once, as in a running worker
    pdf_started = time.perf_counter()
    for invoice in sample:
        invoice_pdf_render(invoice=invoice)
    pdf_seconds = time.perf_counter() - pdf_started
    return [
        {
            "bench": "bill_run",
            "database": connection.vendor,
            "accounts": count,
            "seconds": round(seconds, 3),
            "per_s": round(count / seconds, 1),
            "copy_seconds": round(copy_seconds, 4),
            "copy_ratio": round(seconds / copy_seconds, 1) if copy_seconds else None,
            "plan_seconds": round(planned - started, 3),
            "workers": WORKER_PROCESSES,
            "invoices": invoices,
            "items": statuses,
        },
        {
            "bench": "invoice_pdf",
            "invoices": len(sample),
            "seconds": round(pdf_seconds, 3),
            "per_s": round(len(sample) / pdf_seconds, 1),
        },
    ]
