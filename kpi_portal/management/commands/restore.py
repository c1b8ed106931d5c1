from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpi_portal.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured database and file storage, "
        "both of which must be empty (nothing is overwritten). Every file is checked against the "
        "backup's checksums before and after."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, metavar="SRC")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the backup and the target, restore nothing"
        )

    def handle(self, *args, source, dry_run, **options):
        try:
            restore(source, log=self.stdout.write, dry_run=dry_run)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write("Checked: it can be restored." if dry_run else f"Restored from {source}.")
