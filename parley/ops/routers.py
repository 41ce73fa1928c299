"""Send report reads to a read replica, when one is configured (docs/deploy.md).

Enabled by ``PARLEY_REPLICA_DATABASE_URL``: settings then add a ``replica`` database
and ``DATABASE_ROUTERS = ["parley.ops.routers.ReplicaRouter"]``. Reports read a lot
and can bear a few seconds of replication lag; case work cannot, so everything else
stays on ``default``.

Which reads go to the replica:

- every read of a model of the reports app (``app_label == "reports"``);
- the board report's figures and the cases behind them, which name the database
  themselves (:func:`report_database`).

Never the replica: writes, migrations, and reads inside a transaction on ``default``
(a report that writes and then reads must see its own write).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Model

REPLICA = "replica"
DEFAULT = "default"
REPORTS_APP_LABEL = "reports"


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def report_database() -> str:
    """The database a report reads from: the replica when one is configured.

    A report names it explicitly (``.using()``, ``transaction.atomic(using=...)``) rather
    than leaving it to :class:`ReplicaRouter`, because a report's queries run inside a
    transaction of their own (to set their memory), where the router keeps every read on
    ``default``. Inside a transaction already open on ``default`` (a caller that has
    written and reads back; a test), ``default``: the replica cannot see those writes.
    """
    if not replica_configured() or connections[DEFAULT].in_atomic_block:
        return DEFAULT
    return REPLICA


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if not replica_configured():
            return None
        if model._meta.app_label != REPORTS_APP_LABEL:
            return None
        if connections[DEFAULT].in_atomic_block:
            return DEFAULT
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return DEFAULT

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica holds the same rows as default: objects read from either may be
        # related to each other.
        databases = {DEFAULT, REPLICA}
        if obj1._state.db in databases and obj2._state.db in databases:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica copies default's schema by replication; never migrate it directly.
        return db != REPLICA
