from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Load demo data: the sample reply letters through the real importer."

    def handle(self, *args, **options):
        letters = settings.SAMPLES_DIR / "letters"
        if not letters.is_dir():
            raise CommandError(
                f"没有找到示例答复函（{letters}）：请设置 SAMPLES_DIR 指向样例目录，"
                "或用 manage.py import_letters 导入自己的答复函。"
            )
        self.stdout.write(f"Importing the sample letters in {letters}")
        # The demo's choice: letters that name no region go under 未注明地区….
        call_command(
            "import_letters",
            str(letters),
            unknown_committee=True,
            stdout=self.stdout,
            stderr=self.stderr,
        )
