import datetime

from django.core.management.base import BaseCommand, CommandError

from reports.notifications import mail, reminders


class Command(BaseCommand):
    help = (
        "Run the reminder pass (deadline reminders to unit staff and heads of unit, late units "
        "to executives, waiting submissions to auditors; each once), then send the mails due. "
        "The book workers run it every REMINDER_INTERVAL_SECONDS; this is for cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="list who would be told what; write nothing"
        )
        parser.add_argument("--today", help="act as on this day (YYYY-MM-DD), e.g. to catch up a missed day")

    def handle(self, *args, dry_run, today, **options):
        if today:
            try:
                today = datetime.date.fromisoformat(today)
            except ValueError:
                raise CommandError(f"--today must be a date as YYYY-MM-DD, got {today!r}") from None
        # Not one transaction: each person's digest is its own (reminders.send_digest), so
        # what is written stays written even if a later one fails.
        result = reminders.run_pass(today, dry_run=dry_run)
        if result.skipped:
            self.stdout.write("Another worker is running the reminder pass; nothing done.")
            return
        for line in result.describe():
            self.stdout.write(("would tell " if dry_run else "") + line)
        if dry_run:
            self.stdout.write(f"{len(result.digests)} people would be told (dry run: nothing written).")
            return
        delivery = mail.deliver_due()
        self.stdout.write(
            f"{result.sent} digests written; mails sent: {delivery.sent}, "
            f"failed (to be retried): {delivery.failed}."
        )
