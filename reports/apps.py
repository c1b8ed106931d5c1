from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports and audits")

    def ready(self):
        from indicators.exchange.columns import add_read_only_columns
        from reports import figures_version, sheet_version
        from reports.export import RESULT_COLUMNS
        from reports.migration.sheets import SHEET_COLUMNS
        from reports.printing.install import install

        # An export can be imported again: the import knows these columns and ignores them.
        add_read_only_columns(RESULT_COLUMNS)
        add_read_only_columns(SHEET_COLUMNS)  # and so can a whole-sheet file
        # Thai text in PDFs (/ActualText, line breaks); refuses an untested WeasyPrint.
        install()
        # The triggers that keep the dashboard's cache key right, after every migrate.
        post_migrate.connect(
            figures_version.after_migrate, sender=self, dispatch_uid="reports.figures_version"
        )
        # and the sheets' content keys (cached PDFs, books' reused sheets).
        post_migrate.connect(sheet_version.after_migrate, sender=self, dispatch_uid="reports.sheet_version")
