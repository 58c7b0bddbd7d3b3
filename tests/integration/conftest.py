"""Integration tests run against real services, set through the environment as in
production (DATABASE_URL=postgres://…, CELERY_BROKER_URL=redis://…); `.ci/run`
starts them. Without those services (a laptop with the embedded default) each
test skips with the reason.

Under pytest-xdist each worker has a test database of its own (test_test_gw0,
…): `connection.settings_dict["NAME"]` is that one, and the bill-run test hands
it to its Celery worker process in DATABASE_URL. Queues are named per test, so
workers on the same Redis never take each other's tasks."""

import pytest
from django.conf import settings
from django.db import connection


@pytest.fixture
def redis_broker():
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        pytest.skip(f"needs a Redis broker: CELERY_BROKER_URL is {settings.CELERY_BROKER_URL!r}, not redis://…")
    return settings.CELERY_BROKER_URL


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL: DATABASE_URL gives {connection.vendor}, not postgres://…")
    return connection
