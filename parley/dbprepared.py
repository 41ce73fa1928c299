"""Querysets compiled to SQL once per process, then run many times with new values.

Django turns a queryset into SQL each time it is read. For the few reads every signed-in
page makes (the person signed in, the case, its record, the roles) that compiling costs
several times the query itself: a case with its procedure, agencies and people took
1.25 ms to compile and 0.13 ms to run (measured in-process on SQLite). A
:class:`Prepared` query compiles its queryset once, with placeholder values, and then
runs that SQL with the values of each call, building the model instances as Django does
(``select_related`` included)::

    CASE_BY_REFERENCE = Prepared(
        lambda reference: Disagreement.objects.select_related("procedure")
        .filter(reference=reference)
    )
    cases = CASE_BY_REFERENCE(reference="TWSP-000001")   # a list of Disagreement

Values may be ``int``, ``str``, or a list or tuple of them (an ``__in`` lookup: each
length is compiled once). Integers are compiled with placeholders between 31,000 and
33,000, inside the range of every integer column, and twice, so that a constant of the
query that happens to equal a placeholder is found rather than overwritten. Each value
must reach the SQL as a parameter, unchanged: one that Django would rewrite
(``contains`` wraps it in ``%``) or write into the SQL itself (a slice's ``LIMIT``) is
refused when the query is first compiled, so a query that cannot be prepared fails at
once rather than answering wrongly. ``tests/test_dbprepared.py`` checks each prepared
query of the project against the plain queryset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=Model)

Value = int | str


class NotPreparable(Exception):
    """The queryset cannot be run again with new values: see the module's notes."""


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    # (position in params, name of the value, index within a list value or -1)
    slots: tuple[tuple[int, str, int], ...]
    model: type[Model]
    init_list: tuple[str, ...]
    start: int
    end: int
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]
    populators: tuple[Any, ...]
    annotations: tuple[tuple[str, int], ...]
    db: str


def _placeholder(kind: type, name: str, index: int, number: int, base: int) -> Value:
    if kind is int:
        # Within the range of every integer column (Django refuses a value out of a
        # column's range, and the smallest is 0 to 32,767), and distinct within a query.
        return base + number
    return f"\ue000parley-prepared-{name}-{index}-{base}-{number}\ue000"


class Prepared(Generic[M]):
    """A queryset compiled once per process, database and shape of its values."""

    def __init__(self, build: Callable[..., QuerySet[M]]) -> None:
        self.build = build
        self._compiled: dict[tuple[Any, ...], _Compiled] = {}

    def __call__(self, **values: Value | Sequence[Value]) -> list[M]:
        shape = tuple(sorted((name, _shape(name, value)) for name, value in values.items()))
        compiled = self._compiled.get(shape)
        if compiled is None:
            compiled = self._compiled[shape] = self._compile(shape)
        if not compiled.sql:
            return []
        return self._run(compiled, values)

    def _compile(self, shape: tuple[tuple[str, Any], ...]) -> _Compiled:
        # Compiled twice with different placeholders: a constant of the query that equals
        # a placeholder by chance would put a value in the wrong place, and cannot do so
        # in both.
        first = self._slots(shape, base=31_000)
        compiler, sql, params, slots, empty = first
        if empty:
            return _Compiled("", (), (), compiler.query.model, (), 0, 0, (), (), (), compiler.using)
        second = self._slots(shape, base=32_000)
        if second[1] != sql or second[3] != slots:
            raise NotPreparable("the query's SQL depends on its values")
        db = compiler.using
        klass_info = compiler.klass_info
        if klass_info is None:
            raise NotPreparable("only querysets of model instances can be prepared")
        select = compiler.select
        fields = [s[0] for s in select[0 : compiler.col_count]]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        converters = tuple(
            (position, tuple(convs), expression)
            for position, (convs, expression) in compiler.get_converters(fields).items()
        )
        return _Compiled(
            sql=sql,
            params=tuple(params),
            slots=tuple(slots),
            model=klass_info["model"],
            init_list=tuple(f[0].target.attname for f in select[start:end]),
            start=start,
            end=end,
            converters=converters,
            populators=tuple(get_related_populators(klass_info, select, db)),
            annotations=tuple((compiler.annotation_col_map or {}).items()),
            db=db,
        )

    def _slots(
        self, shape: tuple[tuple[str, Any], ...], *, base: int
    ) -> tuple[Any, str, tuple[Any, ...], tuple[tuple[int, str, int], ...], bool]:
        """Compile with placeholders: the compiler, SQL, params, where each value goes,
        and whether the query is empty whatever the values (``pk__in=[]``)."""
        marks: dict[Any, tuple[str, int]] = {}
        arguments: dict[str, Any] = {}
        number = 0
        for name, (kind, length) in shape:
            items = []
            for index in range(1 if length is None else length):
                number += 1
                mark = _placeholder(kind, name, index if length is not None else -1, number, base)
                marks[mark] = (name, index if length is not None else -1)
                items.append(mark)
            arguments[name] = items[0] if length is None else items
        queryset = self.build(**arguments)
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            if any(length == 0 for _, (_, length) in shape):
                return compiler, "", (), (), True
            raise NotPreparable("a value is outside the range of its column") from None
        slots = tuple(
            (position, *marks[param])
            for position, param in enumerate(params)
            if isinstance(param, int | str) and not isinstance(param, bool) and param in marks
        )
        missing = set(marks.values()) - {(name, index) for _, name, index in slots}
        if missing or any(isinstance(mark, str) and mark in sql for mark in marks):
            raise NotPreparable(
                f"values {sorted({name for name, _ in missing}) or 'given'} do not reach the "
                "SQL as parameters unchanged"
            )
        return compiler, sql, tuple(params), slots, False

    @staticmethod
    def _run(compiled: _Compiled, values: dict[str, Any]) -> list[M]:
        db = compiled.db
        params = list(compiled.params)
        for position, name, index in compiled.slots:
            value = values[name]
            params[position] = value if index < 0 else value[index]
        connection = connections[db]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        found = []
        for raw in rows:
            row = list(raw)
            for position, convs, expression in compiled.converters:
                value = row[position]
                for convert in convs:
                    value = convert(value, expression, connection)
                row[position] = value
            obj = compiled.model.from_db(
                db, list(compiled.init_list), row[compiled.start : compiled.end]
            )
            for populator in compiled.populators:
                populator.populate(row, obj)
            for name, position in compiled.annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found  # type: ignore[return-value]


def _shape(name: str, value: object) -> tuple[type, int | None]:
    if isinstance(value, bool):
        raise NotPreparable(f"{name}: a bool is not a value a prepared query takes")
    if isinstance(value, int | str):
        return (type(value), None)
    if isinstance(value, list | tuple):
        kinds = {type(item) for item in value}
        if len(kinds) > 1 or kinds - {int, str}:
            raise NotPreparable(f"{name}: a list of ints or of strs, not {kinds}")
        return (kinds.pop() if kinds else int, len(value))
    raise NotPreparable(f"{name}: {type(value).__name__} is not a value a prepared query takes")
