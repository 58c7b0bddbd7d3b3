"""The causes of interruption every utility starts with; admins add more."""

from django.db import migrations

CAUSES = [
    ("GRID_FAULT", "Netzstörung", "Grid fault"),
    ("MAINTENANCE", "Wartungsarbeiten", "Maintenance"),
    ("WEATHER", "Unwetter", "Weather"),
    ("THIRD_PARTY_DAMAGE", "Beschädigung durch Dritte", "Third-party damage"),
    ("NON_PAYMENT", "Sperrung wegen Zahlungsrückstand", "Non-payment disconnection"),
    ("CUSTOMER_REQUEST", "Auf Wunsch des Kunden", "Customer request"),
    ("METER_EXCHANGE", "Zählerwechsel", "Meter exchange"),
    ("RECONNECTION", "Wiederinbetriebnahme", "Reconnection"),
]


def seed(apps, schema_editor):
    Cause = apps.get_model("outages", "Cause")
    for position, (code, name_de, name_en) in enumerate(CAUSES):
        Cause.objects.get_or_create(code=code, defaults={"name_de": name_de, "name_en": name_en, "position": position})


class Migration(migrations.Migration):
    dependencies = [("outages", "0001_interruptions_causes_notices_charges")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
