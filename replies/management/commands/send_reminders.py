from django.core.management.base import BaseCommand

from replies.services.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "E-mail departments about commitments due soon or overdue. Meant for a daily cron job; "
        "running it twice on one day sends nothing more."
    )

    def handle(self, *args, **options):
        sent = send_reminders()
        self.stdout.write(f"即将到期 {sent['due_soon']} 项，已逾期 {sent['overdue']} 项。")
