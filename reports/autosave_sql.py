"""The autosave's two UPDATEs (``QuarterReport.save_draft``), each written once as SQL.

At quarter end every typist's page saves every few seconds. The ORM compiled these two
statements again on every save, some 2 ms of CPU, much more than the database took to run
them. The statements are the ones the ORM wrote, with the same conditions (explained in
``save_draft`` and ``_record_draft_history``). Table and column names come from the models,
and values are prepared by the model fields (``get_db_prep_save``) as the ORM would."""

import functools

from django.db import connection


def quoted(model, field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def prepared(model, field: str, value):
    return model._meta.get_field(field).get_db_prep_save(value, connection)


@functools.cache
def claim_sql(report, fiscal_quarter, indicator) -> str:
    """Set the text and the next version if the version is the one the user started
    from, the status one the unit may change and the quarter not locked."""
    r, q, i = report, fiscal_quarter, indicator
    return (
        f"UPDATE {table(r)} SET {quoted(r, 'version')} = %s, {quoted(r, 'result')} = %s,"
        f" {quoted(r, 'narrative')} = %s, {quoted(r, 'updated_by')} = %s, {quoted(r, 'updated_at')} = %s"
        f" WHERE {quoted(r, 'id')} = %s AND {quoted(r, 'version')} = %s AND {quoted(r, 'status')} IN (%s, %s)"
        f" AND NOT EXISTS (SELECT 1 FROM {table(q)} q INNER JOIN {table(i)} i"
        f" ON i.{quoted(i, 'fiscal_year')} = q.{quoted(q, 'fiscal_year')}"
        f" WHERE i.{quoted(i, 'id')} = %s AND q.{quoted(q, 'quarter')} = %s"
        f" AND q.{quoted(q, 'locked_at')} IS NOT NULL)"
    )


@functools.cache
def history_sql(history) -> str:
    """Bring the report's latest history row up to date when it is the same person's
    draft save (no reason given, same status) since ``history_date``."""
    h = history
    return (
        f"UPDATE {table(h)} SET {quoted(h, 'history_date')} = %s, {quoted(h, 'result')} = %s,"
        f" {quoted(h, 'narrative')} = %s, {quoted(h, 'version')} = %s, {quoted(h, 'updated_by')} = %s"
        f" WHERE {quoted(h, 'history_id')} = (SELECT MAX(latest.{quoted(h, 'history_id')})"
        f" FROM {table(h)} latest WHERE latest.{quoted(h, 'id')} = %s)"
        f" AND {quoted(h, 'history_type')} = %s AND {quoted(h, 'history_user')} = %s"
        f" AND {quoted(h, 'history_change_reason')} IS NULL AND {quoted(h, 'status')} = %s"
        f" AND {quoted(h, 'history_date')} >= %s"
    )


def execute(sql: str, params: list) -> int:
    """Run an UPDATE; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
