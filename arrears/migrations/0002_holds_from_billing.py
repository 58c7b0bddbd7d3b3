"""Dunning holds moved from billing to arrears: copy the rows (released ones
stay as history) before billing drops its table."""

from django.db import migrations


def copy_holds(apps, schema_editor):
    Old = apps.get_model("billing", "DunningHold")
    New = apps.get_model("arrears", "DunningHold")
    for hold in Old.objects.order_by("id").iterator():
        copy = New.objects.create(
            account_id=hold.account_id,
            invoice_id=hold.invoice_id,
            reason=hold.reason,
            source=hold.source,
            note=hold.note,
            released_at=hold.released_at,
        )
        New.objects.filter(pk=copy.pk).update(created_at=hold.created_at)


def copy_back(apps, schema_editor):
    Old = apps.get_model("billing", "DunningHold")
    New = apps.get_model("arrears", "DunningHold")
    Old.objects.bulk_create(
        [
            Old(
                account_id=hold.account_id,
                invoice_id=hold.invoice_id,
                reason=hold.reason if hold.reason in ("DISPUTE", "PAYMENT_PLAN", "AGENT", "DIRECT_DEBIT_RETURNED", "CHARGEBACK") else "AGENT",
                source=hold.source,
                note=hold.note,
                created_at=hold.created_at,
                released_at=hold.released_at,
            )
            for hold in New.objects.filter(entry__isnull=True).order_by("id")
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("arrears", "0001_initial"),
        ("billing", "0004_dunning_hold_invoice_optional"),
        ("payments", "0002_dunning_flags_to_billing_holds"),
    ]

    operations = [migrations.RunPython(copy_holds, copy_back)]
