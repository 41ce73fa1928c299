"""Writing many rows at once: PostgreSQL's COPY where it is there, ``bulk_create`` elsewhere.

Django's ``bulk_create`` prepares every value of every row in Python and sends them as
arrays; for tens of thousands of rows that preparation is most of the time. COPY streams
the rows as they are. Values are taken as ``bulk_create`` would take them (each field's
``pre_save``, so ``auto_now_add`` and defaults apply), JSON fields as JSONB.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

# Fewer rows than this go through bulk_create: COPY's set-up would cost more than it saves.
FEW = 500


def rows_insert(
    model: type[models.Model],
    rows: Sequence[models.Model | Mapping[str, Any]],
    *,
    ignore_conflicts: bool = False,
    with_id: bool = False,
) -> None:
    """Insert ``rows``: unsaved instances, or mappings of field attribute names to values
    (``recipient_id``, not ``recipient``), which spare building an instance for each row;
    a field a mapping leaves out takes its default, or the time now for ``auto_now_add``.
    ``ignore_conflicts`` leaves out any row that would break a unique constraint, as
    ``bulk_create(ignore_conflicts=True)`` does; ``with_id`` writes the primary keys the
    rows already carry."""
    if not rows:
        return
    if connection.vendor != "postgresql" or len(rows) < FEW:
        instances = [row if isinstance(row, models.Model) else model(**row) for row in rows]
        model._default_manager.bulk_create(
            instances, batch_size=2000, ignore_conflicts=ignore_conflicts
        )
        return
    from psycopg.types.json import Jsonb

    fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    json = {f.attname for f in fields if isinstance(f, models.JSONField)}
    now = timezone.now()
    missing = {
        f.attname: now
        if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)
        else f.get_default()
        for f in fields
    }

    def values(row: models.Model | Mapping[str, Any]) -> list[Any]:
        if isinstance(row, Mapping):
            found = [row.get(f.attname, missing[f.attname]) for f in fields]
        else:
            found = [f.pre_save(row, True) for f in fields]
        return [
            Jsonb(value) if f.attname in json else value
            for f, value in zip(fields, found, strict=True)
        ]

    # wrap_database_errors: COPY runs on psycopg's own cursor; its errors become Django's.
    with transaction.atomic(), connection.cursor() as cursor, connection.wrap_database_errors:
        target = table
        if ignore_conflicts:
            # COPY has no "on conflict": copy into a table of this transaction's own, then
            # insert from it what does not conflict.
            target = connection.ops.quote_name(f"{model._meta.db_table}_incoming")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {target} AS SELECT {columns} FROM {table} WITH NO DATA"
            )
        with cursor.cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(values(row))
        if ignore_conflicts:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {target} "
                "ON CONFLICT DO NOTHING"
            )
            cursor.execute(f"DROP TABLE {target}")
