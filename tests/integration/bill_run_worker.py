"""A real Celery worker for the bill run integration test, in a process of
its own so that the test can kill it (SIGKILL) in the middle of a chunk.

`python -m tests.integration.bill_run_worker` with DATABASE_URL and
CELERY_BROKER_URL set; BILL_RUN_TEST_QUEUE names the only queue it consumes.
With BILL_RUN_TEST_HANG_ON_CALL=N the worker hangs inside its N-th billing
transaction, after the bills are written and before the commit, and writes
its process id to BILL_RUN_TEST_MARKER: the moment the test kills it.
BILL_RUN_TEST_ITEMS_PER_TRANSACTION makes a chunk take several transactions.
"""

import os
import time
from pathlib import Path

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from billing.services import invoicing, runs
    from portal.celery import app

    hang_on = int(os.environ.get("BILL_RUN_TEST_HANG_ON_CALL", "0"))
    if hang_on:
        real_bills_make = invoicing.bills_make
        calls = []

        def hanging_bills_make(**kwargs):
            outcomes = real_bills_make(**kwargs)
            calls.append(kwargs["account_ids"])
            if len(calls) == hang_on:
                Path(os.environ["BILL_RUN_TEST_MARKER"]).write_text(str(os.getpid()))
                time.sleep(600)
            return outcomes

        invoicing.bills_make = hanging_bills_make
    runs.ITEMS_PER_TRANSACTION = int(os.environ.get("BILL_RUN_TEST_ITEMS_PER_TRANSACTION", runs.ITEMS_PER_TRANSACTION))
    queue = os.environ["BILL_RUN_TEST_QUEUE"]
    app.conf.task_default_queue = queue
    app.conf.worker_enable_remote_control = False  # no pidbox queue left on Redis
    app.worker_main(
        [
            "worker",
            "--pool=solo",
            f"--queues={queue}",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ]
    )


if __name__ == "__main__":
    main()
