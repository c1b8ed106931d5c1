"""The session store (``SESSION_ENGINE``): Django's database sessions, the one read every
request makes written once as SQL (kpi_portal.written_sql). Same table, same rows, same
encoding: sessions stored before carry on."""

import functools
import logging

from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation
from django.db import connection
from django.utils import timezone

from kpi_portal.written_sql import column, columns, instance, table


@functools.cache
def session_sql(model) -> str:
    """The session of a key, unless expired: the ORM's
    ``get(session_key=..., expire_date__gt=now)``."""
    return (
        f"SELECT {columns(model, 's')} FROM {table(model)} s"
        f" WHERE s.{column(model, 'expire_date')} > %s AND s.{column(model, 'session_key')} = %s"
    )


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        now = model._meta.get_field("expire_date").get_db_prep_value(timezone.now(), connection)
        try:
            with connection.cursor() as cursor:
                cursor.execute(session_sql(model), [now, self.session_key])
                row = cursor.fetchone()
            if row is None:
                raise model.DoesNotExist
            return instance(model, row)
        except (model.DoesNotExist, SuspiciousOperation) as e:
            if isinstance(e, SuspiciousOperation):
                logger = logging.getLogger(f"django.security.{e.__class__.__name__}")
                logger.warning(str(e))
            self._session_key = None
