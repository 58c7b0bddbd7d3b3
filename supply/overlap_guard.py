"""Keeps SQLite's overlap triggers in place.

Two agreements that supply (or supplied, or are about to supply) one supply
point may not overlap in time; only REJECTED and CANCELLED requests are
left out.

SQLite changes a table by rebuilding it, which drops its triggers; so after
every migrate the triggers that refuse overlapping live agreements on one
supply point are recreated when missing. (PostgreSQL keeps its exclusion
constraint through ALTER TABLE.)
"""

from django.db import connections

CHECK = """
WHEN NEW.status IN ('REQUESTED', 'CONFIRMED', 'ACTIVE', 'ENDING', 'ENDED')
BEGIN
    SELECT RAISE(ABORT, 'agreement_no_overlap_on_supply_point')
    WHERE EXISTS (
        SELECT 1 FROM supply_serviceagreement a
        WHERE a.supply_point_id = NEW.supply_point_id
          AND a.id IS NOT NEW.id
          AND a.status IN ('REQUESTED', 'CONFIRMED', 'ACTIVE', 'ENDING', 'ENDED')
          AND a.start_date <= COALESCE(NEW.end_date, '9999-12-31')
          AND COALESCE(a.end_date, '9999-12-31') >= NEW.start_date
    );
END;
"""
TRIGGERS = {
    "agreement_no_overlap_insert": "BEFORE INSERT",
    "agreement_no_overlap_update": "BEFORE UPDATE",
}


def ensure_overlap_guard(*, using: str = "default", **kwargs) -> None:
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        if "supply_serviceagreement" not in connection.introspection.table_names(cursor):
            return
        for name, timing in TRIGGERS.items():
            cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {timing} ON supply_serviceagreement {CHECK}")  # noqa: S608
