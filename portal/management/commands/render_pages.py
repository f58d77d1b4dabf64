from django.core.management.base import BaseCommand

from portal import snapshots


class Command(BaseCommand):
    help = (
        "Render the public pages of proposals ahead of their visitors (portal.snapshots): "
        "those whose stored page is missing or stale, or --all. Safe while the site serves."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="every public proposal's page")
        parser.add_argument("--limit", type=int, default=None, help="at most this many pages")

    def handle(self, *args, **options):
        if options["all"]:
            from proposals.models import Proposal

            ids = list(Proposal.objects.public().order_by("pk").values_list("pk", flat=True))
            ids = ids[: options["limit"]] if options["limit"] else ids
        else:
            ids = snapshots.stale_pages(options["limit"])
        count = snapshots.render_pages(ids)
        self.stdout.write(f"已生成 {count} 个提案页面。")
