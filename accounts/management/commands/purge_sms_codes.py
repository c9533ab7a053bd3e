"""SMS codes are worth nothing once expired; keep a day of them for support questions, then go
(run daily from cron)."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import SmsCode

KEEP = timedelta(days=1)


class Command(BaseCommand):
    help = "Delete SMS codes that expired more than a day ago."

    def handle(self, *args: object, **options: object) -> None:
        deleted, _ = SmsCode.objects.filter(expires_at__lt=timezone.now() - KEEP).delete()
        self.stdout.write(f"Deleted {deleted} expired SMS codes.")
