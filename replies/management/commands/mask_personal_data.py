from django.core.management.base import BaseCommand

from replies.services.privacy import mask_existing


class Command(BaseCommand):
    help = (
        "Mask personal data (contact names and numbers, mobiles, e-mail addresses, ID "
        "numbers) in the public text of every reply already stored, keeping the office's "
        "decisions; reindexes the public ones that changed."
    )

    def handle(self, *args, **options):
        changed = mask_existing()
        self.stdout.write(f"已更新 {changed} 件答复的公开文本。")
