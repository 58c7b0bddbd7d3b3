"""The operations queue: customers' "no supply at my address" reports that
no known interruption explains are filed here as tickets."""

from django.db import migrations


def create(apps, schema_editor):
    Queue = apps.get_model("support", "Queue")
    Group = apps.get_model("auth", "Group")
    queue, created = Queue.objects.get_or_create(
        code="OPERATIONS", defaults={"name_de": "Netzbetrieb", "name_en": "Operations", "topics": [], "position": 3}
    )
    if created:
        queue.members.add(*Group.objects.filter(name__in=["Agents", "Supervisors"]))


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
