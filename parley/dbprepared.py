"""Querysets turned into SQL once per process, then run many times with new values.

Django turns a queryset into SQL each time it is read. For the reads every signed-in
page makes (the person signed in, the case, its record, the roles, the lists the person
can see) that costs several times the query itself (docs/performance.md, "Prepared reads
against plain querysets"). A :class:`Prepared` read asks Django for its queryset's SQL
once, with placeholder values, and then runs that SQL with the values of each call::

    CASE_BY_REFERENCE = Prepared(
        lambda reference: Disagreement.objects.filter(reference=reference),
        related=("procedure",),
    )
    cases = CASE_BY_REFERENCE(reference="TWSP-000001")   # a list of Disagreement

It uses Django's public API only (ADR 0013):

- the SQL is the statement Django sends for the queryset's ``values_list`` of the columns
  wanted, caught by a database execute wrapper (``connection.execute_wrapper``, Django's
  "database instrumentation") that stops it before it reaches the database;
- it runs on ``connection.cursor()``, as custom SQL does;
- rows become instances by ``Model.from_db``, related objects are attached by assigning
  them as any code would (``case.procedure = procedure``), and each column's value is
  turned into what the ORM gives by its field (``from_db_value``; an aware time; a bool).
  A field of a kind it does not know how to read is refused when the read is first
  prepared, never read wrongly.

What a read gives is said where it is declared, not read out of the queryset: instances
of the queryset's model with the objects named by ``related`` attached (as
``select_related``), with only the fields ``only`` names or without those ``leave``
names (as ``only()`` and ``defer()``); or, given ``columns``, rows of those values (as
``values_list(*columns)``; a column that is not a field, such as an annotation's count,
comes as the database gives it, so it must be a number or text).

Values may be ``int``, ``str``, an aware ``datetime``, or a list or tuple of ints or
strs (an ``__in`` lookup: each length is prepared once). Placeholders are chosen inside
the range of every column (integers between 31,000 and 33,000; times in 1901), and each
query is prepared twice with different ones, so that a constant that happens to equal a
placeholder is found rather than overwritten. Each value must reach the SQL as a
parameter: one that Django would rewrite (``contains`` wraps it in ``%``) or write into
the SQL itself (a slice's ``LIMIT``) is refused when the query is first prepared, so a
query that cannot be prepared fails at once rather than answering wrongly. A page of a
list is asked for with ``window=(offset, limit)``: both are sent as values, so every page
runs the one statement.

Where the form of the query depends on something other than its values (which of a
person's roles give them sight of which cases), pass it as ``layout``: any hashable
value, handed to the builder as its first argument, written into the SQL and kept in the
cache key, so each distinct layout is prepared once (the 500 most recently used are kept,
under a lock: several threads may share a process).

On PostgreSQL, Django's ``server_side_binding`` option (``parley.dburl``) sends the values
apart from the SQL, so psycopg prepares each statement on the server once it has run five
times on a connection, and the server keeps it planned as well: planning costs more than
running (the same section of docs/performance.md).

``tests/test_dbprepared.py`` checks each prepared read of the project against the plain
queryset, and each kind of field against what the ORM reads, on both databases: a Django
upgrade that changed what this module relies on fails there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime

T = TypeVar("T")

Value = int | str | datetime
Convert = Callable[[Any], Any]
_NO_LAYOUT = object()
_LAYOUTS_KEPT = 500
_EPOCH = datetime(1901, 1, 1, tzinfo=UTC)
# The names a window's values go by (no value of a query may take them).
_LIMIT, _OFFSET = "\ue000limit", "\ue000offset"
# A time as the database takes it (text, on SQLite): the field's own conversion.
_STAMP = models.DateTimeField()
# A slice of the queryset, written by Django into the statement's text.
_SLICED = re.compile(r"\bLIMIT\s+-?\d+(\s+OFFSET\s+\d+)?\s*$", re.IGNORECASE)


class NotPreparable(Exception):
    """The queryset cannot be run again with new values: see the module's notes."""


class _Caught(Exception):
    """Raised by the execute wrapper, so the statement never reaches the database."""


@dataclass(frozen=True)
class _Part:
    """One model's columns in a row: the model, built from ``start`` to ``end``, and
    attached to the object at ``parent`` (an index into the row's objects) as ``name``."""

    model: Any
    attnames: tuple[str, ...]
    start: int
    end: int
    key_at: int  # where its primary key is among its columns
    parent: int  # -1 for the model the query is of
    name: str


@dataclass(frozen=True)
class _Compiled:
    sql: str  # "" when the query is empty whatever the values (``pk__in=[]``)
    params: tuple[Any, ...]
    # (position in params, name of the value, index within a list value or -1, adapt)
    slots: tuple[tuple[int, str, int, bool], ...]
    converters: tuple[tuple[int, Convert], ...]
    parts: tuple[_Part, ...]  # none for rows of values
    db: str


def _placeholder(kind: type, name: str, index: int, number: int, base: int) -> Value:
    if kind is int:
        # Within the range of every integer column (Django refuses a value out of a
        # column's range, and the smallest is 0 to 32,767), and distinct within a query.
        return base + number
    if kind is datetime:
        return _EPOCH + timedelta(microseconds=base + number)
    return f"\ue000parley-prepared-{name}-{index}-{base}-{number}\ue000"


def _as_time(value: Any) -> Any:
    """A time as the ORM reads it: aware, in UTC where the database gave it naive."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime) and value.utcoffset() is None and settings.USE_TZ:
        return value.replace(tzinfo=UTC)
    return value


def _as_bool(value: Any) -> Any:
    return value if value is None else bool(value)


# The kinds of field a prepared read takes as the database gives them.
_AS_GIVEN = (
    models.IntegerField,  # and every integer and automatic key field
    models.CharField,  # and EmailField, SlugField
    models.TextField,
    models.FloatField,
)


def _converter(field: Any, connection: Any) -> Convert | None:
    """How a column of ``field`` becomes what the ORM gives, or None if it already is."""
    if isinstance(field, models.ForeignKey):  # and OneToOneField: the key it holds
        return _converter(field.target_field, connection)
    if hasattr(field, "from_db_value"):  # a field that says how it reads (JSON)
        return lambda value: field.from_db_value(value, None, connection)
    if isinstance(field, models.DateTimeField):
        if connection.settings_dict.get("TIME_ZONE"):
            raise NotPreparable("a prepared read takes times stored in UTC")
        # PostgreSQL's times come from psycopg aware already (tests/test_dbprepared.py).
        return None if connection.vendor == "postgresql" else _as_time
    if isinstance(field, models.BooleanField):
        return _as_bool
    if isinstance(field, (models.DateField, *_AS_GIVEN)):
        return None
    raise NotPreparable(f"{field}: a {type(field).__name__} is not read by a prepared read")


def _field_at(model: Any, path: str) -> Any:
    """The field a ``values_list`` path names, or None for an annotation."""
    *through, last = path.split("__")
    for name in through:
        model = model._meta.get_field(name).related_model
    if last == "pk":
        return model._meta.pk
    try:
        return model._meta.get_field(last)
    except FieldDoesNotExist:
        return None


def _loaded(fields: Iterable[Any], prefix: str, only: set[str], leave: set[str]) -> list[str]:
    """The attnames of ``fields`` a read takes, as ``only()`` and ``defer()`` would."""
    taken = []
    for field in fields:
        path = f"{prefix}{field.name}"
        if field.primary_key or (
            path not in leave and (not only or path in only or f"{prefix}{field.attname}" in only)
        ):
            taken.append(field.attname)
    return taken


class Prepared(Generic[T]):
    """A queryset turned into SQL once per process for each layout and shape of values."""

    def __init__(
        self,
        build: Callable[..., QuerySet[Any]],
        *,
        related: tuple[str, ...] = (),
        only: tuple[str, ...] = (),
        leave: tuple[str, ...] = (),
        columns: tuple[str, ...] = (),
    ) -> None:
        if columns and (related or only or leave):
            raise NotPreparable("rows of values have no related objects or deferred fields")
        self.build = build
        self.related = tuple(sorted(related, key=lambda path: path.count("__")))
        self.only = set(only)
        self.leave = set(leave)
        self.columns = columns
        self._compiled: OrderedDict[tuple[Any, ...], _Compiled] = OrderedDict()
        # Web processes may answer from several threads: the cache is read, reordered and
        # trimmed under this lock (preparing, which asks nothing of the cache, outside it).
        self._lock = threading.Lock()

    def __call__(
        self,
        layout: Hashable = _NO_LAYOUT,
        *,
        window: tuple[int, int] | None = None,
        **values: Any,
    ) -> list[T]:
        """Run with ``values``; ``window`` (offset, limit) takes one page of the rows, both
        sent as values, so every page of a list runs the one statement."""
        shape = tuple(sorted((name, _shape(name, value)) for name, value in values.items()))
        key = (layout, shape, window is not None)
        with self._lock:
            compiled = self._compiled.get(key)
            if compiled is not None:
                self._compiled.move_to_end(key)  # the most recently used are kept
        if compiled is None:
            compiled = self._compile(layout, shape, windowed=window is not None)
            with self._lock:
                self._compiled[key] = compiled
                while len(self._compiled) > _LAYOUTS_KEPT:
                    self._compiled.popitem(last=False)
        if not compiled.sql:
            return []
        if window is not None:
            offset, limit = window
            if offset < 0 or limit < 0:
                raise NotPreparable("a window is an offset and a limit, neither below 0")
            values = {**values, _LIMIT: limit, _OFFSET: offset}
        return self._run(compiled, values)

    def _compile(
        self, layout: Hashable, shape: tuple[tuple[str, Any], ...], *, windowed: bool = False
    ) -> _Compiled:
        # Prepared twice with different placeholders: a constant of the query that equals
        # a placeholder by chance would put a value in the wrong place, and cannot do so
        # in both.
        compiled = self._slots(layout, shape, base=31_000)
        if not compiled.sql:
            return compiled
        again = self._slots(layout, shape, base=32_000)
        if again.sql != compiled.sql or again.slots != compiled.slots:
            raise NotPreparable("the query's SQL depends on its values: pass a layout")
        if not windowed:
            return compiled
        if _SLICED.search(compiled.sql):
            raise NotPreparable("a windowed query is not sliced: the window is its values")
        at = len(compiled.params)
        return dataclasses.replace(
            compiled,
            sql=f"{compiled.sql} LIMIT %s OFFSET %s",
            params=(*compiled.params, 0, 0),
            slots=(*compiled.slots, (at, _LIMIT, -1, False), (at + 1, _OFFSET, -1, False)),
        )

    def _reading(
        self, built: QuerySet[Any]
    ) -> tuple[QuerySet[Any], tuple[_Part, ...], tuple[str, ...]]:
        """The ``values_list`` to ask Django for, how its rows make instances (no parts for
        rows of values) and the path of each of its columns."""
        if self.columns:
            return built.values_list(*self.columns), (), self.columns
        parts: list[_Part] = []
        index_of: dict[str, int] = {}
        paths: list[str] = []
        for path in ("", *self.related):
            parent, _, name = path.rpartition("__")
            if path:
                target = parts[index_of[parent]].model._meta.get_field(name).related_model
            else:
                target = built.model
            prefix = f"{path}__" if path else ""
            attnames = _loaded(target._meta.concrete_fields, prefix, self.only, self.leave)
            index_of[path] = len(parts)
            parts.append(
                _Part(
                    model=target,
                    attnames=tuple(attnames),
                    start=len(paths),
                    end=len(paths) + len(attnames),
                    key_at=attnames.index(target._meta.pk.attname),
                    parent=index_of[parent] if path else -1,
                    name=name,
                )
            )
            paths.extend(f"{prefix}{attname}" for attname in attnames)
        return built.values_list(*paths), tuple(parts), tuple(paths)

    def _slots(
        self, layout: Hashable, shape: tuple[tuple[str, Any], ...], *, base: int
    ) -> _Compiled:
        """Prepared with placeholders: the SQL, params and where each value goes; the SQL
        is "" when the query is empty whatever the values (``pk__in=[]``)."""
        marks: dict[Any, tuple[str, int]] = {}
        arguments: dict[str, Any] = {}
        number = 0
        for name, (kind, length) in shape:
            items = []
            for index in range(1 if length is None else length):
                number += 1
                where = index if length is not None else -1
                mark = _placeholder(kind, name, where, number, base)
                marks[mark] = (name, where)
                items.append(mark)
            arguments[name] = items[0] if length is None else items
        built = self.build(**arguments) if layout is _NO_LAYOUT else self.build(layout, **arguments)
        query, parts, paths = self._reading(built)
        connection = connections[query.db]
        caught = _statement(query)
        if caught is None:
            if any(length == 0 for _, (_, length) in shape):
                return _Compiled("", (), (), (), (), query.db)
            raise NotPreparable("a value is outside the range of its column")
        sql, params = caught
        # A time reaches the SQL as the database takes it (text, on SQLite).
        adapted = {
            _STAMP.get_db_prep_value(mark, connection): where
            for mark, where in marks.items()
            if isinstance(mark, datetime)
        }
        slots = []
        for position, param in enumerate(params):
            if isinstance(param, bool):
                continue
            if isinstance(param, int | str | datetime) and param in marks:
                slots.append((position, *marks[param], False))
            elif isinstance(param, str) and param in adapted:
                slots.append((position, *adapted[param], True))
        missing = set(marks.values()) - {(name, index) for _, name, index, _ in slots}
        if missing or any(isinstance(mark, str) and mark in sql for mark in marks):
            raise NotPreparable(
                f"values {sorted({name for name, _ in missing}) or 'given'} do not reach the "
                "SQL as parameters unchanged"
            )
        fields = [_field_at(built.model, path) for path in paths]
        converters = tuple(
            (position, convert)
            for position, field in enumerate(fields)
            if field is not None and (convert := _converter(field, connection)) is not None
        )
        return _Compiled(sql, tuple(params), tuple(slots), converters, parts, query.db)

    @staticmethod
    def _run(compiled: _Compiled, values: dict[str, Any]) -> list[T]:
        connection = connections[compiled.db]
        params = list(compiled.params)
        for position, name, index, adapt in compiled.slots:
            value = values[name] if index < 0 else values[name][index]
            params[position] = _STAMP.get_db_prep_value(value, connection) if adapt else value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        found: list[Any] = []
        for raw in rows:
            row = list(raw)
            for position, convert in compiled.converters:
                row[position] = convert(row[position])
            if not compiled.parts:
                found.append(tuple(row))
                continue
            found.append(_objects(compiled, row))
        return found


def _objects(compiled: _Compiled, row: list[Any]) -> Any:
    """The query's model built from a row, its related objects attached."""
    built: list[Any] = []
    for part in compiled.parts:
        values = row[part.start : part.end]
        if part.parent < 0:
            built.append(part.model.from_db(compiled.db, part.attnames, values))
            continue
        # A related object none of whose columns came back is not there (a LEFT JOIN). It
        # is left unassigned: its key on the owner is empty, so Django reads it as None
        # without asking the database.
        if values[part.key_at] is None:
            built.append(None)
            continue
        obj = part.model.from_db(compiled.db, part.attnames, values)
        owner = built[part.parent]
        if owner is not None:
            setattr(owner, part.name, obj)
        built.append(obj)
    return built[0]


def _statement(query: QuerySet[Any]) -> tuple[str, tuple[Any, ...]] | None:
    """The SQL and parameters Django sends for ``query``, caught before they are sent;
    None if Django sends nothing (the query is empty whatever the database holds)."""
    caught: list[tuple[str, tuple[Any, ...]]] = []

    def catch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        caught.append((sql, tuple(params or ())))
        raise _Caught

    with connections[query.db].execute_wrapper(catch), contextlib.suppress(_Caught):
        list(query)
    if len(caught) > 1:
        raise NotPreparable("a prepared read is one statement")
    return caught[0] if caught else None


def _shape(name: str, value: object) -> tuple[type, int | None]:
    if isinstance(value, bool):
        raise NotPreparable(f"{name}: a bool is not a value a prepared query takes")
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise NotPreparable(f"{name}: a time must carry its timezone")
        return (datetime, None)
    if isinstance(value, int | str):
        return (type(value), None)
    if isinstance(value, list | tuple):
        kinds = {type(item) for item in value}
        if len(kinds) > 1 or kinds - {int, str}:
            raise NotPreparable(f"{name}: a list of ints or of strs, not {kinds}")
        return (kinds.pop() if kinds else int, len(value))
    raise NotPreparable(f"{name}: {type(value).__name__} is not a value a prepared query takes")
