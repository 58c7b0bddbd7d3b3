"""The account dunning flags become billing's account holds (one model for
dunning stops, owned by billing): each flag is copied as a hold without an
invoice, its `cleared_at` as `released_at`, then the flag table goes."""

from django.db import migrations


def flags_copy(apps, schema_editor):
    AccountDunningFlag = apps.get_model("payments", "AccountDunningFlag")
    DunningHold = apps.get_model("billing", "DunningHold")
    for flag in AccountDunningFlag.objects.order_by("id"):
        hold, _created = DunningHold.objects.get_or_create(
            account_id=flag.account_id,
            invoice=None,
            source=flag.source,
            defaults={"reason": flag.reason, "note": flag.note, "released_at": flag.cleared_at},
        )
        DunningHold.objects.filter(pk=hold.pk).update(created_at=flag.created_at)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_dunning_hold_invoice_optional"),
        ("payments", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(flags_copy, migrations.RunPython.noop),
        migrations.DeleteModel(name="AccountDunningFlag"),
    ]
