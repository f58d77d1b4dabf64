from django.db import migrations
from django.utils import timezone


def create_row(apps, schema_editor):
    apps.get_model("core", "PublicDataVersion").objects.get_or_create(
        pk=1, defaults={"value": 1, "changed_at": timezone.now()}
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create_row, migrations.RunPython.noop)]
