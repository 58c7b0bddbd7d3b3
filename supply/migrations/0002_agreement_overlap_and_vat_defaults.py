"""No two agreements (other than rejected or cancelled requests) may overlap on one supply point (enforced in the
database: an exclusion constraint on PostgreSQL, triggers on SQLite), and the
German VAT rates with their history."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

LIVE = "('REQUESTED', 'CONFIRMED', 'ACTIVE', 'ENDING', 'ENDED')"

POSTGRES_UP = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE supply_serviceagreement ADD CONSTRAINT agreement_no_overlap_on_supply_point
    EXCLUDE USING gist (supply_point_id WITH =, daterange(start_date, end_date, '[]') WITH &&)
    WHERE (status IN {LIVE});
"""
POSTGRES_DOWN = "ALTER TABLE supply_serviceagreement DROP CONSTRAINT agreement_no_overlap_on_supply_point;"

SQLITE_CHECK = f"""
WHEN NEW.status IN {LIVE}
BEGIN
    SELECT RAISE(ABORT, 'agreement_no_overlap_on_supply_point')
    WHERE EXISTS (
        SELECT 1 FROM supply_serviceagreement a
        WHERE a.supply_point_id = NEW.supply_point_id
          AND a.id IS NOT NEW.id
          AND a.status IN {LIVE}
          AND a.start_date <= COALESCE(NEW.end_date, '9999-12-31')
          AND COALESCE(a.end_date, '9999-12-31') >= NEW.start_date
    );
END;
"""
SQLITE_UP = [
    "CREATE TRIGGER agreement_no_overlap_insert BEFORE INSERT ON supply_serviceagreement " + SQLITE_CHECK,
    "CREATE TRIGGER agreement_no_overlap_update BEFORE UPDATE ON supply_serviceagreement " + SQLITE_CHECK,
]
SQLITE_DOWN = ["DROP TRIGGER agreement_no_overlap_insert;", "DROP TRIGGER agreement_no_overlap_update;"]


def add_overlap_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def remove_overlap_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


# German VAT (UStG §12): 19 % standard, 7 % for piped water; the temporary
# cut of 2020-07-01..2020-12-31 (16 % / 5 %); gas at 7 % 2022-10-01..2024-03-31.
VAT_DEFAULTS = {
    "ELECTRICITY": [("2007-01-01", "0.19"), ("2020-07-01", "0.16"), ("2021-01-01", "0.19")],
    "GAS": [
        ("2007-01-01", "0.19"),
        ("2020-07-01", "0.16"),
        ("2021-01-01", "0.19"),
        ("2022-10-01", "0.07"),
        ("2024-04-01", "0.19"),
    ],
    "WATER": [("2007-01-01", "0.07"), ("2020-07-01", "0.05"), ("2021-01-01", "0.07")],
    "INTERNET": [("2007-01-01", "0.19"), ("2020-07-01", "0.16"), ("2021-01-01", "0.19")],
}


def seed_vat(apps, schema_editor):
    vat_rate = apps.get_model("supply", "VatRate")
    for utility, rates in VAT_DEFAULTS.items():
        for valid_from, rate in rates:
            vat_rate.objects.get_or_create(
                utility=utility, valid_from=dt.date.fromisoformat(valid_from), defaults={"rate": Decimal(rate)}
            )


class Migration(migrations.Migration):
    dependencies = [("supply", "0001_initial")]

    operations = [
        migrations.RunPython(add_overlap_guard, remove_overlap_guard),
        migrations.RunPython(seed_vat, migrations.RunPython.noop),
    ]
