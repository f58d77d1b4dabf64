"""Fill the masked public texts of replies and commitments already stored (the
``mask_personal_data`` command does the same later, e.g. after the rules change)."""

from django.db import migrations

from replies.parsing.pii import mask_text


def forwards(apps, schema_editor):
    Reply = apps.get_model("replies", "Reply")
    CommitmentItem = apps.get_model("replies", "CommitmentItem")
    replies = Reply.objects.only("pk", "body").order_by("pk")
    batch = []
    for reply in replies.iterator(chunk_size=1000):
        reply.public_body = mask_text(reply.body or "")
        batch.append(reply)
        if len(batch) >= 1000:
            Reply.objects.bulk_update(batch, ["public_body"])
            batch = []
    Reply.objects.bulk_update(batch, ["public_body"])
    batch = []
    for item in CommitmentItem.objects.only("pk", "text").order_by("pk").iterator(chunk_size=2000):
        item.public_text = mask_text(item.text or "")
        batch.append(item)
        if len(batch) >= 2000:
            CommitmentItem.objects.bulk_update(batch, ["public_text"])
            batch = []
    CommitmentItem.objects.bulk_update(batch, ["public_text"])


class Migration(migrations.Migration):
    dependencies = [("replies", "0010_personal_data_and_promises")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
