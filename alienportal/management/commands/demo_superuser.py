"""Create the demo's break-glass superuser (development only)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "admin-demo-password"  # noqa: S105 - printed by the demo; refused outside DEBUG


class Command(BaseCommand):
    help = "Create the local superuser 'admin' for the demo, if it does not exist (DEBUG only)."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("refusing to create a superuser with a published password outside DEBUG")
        user_model = get_user_model()
        if user_model.objects.filter(username=DEMO_USERNAME).exists():
            self.stdout.write(f"superuser {DEMO_USERNAME} exists")
            return
        user_model.objects.create_superuser(DEMO_USERNAME, "admin@alienportal.example", DEMO_PASSWORD)
        self.stdout.write(self.style.SUCCESS(f"created superuser {DEMO_USERNAME}"))
