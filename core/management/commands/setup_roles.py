from django.core.management.base import BaseCommand

from core.roles import ensure_roles


class Command(BaseCommand):
    help = "Create or refresh the role groups (proposal office, department clerk, member)."

    def handle(self, *args, **options):
        ensure_roles()
        self.stdout.write("Roles are up to date.")
