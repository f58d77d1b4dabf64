"""Rerun the class check (docs/class_check.md) on every classified reply: after a change of
the rule or its thresholds."""

from django.core.management.base import BaseCommand
from django.db import transaction

from replies.models import Reply
from replies.services.class_check import fill_class_check


class Command(BaseCommand):
    help = "重新检查所有答复的办理结果类别与内容是否相符（类别存疑）。"

    def handle(self, *args, **options):
        flagged = checked = 0
        pks = list(Reply.objects.exclude(classification="").values_list("pk", flat=True))
        for start in range(0, len(pks), 500):
            with transaction.atomic():
                replies = Reply.objects.filter(pk__in=pks[start : start + 500]).only(
                    "pk", "classification", "body", "class_doubt", "class_doubt_statements"
                )
                changed = []
                for reply in replies:
                    before = (reply.class_doubt, reply.class_doubt_statements)
                    fill_class_check(reply)
                    checked += 1
                    flagged += bool(reply.class_doubt)
                    if (reply.class_doubt, reply.class_doubt_statements) != before:
                        changed.append(reply)
                Reply.objects.bulk_update(changed, ["class_doubt", "class_doubt_statements"])
        self.stdout.write(f"checked {checked} replies, {flagged} flagged (类别存疑)")
