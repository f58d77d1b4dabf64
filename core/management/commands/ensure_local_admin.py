from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "admin"
PASSWORD = "admin-local"


class Command(BaseCommand):
    help = "Create the local development admin account (debug only) and print its login."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("只在开发模式（DJANGO_DEBUG=1）下创建本地管理员账号。")
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(PASSWORD)
            user.save()
        self.stdout.write(
            self.style.SUCCESS(f"Local admin: username {USERNAME!r}, password {PASSWORD!r}")
            if created or user.check_password(PASSWORD)
            else f"Local admin {USERNAME!r} exists with a password you changed."
        )
