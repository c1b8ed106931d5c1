from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from indicators.exchange.read import ImportFileError
from reports.migration.old_sheet import OldSheetError, read_old_sheet_file
from reports.migration.sheets import import_records, import_sheets


class Command(BaseCommand):
    help = (
        "Import whole indicator sheets (registry, quarters, scores, summary, projects, data "
        "sets) from an .xlsx or .csv file in the layout of docs/migration.md, or from sheets "
        "saved as text from the old system (.txt; give --fiscal-year). Every row is checked "
        "first: with any error nothing is imported. Importing again updates the sheets."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="one .xlsx or .csv file, or old sheets saved as .txt")
        parser.add_argument("--dry-run", action="store_true", help="check and import, then roll back")
        parser.add_argument(
            "--add-new-units",
            action="store_true",
            help="add the units of measure the sheets name that are not in the table yet",
        )
        parser.add_argument("--fiscal-year", type=int, help="the Buddhist-Era year of the .txt sheets")

    def handle(self, *args, files, dry_run, add_new_units, fiscal_year, **options):
        paths = [Path(file) for file in files]
        texts = [path for path in paths if path.suffix.lower() == ".txt"]
        try:
            if texts:
                if len(texts) != len(paths):
                    raise CommandError("give either .txt sheets or one .xlsx/.csv file")
                if fiscal_year is None:
                    raise CommandError("--fiscal-year is required with .txt sheets (the old sheet omits it)")
                records = []
                for path in paths:
                    try:
                        records.append(read_old_sheet_file(path, fiscal_year=fiscal_year))
                    except OldSheetError as error:
                        raise CommandError(f"{path}: {error}") from None
                result = import_records(records, paths[0].name, dry_run=dry_run, add_new_units=add_new_units)
                sources = {number: path.name for number, path in enumerate(paths, start=2)}
            else:
                if len(paths) != 1:
                    raise CommandError("give one .xlsx or .csv file at a time")
                with paths[0].open("rb") as handle:
                    result = import_sheets(
                        handle, paths[0].name, dry_run=dry_run, add_new_units=add_new_units
                    )
                sources = {}
        except OSError as error:
            raise CommandError(f"{error.filename}: {error.strerror}") from None
        except ImportFileError as error:
            raise CommandError(f"{paths[0]}: {error}") from None
        if result.errors:
            for error in result.errors:
                where = f"{sources[error.row]}: " if error.row in sources else ""
                self.stderr.write(f"{where}{error}")
            count = len(result.errors)
            raise CommandError(f"nothing was imported: {count} error{'s' if count > 1 else ''}.")
        self.stdout.write(self.style.SUCCESS(result.summary()))
