from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpi_portal.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database (one consistent snapshot: pg_dump's custom format, or SQLite's backup "
        "API) and every stored file its rows name (evidence, books, rendered sheets) into DEST, a new "
        "or empty directory, with a manifest of row counts and file checksums."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path, metavar="DEST")

    def handle(self, *args, destination, **options):
        try:
            manifest = backup(destination, log=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if manifest.missing:
            raise CommandError(
                f"backup written to {destination}, but {len(manifest.missing)} file(s) are missing"
            )
        self.stdout.write(f"Backup written to {destination}.")
