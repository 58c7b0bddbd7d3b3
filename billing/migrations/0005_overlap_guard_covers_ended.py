"""Ended agreements also hold their time on the supply point: a new agreement
may not reach back into a previous tenant's supply period."""

from django.db import migrations

STATES = "('REQUESTED', 'CONFIRMED', 'ACTIVE', 'ENDING', 'ENDED')"
OLD_STATES = "('REQUESTED', 'CONFIRMED', 'ACTIVE', 'ENDING')"


def _postgres(states: str) -> str:
    return f"""
ALTER TABLE billing_serviceagreement DROP CONSTRAINT IF EXISTS agreement_no_overlap_on_supply_point;
ALTER TABLE billing_serviceagreement ADD CONSTRAINT agreement_no_overlap_on_supply_point
    EXCLUDE USING gist (supply_point_id WITH =, daterange(start_date, end_date, '[]') WITH &&)
    WHERE (status IN {states});
"""


def _apply(states: str):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(_postgres(states))
        elif vendor == "sqlite":
            # Dropped here; billing's post_migrate handler creates them with the current rule.
            schema_editor.execute("DROP TRIGGER IF EXISTS agreement_no_overlap_insert;")
            schema_editor.execute("DROP TRIGGER IF EXISTS agreement_no_overlap_update;")

    return run


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_readimportjob")]

    operations = [migrations.RunPython(_apply(STATES), _apply(OLD_STATES))]
