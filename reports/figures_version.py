"""The database triggers behind ``FiguresVersion``: a change to any table the dashboard
counts (reports.dashboard) bumps ``reports_figuresversion.version``, whichever door
wrote (a view, the admin, an import, a bulk update, SQL).

They are (re)created after every ``migrate`` (post_migrate), not only by a migration:
SQLite rebuilds a table to alter it, which drops its triggers, and a table created again
later would have none. Idempotent."""

from django.apps import apps
from django.db import connections, transaction

WATCHED = [
    ("indicators", "Indicator"),
    ("indicators", "OrgUnit"),
    ("indicators", "StrategyNode"),
    ("indicators", "FiscalYear"),
    ("indicators", "FiscalQuarter"),
    ("indicators", "QuarterTarget"),
    ("indicators", "UnitOfMeasure"),
    ("reports", "QuarterReport"),
]
# A quarter report bumps the version on update only when one of these changes: autosaving
# a narrative changes no figure (and so costs no write to the version row).
REPORT_COLUMNS = ("indicator_id", "quarter", "status", "result", "is_late")
BUMP = (
    "INSERT INTO reports_figuresversion (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = reports_figuresversion.version + 1"
)


def _changed(columns) -> str:
    return " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in columns)


def trigger_statements(vendor: str) -> list[str]:
    """The SQL that (re)creates the triggers, or [] for a database without them."""
    tables = [apps.get_model(app, model)._meta.db_table for app, model in WATCHED]
    report_table = apps.get_model("reports", "QuarterReport")._meta.db_table
    statements = []
    if vendor == "postgresql":
        statements.append(
            "CREATE OR REPLACE FUNCTION reports_figures_changed() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in tables:
            # Quarter reports' updates: the row trigger below, which looks at the columns.
            events = "INSERT OR DELETE OR TRUNCATE"
            if table != report_table:
                events = "INSERT OR UPDATE OR DELETE OR TRUNCATE"
            statements += [
                f"DROP TRIGGER IF EXISTS figures_changed ON {table}",
                f"CREATE TRIGGER figures_changed AFTER {events} ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION reports_figures_changed()",
            ]
        statements += [
            f"DROP TRIGGER IF EXISTS figures_changed_by_report ON {report_table}",
            f"CREATE TRIGGER figures_changed_by_report AFTER UPDATE ON {report_table} FOR EACH ROW "
            f"WHEN ({_changed(REPORT_COLUMNS)}) EXECUTE FUNCTION reports_figures_changed()",
        ]
    elif vendor == "sqlite":
        for table in tables:
            for event in ("INSERT", "UPDATE", "DELETE"):
                only_figures = table == report_table and event == "UPDATE"
                when = f"WHEN {_changed(REPORT_COLUMNS)} " if only_figures else ""
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS figures_changed_{table}_{event.lower()} AFTER {event} "
                    f"ON {table} FOR EACH ROW {when}BEGIN {BUMP}; END"
                )
    return statements


def ensure_triggers(using: str = "default") -> bool:
    """Create the triggers and bump the version (a migration may have changed data).
    False on a database without triggers here: its version row is removed, so that
    ``FiguresVersion.current()`` is None and nothing is cached."""
    connection = connections[using]
    statements = trigger_statements(connection.vendor)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if not statements:
            cursor.execute("DELETE FROM reports_figuresversion")
            return False
        for statement in statements:
            cursor.execute(statement)
        cursor.execute(BUMP)
    return True


def after_migrate(sender, using="default", **kwargs):
    """post_migrate: once per migrate run (sent for each app; the reports app's is enough)."""
    if sender.name == "reports":
        ensure_triggers(using)
