import functools

from django.db import connection

from kpi_portal.written_sql import column, table
from reports.models import Notification


@functools.cache
def unread_sql() -> str:
    """The ORM's ``Notification.objects.filter(recipient=user).unread().count()``, written
    once: every page with the navigation runs it, and the ORM compiled it each time."""
    return (
        f"SELECT COUNT(*) FROM {table(Notification)}"
        f" WHERE {column(Notification, 'recipient')} = %s AND {column(Notification, 'read_at')} IS NULL"
    )


def unread_count(user) -> int:
    with connection.cursor() as cursor:
        cursor.execute(unread_sql(), [user.pk])
        return cursor.fetchone()[0]


def unread_notifications(request):
    """The navigation's unread count: one cheap query (a partial index), made only when
    a page shows the navigation (the template calls it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": lambda: unread_count(user)}
