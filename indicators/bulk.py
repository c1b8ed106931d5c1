"""Bulk writes with their history, for imports at city scale.

Drop-in replacements of simple-history's ``bulk_create_with_history`` and
``bulk_update_with_history`` that write the same rows (the objects, then one
historical row each: the same fields, user, change reason and type) with less Python
per row. Profiling the migration import (tools/bench_migration.py) showed most of its
time in Django composing bulk INSERTs value by value (``field_as_sql``,
``prepare_value``) and in building one historical model instance per row. Here:

- the objects go in as multi-row ``INSERT ... RETURNING pk`` statements of the size
  Django itself would use (``bulk_batch_size``), their keys set as ``bulk_create`` does;
- the historical rows are plain lists of values, written in multi-row INSERTs too;
- a value goes to the database as it is when it already has the column's plain type
  (text for text columns, an integer for integer and key columns); any other value goes
  through the field's own ``get_db_prep_save``, as Django does.

Whatever this does not know (a model with parents, keys set by the caller, a database
that cannot return keys, extra fields on the historical model) goes to the library's
own functions, so the result is the same in every case.
"""

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Field
from django.utils import timezone
from simple_history import utils as history_utils

TEXT_TYPES = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}
INTEGER_TYPES = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "PositiveBigIntegerField",
    "BooleanField",
}
DEFAULT_BATCH = 1000  # rows per INSERT where the database sets no lower limit (PostgreSQL)
MAX_PARAMS = 65_535  # PostgreSQL's limit on one statement's parameters
HISTORY_FIELDS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}


def plain_types(field) -> tuple:
    """The Python types a field stores unchanged (``get_db_prep_save`` is the identity)."""
    internal = field.get_internal_type()
    if internal in ("ForeignKey", "OneToOneField"):
        return plain_types(field.target_field)
    if internal in TEXT_TYPES:
        return (str, type(None))
    if internal in INTEGER_TYPES:
        return (int, type(None))  # bool is an int: stored as such by both databases
    return ()


def converter(field, connection):
    """A function from a Python value to the value the database driver is given."""
    plain = plain_types(field)

    def convert(value):
        if type(value) in plain:
            return value
        return field.get_db_prep_save(value, connection)

    return convert


def overrides_pre_save(field) -> bool:
    return type(field).pre_save is not Field.pre_save


def can_insert_directly(model, objs, connection) -> bool:
    opts = model._meta
    return (
        connection.features.can_return_rows_from_bulk_insert
        and not opts.parents
        and opts.pk.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField")
        and all(obj.pk is None for obj in objs)
        and not any(hasattr(field, "get_placeholder") for field in opts.concrete_fields)
        and not any(getattr(field, "generated", False) for field in opts.concrete_fields)
    )


def insert(model, objs: list, connection, batch_size=None) -> list:
    """INSERT the objects in multi-row statements, setting their keys (as ``bulk_create``)."""
    opts = model._meta
    fields = [field for field in opts.concrete_fields if field is not opts.pk]
    converters = [converter(field, connection) for field in fields]
    saved = [field for field in fields if overrides_pre_save(field)]
    table, quote = opts.db_table, connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    row_sql = f"({', '.join(['%s'] * len(fields))})"
    size = batch_rows(fields, objs, connection, batch_size)
    attnames = [field.attname for field in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start : start + size]
            params = []
            for obj in batch:
                obj._prepare_related_fields_for_save(operation_name="bulk_create")
                for field in saved:
                    field.pre_save(obj, True)  # auto_now(_add) fields take their time here
                params.extend(
                    convert(getattr(obj, attname))
                    for convert, attname in zip(converters, attnames, strict=True)
                )
            cursor.execute(
                f"INSERT INTO {quote(table)} ({columns}) VALUES {', '.join([row_sql] * len(batch))} "
                f"RETURNING {quote(opts.pk.column)}",
                params,
            )
            for obj, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding, obj._state.db = False, connection.alias
    return objs


def insert_history(model, objs: list, connection, history_type: str, default_user, default_change_reason):
    """One historical row per object, as ``bulk_history_create`` writes it."""
    if not objs or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    manager = history_utils.get_history_manager_for_model(model)
    history = manager.model
    tracked = {field.attname for field in history.tracked_fields}
    fields = [field for field in history._meta.concrete_fields if field.name != "history_id"]
    if hasattr(history, "history_relation") or any(
        field.attname not in tracked and field.name not in HISTORY_FIELDS for field in fields
    ):
        manager.bulk_history_create(
            objs,
            update=history_type == "~",
            default_user=default_user,
            default_change_reason=default_change_reason or "",
        )
        return
    user = default_user or history.get_default_history_user(objs[0])
    date = timezone.now()
    getters = []
    for field in fields:
        convert = converter(field, connection)
        if field.attname in tracked:
            getters.append(lambda obj, attname=field.attname, convert=convert: convert(getattr(obj, attname)))
        elif field.name == "history_date":
            stored_date = convert(date)
            getters.append(lambda obj, value=stored_date: value)
        elif field.name == "history_type":
            getters.append(lambda obj: history_type)
        elif field.name == "history_change_reason":
            getters.append(
                lambda obj: history_utils.get_change_reason_from_object(obj) or default_change_reason or ""
            )
        else:  # history_user
            getters.append(
                lambda obj, convert=convert: convert(getattr(getattr(obj, "_history_user", user), "pk", None))
            )
    size = batch_rows(fields, objs, connection, None)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    row_sql = f"({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        # Multi-row statements, as Django's bulk_create: one statement per row (executemany)
        # costs PostgreSQL a parse and plan each.
        for start in range(0, len(objs), size):
            batch = objs[start : start + size]
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({columns}) "
                f"VALUES {', '.join([row_sql] * len(batch))}",
                [get(obj) for obj in batch for get in getters],
            )


def batch_rows(fields, objs, connection, batch_size) -> int:
    """Rows per INSERT: Django's limit for the database (SQLite: 999 values), at most
    ``batch_size`` or 1,000, and within PostgreSQL's 65,535 parameters."""
    size = min(
        batch_size or DEFAULT_BATCH, connection.ops.bulk_batch_size(fields, objs), MAX_PARAMS // len(fields)
    )
    return max(size, 1)


def bulk_create_with_history(
    objs, model, batch_size=None, default_user=None, default_change_reason=None
) -> list:
    """Create the objects and their history in one transaction; returns them with their keys."""
    objs = list(objs)
    connection = connections[router.db_for_write(model)]
    if not objs:
        return objs
    if not can_insert_directly(model, objs, connection):
        return history_utils.bulk_create_with_history(
            objs,
            model,
            batch_size=batch_size,
            default_user=default_user,
            default_change_reason=default_change_reason,
        )
    with transaction.atomic(using=connection.alias, savepoint=False):
        insert(model, objs, connection, batch_size)
        insert_history(model, objs, connection, "+", default_user, default_change_reason)
    return objs


def bulk_update_with_history(
    objs, model, fields, batch_size=None, default_user=None, default_change_reason=None
) -> int:
    """Update the objects' ``fields`` (Django's ``bulk_update``) and record their history."""
    objs = list(objs)
    connection = connections[router.db_for_write(model)]
    with transaction.atomic(using=connection.alias, savepoint=False):
        rows = model._default_manager.bulk_update(objs, fields, batch_size=batch_size) if fields else 0
        insert_history(model, objs, connection, "~", default_user, default_change_reason)
    return rows
