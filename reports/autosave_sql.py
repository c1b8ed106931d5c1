"""The autosave's read of the report (``reports.selectors.autosave_report``) and its two
UPDATEs (``QuarterReport.save_draft``), each written once as SQL.

At quarter end every typist's page saves every few seconds. The ORM compiled these two
statements again on every save, some 2 ms of CPU, much more than the database took to run
them. The statements are the ones the ORM wrote, with the same conditions (explained in
``save_draft`` and ``_record_draft_history``). Table and column names come from the models,
and values are prepared by the model fields (``get_db_prep_save``) as the ORM would."""

import functools

from django.db import connection

from kpi_portal.written_sql import column, columns, instance, table


def prepared(model, field: str, value):
    return model._meta.get_field(field).get_db_prep_save(value, connection)


@functools.cache
def claim_sql(report, fiscal_quarter, indicator) -> str:
    """Set the text and the next version if the version is the one the user started
    from, the status one the unit may change and the quarter not locked."""
    r, q, i = report, fiscal_quarter, indicator
    return (
        f"UPDATE {table(r)} SET {column(r, 'version')} = %s, {column(r, 'result')} = %s,"
        f" {column(r, 'narrative')} = %s, {column(r, 'updated_by')} = %s, {column(r, 'updated_at')} = %s"
        f" WHERE {column(r, 'id')} = %s AND {column(r, 'version')} = %s AND {column(r, 'status')} IN (%s, %s)"
        f" AND NOT EXISTS (SELECT 1 FROM {table(q)} q INNER JOIN {table(i)} i"
        f" ON i.{column(i, 'fiscal_year')} = q.{column(q, 'fiscal_year')}"
        f" WHERE i.{column(i, 'id')} = %s AND q.{column(q, 'quarter')} = %s"
        f" AND q.{column(q, 'locked_at')} IS NOT NULL)"
    )


@functools.cache
def history_sql(history) -> str:
    """Bring the report's latest history row up to date when it is the same person's
    draft save (no reason given, same status) since ``history_date``."""
    h = history
    return (
        f"UPDATE {table(h)} SET {column(h, 'history_date')} = %s, {column(h, 'result')} = %s,"
        f" {column(h, 'narrative')} = %s, {column(h, 'version')} = %s, {column(h, 'updated_by')} = %s"
        f" WHERE {column(h, 'history_id')} = (SELECT MAX(latest.{column(h, 'history_id')})"
        f" FROM {table(h)} latest WHERE latest.{column(h, 'id')} = %s)"
        f" AND {column(h, 'history_type')} = %s AND {column(h, 'history_user')} = %s"
        f" AND {column(h, 'history_change_reason')} IS NULL AND {column(h, 'status')} = %s"
        f" AND {column(h, 'history_date')} >= %s"
    )


@functools.cache
def report_sql(report, indicator, units: int) -> str:
    """The report of an indicator's quarter with its indicator and the indicator's unit of
    measure (the ORM's ``select_related("indicator__unit_of_measure")``), the indicator
    among ``units`` unit ids (none: any unit). The ORM compiled this SELECT of some 40
    columns from three tables again on every save, about a third of the autosave's CPU."""
    r, i = report, indicator
    measure = i._meta.get_field("unit_of_measure")
    u = measure.related_model
    in_units = f" AND i.{column(i, 'org_unit')} IN ({', '.join(['%s'] * units)})" if units else ""
    return (
        f"SELECT {columns(r, 'r')}, {columns(i, 'i')}, {columns(u, 'u')} FROM {table(r)} r"
        f" INNER JOIN {table(i)} i ON r.{column(r, 'indicator')} = i.{column(i, 'id')}"
        f" INNER JOIN {table(u)} u ON i.{column(i, 'unit_of_measure')}"
        f" = u.{column(u, measure.target_field.name)}"
        f" WHERE r.{column(r, 'indicator')} = %s AND r.{column(r, 'quarter')} = %s{in_units}"
    )


def read_report(report, indicator, pk: int, quarter: int, unit_ids):
    """The report of indicator ``pk``'s ``quarter``, its indicator and the unit of measure
    set on it as select_related would set them; None when there is none (or the indicator
    is not in ``unit_ids``, when given)."""
    units = sorted(unit_ids) if unit_ids is not None else []
    with connection.cursor() as cursor:
        cursor.execute(report_sql(report, indicator, len(units)), [pk, quarter, *units])
        row = cursor.fetchone()
    if row is None:
        return None
    measure_field = indicator._meta.get_field("unit_of_measure")
    split = len(report._meta.concrete_fields)
    middle = split + len(indicator._meta.concrete_fields)
    found = instance(report, row[:split])
    parent = instance(indicator, row[split:middle])
    measure_field.set_cached_value(parent, instance(measure_field.related_model, row[middle:]))
    report._meta.get_field("indicator").set_cached_value(found, parent)
    return found


def execute(sql: str, params: list) -> int:
    """Run an UPDATE; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
