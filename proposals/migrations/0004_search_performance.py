"""Search and listing performance (indexes), filled in by the benchmark work."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("proposals", "0003_default_topics")]

    operations: list = []
