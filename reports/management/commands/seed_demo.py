from django.core.management.base import BaseCommand
from django.db import transaction

from indicators.models import Indicator
from reports.demo import generate


class Command(BaseCommand):
    help = (
        "Load demo data: the seed indicator exactly as on its sheet, generated indicators "
        "and one account per role. Safe to run again: it only adds what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=6, help="number of units (default 6)")
        parser.add_argument(
            "--per-unit", type=int, default=8, help="indicators per unit and year (default 8)"
        )
        parser.add_argument(
            "--years", type=int, default=2, help="fiscal years up to the current one (default 2)"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the database already has indicators"
        )
        parser.add_argument("--dry-run", action="store_true", help="do everything, then roll back")

    def handle(self, *args, units, per_unit, years, if_empty, dry_run, **options):
        if if_empty and Indicator.objects.exists():
            self.stdout.write("The database already has indicators: demo data not loaded.")
            return
        for name, value in (("--units", units), ("--per-unit", per_unit), ("--years", years)):
            if value < 0:
                self.stderr.write(f"{name} must not be negative")
                return
        with transaction.atomic():
            seed = generate.seed_indicator()
            created = generate.generate(units, per_unit, years)
            generate.ensure_demo_users()
            if dry_run:
                transaction.set_rollback(True)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seed indicator {seed.full_code} (fiscal year {seed.fiscal_year.year}) ready; "
                f"{created} generated indicators created{' (dry run, rolled back)' if dry_run else ''}."
            )
        )
