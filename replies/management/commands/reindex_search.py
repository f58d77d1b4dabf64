from django.core.management.base import BaseCommand

from replies.tasks import reindex


class Command(BaseCommand):
    help = (
        "Rebuild the search index of every proposal (500 per transaction), e.g. after the "
        "index format changed in an upgrade. Safe while the site serves."
    )

    def handle(self, *args, **options):
        count = reindex()
        self.stdout.write(f"已重建 {count} 件提案的检索索引。")
