"""Published commitments remember the date they promised; a publication time in the
future (which made a reply public later without reindexing it) becomes a draft again, for
the office to publish now."""

from django.db import migrations
from django.db.models import F
from django.utils import timezone


def forwards(apps, schema_editor):
    Reply = apps.get_model("replies", "Reply")
    CommitmentItem = apps.get_model("replies", "CommitmentItem")
    Reply.objects.filter(published_at__gt=timezone.now()).update(published_at=None)
    CommitmentItem.objects.filter(
        reply__published_at__isnull=False, promised_on__isnull=True
    ).update(promised_on=F("due_on"))


class Migration(migrations.Migration):
    dependencies = [("replies", "0008_withdrawal_deadline_changes_revisions")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
