"""Querysets compiled to SQL once per process, then run many times with new values.

Django turns a queryset into SQL each time it is read. For the reads every signed-in
page makes (the person signed in, the case, its record, the roles, the lists the person
can see) that compiling costs several times the query itself (docs/performance.md,
"Measurements behind choices in the code"). A :class:`Prepared` query compiles its
queryset once, with placeholder values, and then runs that SQL with the values of each
call, building the model instances as Django does (``select_related`` included), or rows
of values for a ``values_list`` or a count::

    CASE_BY_REFERENCE = Prepared(
        lambda reference: Disagreement.objects.select_related("procedure")
        .filter(reference=reference)
    )
    cases = CASE_BY_REFERENCE(reference="TWSP-000001")   # a list of Disagreement

Values may be ``int``, ``str``, an aware ``datetime``, or a list or tuple of ints or
strs (an ``__in`` lookup: each length is compiled once). Placeholders are chosen inside
the range of every column (integers between 31,000 and 33,000; times in 1901), and each
query is compiled twice with different ones, so that a constant that happens to equal a
placeholder is found rather than overwritten. Each value must reach the SQL as a
parameter: one that Django would rewrite (``contains`` wraps it in ``%``) or write into
the SQL itself (a slice's ``LIMIT``) is refused when the query is first compiled, so a
query that cannot be prepared fails at once rather than answering wrongly. A page of a
list is asked for with ``window=(offset, limit)``: both are sent as values, so every page
runs the one statement.

Where the form of the query depends on something other than its values (which of a
person's roles give them sight of which cases), pass it as ``layout``: any hashable
value, handed to the builder as its first argument, written into the SQL and kept in the
cache key, so each distinct layout is compiled once (the 500 most recently used are kept,
under a lock: several threads may share a process).

On PostgreSQL the statements are run through a cursor that sends the values apart from
the SQL (:func:`statement_cursor`), so that after a few runs on a connection the server
keeps each statement planned as well: planning costs more than running (the same
section of docs/performance.md).

``tests/test_dbprepared.py`` checks each prepared query of the project against the plain
queryset, and fails when an upgrade of Django changes any of the parts of it this module
relies on beyond its public API (ADR 0013).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators

T = TypeVar("T")

Value = int | str | datetime
_NO_LAYOUT = object()
_LAYOUTS_KEPT = 500
_EPOCH = datetime(1901, 1, 1, tzinfo=UTC)
# The names a window's values go by (no value of a query may take them).
_LIMIT, _OFFSET = "\ue000limit", "\ue000offset"


class NotPreparable(Exception):
    """The queryset cannot be run again with new values: see the module's notes."""


@dataclass(frozen=True)
class _Compiled:
    sql: str  # "" when the query is empty whatever the values (``pk__in=[]``)
    params: tuple[Any, ...]
    # (position in params, name of the value, index within a list value or -1, adapt)
    slots: tuple[tuple[int, str, int, bool], ...]
    model: Any  # the model built from each row, or None for rows of values
    init_list: tuple[str, ...]
    start: int
    end: int
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]
    populators: tuple[Any, ...]
    annotations: tuple[tuple[str, int], ...]
    columns: int
    db: str


def _placeholder(kind: type, name: str, index: int, number: int, base: int) -> Value:
    if kind is int:
        # Within the range of every integer column (Django refuses a value out of a
        # column's range, and the smallest is 0 to 32,767), and distinct within a query.
        return base + number
    if kind is datetime:
        return _EPOCH + timedelta(microseconds=base + number)
    return f"\ue000parley-prepared-{name}-{index}-{base}-{number}\ue000"


class Prepared(Generic[T]):
    """A queryset compiled once per process for each layout and shape of its values."""

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self.build = build
        self._compiled: OrderedDict[tuple[Any, ...], _Compiled] = OrderedDict()
        # Web processes may answer from several threads: the cache is read, reordered and
        # trimmed under this lock (compiling, which asks nothing of the cache, outside it).
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
        # Compiled twice with different placeholders: a constant of the query that equals
        # a placeholder by chance would put a value in the wrong place, and cannot do so
        # in both.
        compiler, sql, params, slots = self._slots(layout, shape, base=31_000)
        if not sql:
            return _Compiled("", (), (), None, (), 0, 0, (), (), (), 0, compiler.using)
        again = self._slots(layout, shape, base=32_000)
        if again[1] != sql or again[3] != slots:
            raise NotPreparable("the query's SQL depends on its values: pass a layout")
        if windowed:
            if compiler.query.is_sliced:
                raise NotPreparable("a windowed query is not sliced: the window is its values")
            sql = f"{sql} LIMIT %s OFFSET %s"
            at = len(params)
            params = (*params, 0, 0)
            slots = (*slots, (at, _LIMIT, -1, False), (at + 1, _OFFSET, -1, False))
        db = compiler.using
        select = compiler.select
        fields = [s[0] for s in select[0 : compiler.col_count]]
        converters = tuple(
            (position, tuple(convs), expression)
            for position, (convs, expression) in compiler.get_converters(fields).items()
        )
        if compiler.query.model is not None and not compiler.query.default_cols:
            # Rows of values: a values_list, a count.
            return _Compiled(
                sql, params, slots, None, (), 0, 0, converters, (), (), compiler.col_count, db
            )
        klass_info = compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return _Compiled(
            sql=sql,
            params=params,
            slots=slots,
            model=klass_info["model"],
            init_list=tuple(f[0].target.attname for f in select[start:end]),
            start=start,
            end=end,
            converters=converters,
            populators=tuple(get_related_populators(klass_info, select, db)),
            annotations=tuple((compiler.annotation_col_map or {}).items()),
            columns=compiler.col_count,
            db=db,
        )

    def _slots(
        self, layout: Hashable, shape: tuple[tuple[str, Any], ...], *, base: int
    ) -> tuple[Any, str, tuple[Any, ...], tuple[tuple[int, str, int, bool], ...]]:
        """Compile with placeholders: the compiler, SQL, params and where each value goes;
        the SQL is "" when the query is empty whatever the values (``pk__in=[]``)."""
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
        if built._iterable_class not in (ModelIterable, ValuesListIterable):
            raise NotPreparable("a prepared query gives model instances or tuples of values")
        compiler = built.query.get_compiler(using=built.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            if any(length == 0 for _, (_, length) in shape):
                return compiler, "", (), ()
            raise NotPreparable("a value is outside the range of its column") from None
        connection = connections[compiler.using]
        # A time reaches the SQL as the database takes it (text, on SQLite).
        adapted = {
            connection.ops.adapt_datetimefield_value(mark): where
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
        return compiler, sql, tuple(params), tuple(slots)

    @staticmethod
    def _run(compiled: _Compiled, values: dict[str, Any]) -> list[T]:
        db = compiled.db
        connection = connections[db]
        params = list(compiled.params)
        for position, name, index, adapt in compiled.slots:
            value = values[name] if index < 0 else values[name][index]
            params[position] = connection.ops.adapt_datetimefield_value(value) if adapt else value
        with statement_cursor(connection) as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        found: list[Any] = []
        for raw in rows:
            row = list(raw)
            for position, convs, expression in compiled.converters:
                value = row[position]
                for convert in convs:
                    value = convert(value, expression, connection)
                row[position] = value
            if compiled.model is None:
                found.append(tuple(row[: compiled.columns]))
                continue
            obj = compiled.model.from_db(
                db, list(compiled.init_list), row[compiled.start : compiled.end]
            )
            for populator in compiled.populators:
                populator.populate(row, obj)
            for name, position in compiled.annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found


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


def statement_cursor(connection: Any) -> Any:
    """A cursor for SQL that is run again and again. On PostgreSQL it binds values on the
    server (psycopg's ``Cursor``, not Django's default client-side one), so psycopg
    prepares a statement once it has run five times on a connection and the server keeps
    its plan; elsewhere, Django's own cursor. Either way it is Django's cursor wrapper,
    so queries are logged, counted and their errors are Django's."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(ServerBindingCursor(connection.connection))
