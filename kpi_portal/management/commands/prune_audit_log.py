from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from indicators.audit import AuditEvent


class Command(BaseCommand):
    help = "Delete audit log entries older than AUDIT_LOG_RETENTION_DAYS (scheduled daily)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be deleted, delete nothing"
        )

    def handle(self, *args, dry_run, **options):
        cutoff = timezone.now() - timedelta(days=settings.AUDIT_LOG_RETENTION_DAYS)
        old = AuditEvent.objects.filter(at__lt=cutoff)
        with transaction.atomic():
            count = old.count() if dry_run else old.delete()[0]
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"Audit log: {verb} {count} entries older than {cutoff:%Y-%m-%d %H:%M} (UTC).")
