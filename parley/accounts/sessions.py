"""Sessions in the database, as Django keeps them, read with one plain query.

Every signed-in request reads its session. Django's own store reads it through the ORM,
whose compiling of the query costs several times the query (docs/performance.md,
"Measurements behind choices in the code"). This store reads the same row with the same conditions
(the key, not yet expired) in SQL written once; writing, creating and deleting are
Django's own.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, models, router
from django.utils import timezone

# A time as the database takes it (text, on SQLite): the field's own conversion.
_STAMP = models.DateTimeField()


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Any:
        key = self.session_key
        if not key:
            self._session_key = None
            return None
        connection = connections[router.db_for_read(self.model)]
        table = connection.ops.quote_name(self.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
                [key, _STAMP.get_db_prep_value(timezone.now(), connection)],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return SimpleNamespace(session_data=row[0])
