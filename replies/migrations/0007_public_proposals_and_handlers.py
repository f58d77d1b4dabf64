"""Fill Proposal.is_public (a published reply exists), and list every department that
replied to a proposal among its handlers: the access rules of proposals (lead or
co-handling department) no longer ask the replies table."""

from django.db import migrations
from django.db.models import Exists, F, OuterRef
from django.utils import timezone


def forwards(apps, schema_editor):
    Proposal = apps.get_model("proposals", "Proposal")
    Reply = apps.get_model("replies", "Reply")
    published = Reply.objects.filter(
        proposal=OuterRef("pk"), published_at__isnull=False, published_at__lte=timezone.now()
    )
    Proposal.objects.filter(Exists(published)).update(is_public=True)
    through = Proposal.co_departments.through
    pairs = (
        Reply.objects.exclude(department=F("proposal__lead_department"))
        .values_list("proposal_id", "department_id")
        .distinct()
    )
    through.objects.bulk_create(
        [through(proposal_id=p, department_id=d) for p, d in pairs], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("proposals", "0007_proposal_is_public"),
        ("replies", "0006_default_topics"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
