from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from indicators.exchange.load import import_file
from indicators.exchange.read import ImportFileError


class Command(BaseCommand):
    help = (
        "Import indicators and their quarter targets from an .xlsx or .csv file laid out like "
        "the template (/indicators/import-template.xlsx/; columns: see indicators/exchange/). "
        "Every row is checked first: with any error nothing is imported. Importing a file "
        "again updates the indicators (fiscal year + unit code + indicator code)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx or .csv file")
        parser.add_argument("--dry-run", action="store_true", help="check and import, then roll back")
        parser.add_argument(
            "--add-new-units",
            action="store_true",
            help="add the units of measure the file names that are not in the table yet",
        )

    def handle(self, *args, file, dry_run, add_new_units, **options):
        path = Path(file)
        try:
            with path.open("rb") as handle:
                result = import_file(handle, path.name, dry_run=dry_run, add_new_units=add_new_units)
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from None
        except ImportFileError as error:
            raise CommandError(f"{path}: {error}") from None
        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            count = len(result.errors)
            raise CommandError(
                f"{path}: nothing was imported: {count} error{'s' if count > 1 else ''} in the file."
            )
        self.stdout.write(self.style.SUCCESS(f"{path}: {result.summary()}"))
