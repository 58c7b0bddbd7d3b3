import pytest
from django.db import connection

from supply.overlap_guard import TRIGGERS, ensure_overlap_guard

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL guards overlaps with an exclusion constraint")
def test_the_sqlite_triggers_come_back_after_a_table_rebuild_dropped_them():
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")

    ensure_overlap_guard(using="default")

    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        assert set(TRIGGERS) <= {row[0] for row in cursor.fetchall()}
