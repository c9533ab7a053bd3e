"""Delete personal data past its retention period (privacy/retention.py).

A dry run by default: it prints how many items of each kind are past their period. With
--commit it deletes or clears them and records the run (admin: 到期数据清理记录). The task
workers run it daily (RETENTION_PURGE=worker), or cron does (deploy/cron.d/rentcenter).
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from privacy import retention


class Command(BaseCommand):
    help = "Delete personal data past its retention period (a dry run unless --commit)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--commit", action="store_true", help="Delete; without it, only count.")

    def handle(self, *args: object, commit: bool = False, **options: object) -> None:
        now = timezone.now()
        if commit:
            counts = retention.purge(now=now).counts
            verb = "removed"
        else:
            counts = retention.counts(now=now)
            verb = "past their period (dry run; --commit deletes them)"
        width = max(len(rule.key) for rule in retention.RULES)
        for rule in retention.RULES:
            self.stdout.write(f"{rule.key:<{width}}  {counts[rule.key]:>8}  {rule.label}")
        self.stdout.write(f"{sum(counts.values())} items {verb}.")
