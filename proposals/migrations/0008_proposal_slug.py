"""Proposal.slug: the number as a URL part (269/2 → 269-2), filled for the proposals
already stored, then unique in each session."""

import hashlib
import re

from django.db import migrations, models

_UNSAFE = re.compile(r"[^0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff]+")


def _slug(number: str) -> str:
    folded = number.translate({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})
    return _UNSAFE.sub("-", folded).strip("-")[:40] or "n"


def fill(apps, schema_editor):
    Proposal = apps.get_model("proposals", "Proposal")
    taken: set[tuple[int, str]] = set()
    batch = []
    rows = Proposal.objects.only("pk", "session_id", "number").order_by("pk")
    for proposal in rows.iterator(chunk_size=2000):
        slug = _slug(proposal.number)
        if (proposal.session_id, slug) in taken:
            digest = hashlib.sha1(proposal.number.encode("utf-8")).hexdigest()[:6]
            slug = f"{slug[:50]}-{digest}"
        taken.add((proposal.session_id, slug))
        proposal.slug = slug
        batch.append(proposal)
        if len(batch) >= 2000:
            Proposal.objects.bulk_update(batch, ["slug"])
            batch = []
    Proposal.objects.bulk_update(batch, ["slug"])


class Migration(migrations.Migration):
    dependencies = [("proposals", "0007_proposal_is_public")]

    operations = [
        migrations.AddField(
            model_name="proposal",
            name="slug",
            field=models.CharField(
                default="", editable=False, max_length=60, verbose_name="网址标识"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicalproposal",
            name="slug",
            field=models.CharField(
                default="", editable=False, max_length=60, verbose_name="网址标识"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="proposal",
            constraint=models.UniqueConstraint(
                fields=("session", "slug"), name="uniq_proposal_slug_per_session"
            ),
        ),
    ]
