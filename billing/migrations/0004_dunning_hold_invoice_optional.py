"""Dunning holds on an account as well as on an invoice, step 2: the account
is required, the invoice optional, and an account's own hold exists once per
source."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_dunning_hold_on_account"),
    ]

    operations = [
        migrations.AlterField(
            model_name="dunninghold",
            name="account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="dunning_holds",
                to="accounts.account",
                verbose_name="account",
            ),
        ),
        migrations.AlterField(
            model_name="dunninghold",
            name="invoice",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="dunning_holds",
                to="billing.invoice",
                verbose_name="invoice",
            ),
        ),
        migrations.AlterField(
            model_name="dunninghold",
            name="reason",
            field=models.CharField(
                choices=[
                    ("DISPUTE", "billing dispute"),
                    ("PAYMENT_PLAN", "payment plan"),
                    ("AGENT", "set by an agent"),
                    ("DIRECT_DEBIT_RETURNED", "direct debit returned"),
                    ("CHARGEBACK", "card payment disputed"),
                ],
                max_length=30,
                verbose_name="reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="dunninghold",
            constraint=models.UniqueConstraint(
                condition=models.Q(("invoice__isnull", True)),
                fields=("account", "source"),
                name="one_account_hold_per_account_and_source",
            ),
        ),
    ]
