from django.core.management.base import BaseCommand, CommandError

from proposals.models import Committee
from replies.services import repeats


class Command(BaseCommand):
    help = (
        "Recompute every 此前相关提案 link (what the nightly Celery task does): after a bulk "
        "load, or when the similarity rule changed. One committee per transaction; pages "
        "keep serving the old links of a committee until its new ones are written."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--committee", help="only this committee (its slug or name)", default=None
        )

    def handle(self, *args, **options):
        committees = None
        if options["committee"]:
            found = Committee.objects.filter(slug=options["committee"]) | Committee.objects.filter(
                name=options["committee"]
            )
            committees = list(found.values_list("pk", flat=True))
            if not committees:
                raise CommandError(f"没有这个委员会：{options['committee']}")
        links = repeats.rebuild(committees)
        self.stdout.write(f"此前相关提案已重新计算：{links} 条关联。")
