"""Reads written once as SQL for what every request (or every autosave) runs: the ORM
compiled the same SELECT again each time, more CPU than the database took to answer.
Objects are made from the rows as the ORM makes them: each column converted by the
backend's and the field's converters, then ``Model.from_db``."""

from django.db import connection


def columns(model, alias: str) -> str:
    """``model``'s concrete columns, in field order, qualified by ``alias``."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def instance(model, values):
    """``model``'s object from its concrete fields' ``values`` as the database gave them,
    converted as the ORM converts them (the backend's converters, then the field's)."""
    fields = model._meta.concrete_fields
    converted = []
    for field, value in zip(fields, values, strict=True):
        column = field.get_col(model._meta.db_table)
        for converter in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in fields], converted)
