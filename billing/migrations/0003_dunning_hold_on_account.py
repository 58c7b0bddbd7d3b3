"""Dunning holds on an account as well as on an invoice, step 1: every hold
gets its account (an invoice's hold takes the invoice's account). Step 2
(0004) makes the account required and the invoice optional; two migrations so
that PostgreSQL alters the table in a transaction without pending updates."""

import django.db.models.deletion
from django.db import migrations, models


def accounts_fill(apps, schema_editor):
    DunningHold = apps.get_model("billing", "DunningHold")
    for hold in DunningHold.objects.select_related("invoice").filter(account__isnull=True):
        hold.account_id = hold.invoice.account_id
        hold.save(update_fields=["account"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("billing", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="dunninghold",
            name="account",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="dunning_holds",
                to="accounts.account",
                verbose_name="account",
            ),
        ),
        migrations.RunPython(accounts_fill, migrations.RunPython.noop),
    ]
