"""Which version of a sheet's content the database holds, without reading the sheet.

Every table a detail sheet shows (reports.sheet) has database triggers that give a new
random token to what changed, whichever door wrote (a view, the admin, an import, a
bulk update, SQL):

- a change to an indicator or to a row of its own (targets, reports, scores, summary,
  projects, city data sets) gives that indicator's row in ``reports_sheetversion`` a new
  token;
- a change to a table many sheets share (fiscal years, units, the strategy tree, units of
  measure, city data sets) gives row 0, the shared token, a new one.

A sheet's content key (``content_keys``) is a hash of both tokens, of the code that turns
a sheet into a PDF (templates, catalogues, stylesheets, fonts, Thai line breaks) and of the
language: while it is unchanged, so is the sheet's PDF, so a print can be served from a
cache and a book can reuse a sheet without fetching the sheet or rendering its HTML.

Tokens are random, not counters: a transaction rolled back, a database restored or created
again never gives the same key to other content. An indicator without a row (data older
than the triggers) has no key, and the caller falls back to the sheet's HTML fingerprint.

The triggers are (re)created after every ``migrate`` (post_migrate), as the figures
version's are (reports/figures_version.py): SQLite drops a table's triggers when it
rebuilds the table. Idempotent.
"""

import hashlib

from django.apps import apps
from django.db import connections, transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import get_language

from reports.printing.fingerprint import code_version

SHARED = 0  # the indicator id of the shared token's row (indicator ids start at 1)

# (app, model, the column holding the indicator's id) of the rows that belong to one sheet.
PER_SHEET = [
    ("indicators", "Indicator", "id"),
    ("indicators", "QuarterTarget", "indicator_id"),
    ("indicators", "SupportingProject", "indicator_id"),
    ("reports", "QuarterReport", "indicator_id"),
    ("reports", "AuditScore", "indicator_id"),
    ("reports", "AnnualSummary", "indicator_id"),
]
# Tables many sheets show: a change gives every sheet a new key.
SHARED_MODELS = [
    ("indicators", "FiscalYear"),
    ("indicators", "OrgUnit"),
    ("indicators", "StrategyNode"),
    ("indicators", "UnitOfMeasure"),
    ("indicators", "CityDataSet"),
]

PG_TOKEN = "md5(random()::text || clock_timestamp()::text)"
SQLITE_TOKEN = "lower(hex(randomblob(16)))"


def per_sheet_tables() -> list[tuple[str, str]]:
    """(table, indicator column) of each per-sheet table, the indicators' city data sets included."""
    tables = [(apps.get_model(app, model)._meta.db_table, column) for app, model, column in PER_SHEET]
    through = apps.get_model("indicators", "Indicator").city_data_sets.through
    tables.append((through._meta.db_table, "indicator_id"))
    return tables


def shared_tables() -> list[str]:
    return [apps.get_model(app, model)._meta.db_table for app, model in SHARED_MODELS]


def _upsert(select: str) -> str:
    return (
        f"INSERT INTO reports_sheetversion (indicator_id, token) {select} "
        "ON CONFLICT (indicator_id) DO UPDATE SET token = excluded.token"
    )


def _postgresql() -> list[str]:
    # Statement triggers with transition tables: a bulk write of 50,000 rows costs one
    # INSERT of its distinct indicators, not 50,000.
    statements = [
        "CREATE OR REPLACE FUNCTION reports_sheets_changed() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN {_upsert(f'VALUES ({SHARED}, {PG_TOKEN})')}; RETURN NULL; END $$"
    ]
    for table in shared_tables():
        statements += [
            f"DROP TRIGGER IF EXISTS sheets_changed ON {table}",
            f"CREATE TRIGGER sheets_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION reports_sheets_changed()",
        ]
    for table, column in per_sheet_tables():
        function = f"reports_sheet_changed_{table}"
        body = []
        for event, rows in (
            ("INSERT", ["new_rows"]),
            ("UPDATE", ["new_rows", "old_rows"]),
            ("DELETE", ["old_rows"]),
        ):
            # Distinct before the token is drawn: an upsert may touch a row only once.
            union = " UNION ".join(f"SELECT DISTINCT {column} FROM {name}" for name in rows)
            select = f"SELECT changed.{column}, {PG_TOKEN} FROM ({union}) AS changed"
            body.append(f"IF TG_OP = '{event}' THEN {_upsert(select)}; END IF;")
        statements.append(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN {' '.join(body)} RETURN NULL; END $$"
        )
        for event, referencing in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            name = f"sheet_changed_{event.lower()}"
            statements += [
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            ]
        # TRUNCATE has no rows to name: every sheet's key changes.
        statements += [
            f"DROP TRIGGER IF EXISTS sheets_changed ON {table}",
            f"CREATE TRIGGER sheets_changed AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION reports_sheets_changed()",
        ]
    return statements


def _sqlite() -> list[str]:
    statements = []
    for table in shared_tables():
        for event in ("INSERT", "UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS sheets_changed_{table}_{event.lower()} AFTER {event} "
                f"ON {table} FOR EACH ROW BEGIN "
                f"{_upsert(f'VALUES ({SHARED}, {SQLITE_TOKEN})')}; END"
            )
    for table, column in per_sheet_tables():
        for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["NEW", "OLD"]), ("DELETE", ["OLD"])):
            # "WHERE true" keeps SQLite's parser from reading ON CONFLICT as a join's ON.
            body = " ".join(
                f"{_upsert(f'SELECT {row}.{column}, {SQLITE_TOKEN} WHERE true')};" for row in rows
            )
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS sheet_changed_{table}_{event.lower()} AFTER {event} "
                f"ON {table} FOR EACH ROW BEGIN {body} END"
            )
    return statements


def trigger_statements(vendor: str) -> list[str]:
    """The SQL that (re)creates the triggers, or [] for a database without them."""
    return {"postgresql": _postgresql, "sqlite": _sqlite}.get(vendor, list)()


def ensure_triggers(using: str = "default") -> bool:
    """Create the triggers, give every indicator a token and the shared one a new one (a
    migration may have changed anything). False on a database without triggers here: its
    rows are removed, so that no sheet has a key and prints fall back to the HTML."""
    connection = connections[using]
    statements = trigger_statements(connection.vendor)
    token = PG_TOKEN if connection.vendor == "postgresql" else SQLITE_TOKEN
    indicators = apps.get_model("indicators", "Indicator")._meta.db_table
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if not statements:
            cursor.execute("DELETE FROM reports_sheetversion")
            return False
        for statement in statements:
            cursor.execute(statement)
        cursor.execute(_upsert(f"SELECT id, {token} FROM {indicators} WHERE true"))
        cursor.execute(_upsert(f"SELECT {SHARED}, {token}"))
    return True


def after_migrate(sender, using="default", **kwargs):
    """post_migrate: once per migrate run (sent for each app; the reports app's is enough)."""
    if sender.name == "reports":
        ensure_triggers(using)


def _key(pk: int, token: str, shared: str) -> str:
    return hashlib.sha256(f"{code_version()}:{get_language()}:{shared}:{pk}:{token}".encode()).hexdigest()


def content_keys(indicator_ids) -> dict[int, str]:
    """The content key of each sheet that has one, in the active language: one query."""
    from reports.models import SheetVersion

    ids = list(indicator_ids)
    rows = SheetVersion.objects.filter(indicator_id__in=[SHARED, *ids])
    tokens = dict(rows.values_list("indicator_id", "token"))
    shared = tokens.get(SHARED)
    if shared is None:
        return {}
    return {pk: _key(pk, tokens[pk], shared) for pk in ids if pk in tokens}


def with_tokens(queryset):
    """Indicators with their sheet's tokens read in the same query (``content_key``)."""
    from reports.models import SheetVersion

    tokens = SheetVersion.objects.values("token")
    return queryset.annotate(
        sheet_token=Subquery(tokens.filter(indicator_id=OuterRef("pk"))[:1]),
        shared_sheet_token=Subquery(tokens.filter(indicator_id=SHARED)[:1]),
    )


def content_key(indicator) -> str | None:
    """The content key of ``indicator``'s sheet, or None when it has none; from the tokens
    read with it (``with_tokens``), else one query."""
    if not hasattr(indicator, "sheet_token"):
        return content_keys([indicator.pk]).get(indicator.pk)
    if indicator.sheet_token is None or indicator.shared_sheet_token is None:
        return None
    return _key(indicator.pk, indicator.sheet_token, indicator.shared_sheet_token)
