from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load demo data: the sample reply letters through the real importer."

    def handle(self, *args, **options):
        letters = settings.SAMPLES_DIR / "letters"
        if letters.is_dir():
            self.stdout.write(f"Importing the sample letters in {letters}")
            call_command("import_letters", str(letters), stdout=self.stdout, stderr=self.stderr)
        else:
            self.stdout.write(f"{letters} not found; generating demo letters instead")
            call_command("generate_data", proposals=30, seed=1, stdout=self.stdout)
