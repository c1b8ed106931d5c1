"""Reads written once as SQL for what every request (or every autosave) runs: the ORM
compiled the same SELECT again each time, more CPU than the database took to answer.
Objects are made from the rows as the ORM makes them: each column converted by the
backend's and the field's converters, then ``Model.from_db``."""

import functools

from django.db import connection


def table(model) -> str:
    """``model``'s table name, quoted."""
    return connection.ops.quote_name(model._meta.db_table)


def column(model, field: str) -> str:
    """The column of ``model``'s ``field`` ("pk" for the primary key), quoted."""
    return connection.ops.quote_name(field_of(model, field).column)


def columns(model, alias: str) -> str:
    """``model``'s concrete columns, in field order, qualified by ``alias``."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def converters(model) -> list[tuple]:
    """For each of ``model``'s concrete fields, its column and the converters of its values:
    the backend's, then the field's."""
    return [
        (column, connection.ops.get_db_converters(column) + field.get_db_converters(connection))
        for field in model._meta.concrete_fields
        for column in [field.get_col(model._meta.db_table)]
    ]


def instance(model, values, converted_by: list[tuple] | None = None):
    """``model``'s object from its concrete fields' ``values`` as the database gave them,
    converted as the ORM converts them (``converters(model)``, given when many rows are
    made)."""
    converted = []
    for (column, functions), value in zip(converted_by or converters(model), values, strict=True):
        for function in functions:
            value = function(value, column, connection)
        converted.append(value)
    return model.from_db(
        connection.alias, [field.attname for field in model._meta.concrete_fields], converted
    )


def field_of(model, name: str):
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


@functools.cache
def related_sql(model, by: str, joined: tuple[str, ...], order: tuple[str, ...], count: int) -> str:
    """``model``'s rows whose foreign key ``by`` is one of ``count`` values, each with the
    rows of its foreign keys ``joined`` (select_related: an inner join, an outer one for a
    key that may be empty), sorted by ``order``."""
    quote = connection.ops.quote_name
    selected, joins = [columns(model, "t")], []
    for number, name in enumerate(joined):
        key = model._meta.get_field(name)
        other = key.related_model
        selected.append(columns(other, f"j{number}"))
        kind = "LEFT OUTER JOIN" if key.null else "INNER JOIN"
        joins.append(
            f" {kind} {quote(other._meta.db_table)} j{number}"
            f" ON t.{quote(key.column)} = j{number}.{quote(key.target_field.column)}"
        )
    sort = ", ".join(f"t.{quote(field_of(model, name).column)}" for name in order)
    return (
        f"SELECT {', '.join(selected)} FROM {quote(model._meta.db_table)} t{''.join(joins)}"
        f" WHERE t.{quote(model._meta.get_field(by).column)} IN ({', '.join(['%s'] * count)})"
        f" ORDER BY {sort}"
    )


def prefetch(
    model, by: str, parents: list, joined: tuple[str, ...] = (), order: tuple[str, ...] = ()
) -> None:
    """What ``prefetch_related`` of ``parents``' reverse relation of ``model.by`` (with a
    ``Prefetch`` queryset of ``select_related(*joined).order_by(*order)``) sets: each
    parent's related objects, each object's parent and joined objects; one query, none
    when there are no parents."""
    key = model._meta.get_field(by)
    accessor = key.remote_field.get_accessor_name()
    cache_name = key.remote_field.cache_name
    found = {parent.pk: [] for parent in parents}
    owners = {parent.pk: parent for parent in parents}
    if parents:
        with connection.cursor() as cursor:
            cursor.execute(related_sql(model, by, joined, order, len(owners)), list(owners))
            rows = cursor.fetchall()
        width = len(model._meta.concrete_fields)
        # Each joined key: where its columns start and end in a row, where its pk is among
        # them, and its converters.
        spans, start = [], width
        for name in joined:
            joined_key = model._meta.get_field(name)
            fields = joined_key.related_model._meta.concrete_fields
            pk_index = fields.index(joined_key.related_model._meta.pk)
            spans.append(
                (joined_key, start, start + len(fields), pk_index, converters(joined_key.related_model))
            )
            start += len(fields)
        own = converters(model)
        for row in rows:
            obj = instance(model, row[:width], own)
            for joined_key, start, end, pk_index, joined_converters in spans:
                values = row[start:end]
                other = (
                    None
                    if values[pk_index] is None
                    else instance(joined_key.related_model, values, joined_converters)
                )
                joined_key.set_cached_value(obj, other)
            parent_pk = getattr(obj, key.attname)
            key.set_cached_value(obj, owners[parent_pk])
            found[parent_pk].append(obj)
    for parent in parents:
        queryset = getattr(parent, accessor).get_queryset()
        queryset._result_cache = found[parent.pk]
        queryset._prefetch_done = True
        if not hasattr(parent, "_prefetched_objects_cache"):
            parent._prefetched_objects_cache = {}
        parent._prefetched_objects_cache[cache_name] = queryset
