from django.core.management.base import BaseCommand

from replies.services import rollups


class Command(BaseCommand):
    help = (
        "Move the roll-ups' overdue day on to today (what the nightly Celery task does), or "
        "with --rebuild recount every roll-up from the base tables (after a bulk load, or to "
        "repair by hand). Safe while the site serves: writers wait for it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild", action="store_true", help="recount everything from the base tables"
        )

    def handle(self, *args, **options):
        if options["rebuild"]:
            rows = rollups.rebuild()
            self.stdout.write(f"已重新统计：{rows} 行汇总。")
        else:
            cells = rollups.advance()
            self.stdout.write(f"逾期统计已更新到今天：{cells} 个单元重新统计。")
