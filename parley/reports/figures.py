"""The board's report for one procedure and one period, worked out by a handful of queries.

Every figure is an aggregate query grouped by what the report shows (agencies, stages,
days): the number of queries stays the same however many cases there are, and the rows
that come back grow with the number of agencies and days, not cases. The queries read
the narrow rows kept beside each case's record (:mod:`parley.reports.spans`): its report
copy (agencies, category, local days raised, resolved and closed) and its stages (the
day each was reached and left), the latter grouped by those days and counted in working
days with numpy (:mod:`parley.core.report`). On PostgreSQL they run side by side.

Which cases each figure counts (the same definitions are in docs/reports.md):

- raised, by agency, pair and category: raised in the period;
- resolved (with the stage at which), withdrawn, closed, highest stage reached: the
  resolution, withdrawal or closure fell in the period;
- time at each stage: stages left in the period (moved on, resolved or withdrawn);
- time overall: cases resolved in the period, from the day they reached a formal stage;
- immediate risk: cases put on the immediate-risk route in the period;
- open and overdue at the end: open at the end of the period (or today, for a period not
  yet over), and past their stage's limit by then.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.db import connections, transaction
from django.db.models import (
    Case,
    Count,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from parley.cases.models import Agency, Disagreement, Event, Partnership, ProcedureVersion
from parley.cases.services import calendar_of, procedure_of
from parley.core import planner
from parley.core import report as core
from parley.core.calendar import WorkingCalendar
from parley.core.engine import EventKind
from parley.core.procedure import Procedure
from parley.core.report import Days, Limit, Period, Timing
from parley.ops.routers import report_database
from parley.reports.models import LearningItem, ReportCase, StageSpan
from parley.reports.tables import Cell, Key, LearningRow, Report, Row, Section, Table

CHANGES = sorted(k.value for k in core.STAGE_CHANGE_KINDS)
NOT_GIVEN = ""  # the category of a case raised without one
SAFE_IN_QUERY = re.compile(r"[A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Scope:
    """One procedure (every version of it) in one partnership, or in all of them."""

    partnership: Partnership | None
    procedure_id: str
    versions: tuple[ProcedureVersion, ...]
    procedures: dict[int, Procedure]  # by ProcedureVersion pk
    current: Procedure
    calendar: WorkingCalendar

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.calendar.timezone)

    @property
    def is_channel(self) -> bool:
        return any(p.is_channel for p in self.procedures.values())

    def cases(self) -> QuerySet[Disagreement]:
        return Disagreement.objects.filter(procedure_id__in=[v.pk for v in self.versions])

    def stages(self) -> list[tuple[str, int, str]]:
        ordered = [self.current, *(p for p in self.procedures.values() if p is not self.current)]
        return core.stages_in_order(ordered)

    def stage_label(self, stage_id: str) -> str:
        for procedure in (self.current, *self.procedures.values()):
            if core.find_stage([procedure], stage_id):
                return core.stage_words(procedure, stage_id)
        return stage_id

    def limit(self, version_pk: int, stage_id: str) -> Limit | None:
        found = core.find_stage([self.procedures[version_pk]], stage_id)
        return core.stage_limit(*found) if found else None

    def overall(self, version_pk: int, stage_id: str) -> Limit | None:
        found = core.find_stage([self.procedures[version_pk]], stage_id)
        return core.overall_limit(*found) if found else None

    def limit_class(self, field: str) -> Case | Value:
        """An expression naming, for the version in ``field``, the first version in scope
        with the same limits at every stage: versions alike (a hundred partnerships on the
        same procedure file) are grouped as one."""
        classes: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for version in self.versions:
            limits = tuple(
                (stage_id, self.limit(version.pk, stage_id), self.overall(version.pk, stage_id))
                for stage_id, _, _ in self.stages()
            )
            classes[limits].append(version.pk)
        if len(classes) == 1:
            return Value(self.versions[0].pk)
        return Case(
            *(When(**{f"{field}__in": pks}, then=Value(pks[0])) for pks in classes.values()),
            default=F(field),
        )


def report_scope(*, partnership: Partnership | None, procedure_id: str) -> Scope | None:
    """The versions of a procedure loaded in a partnership (or anywhere, for ``None``)."""
    versions = ProcedureVersion.objects.filter(procedure_id=procedure_id)
    if partnership is not None:
        versions = versions.filter(partnership=partnership)
    found = tuple(versions.order_by("-is_current", "-loaded_at", "-pk"))
    if not found:
        return None
    procedures = {v.pk: procedure_of(v) for v in found}
    current = procedures[found[0].pk]
    calendar = calendar_of(partnership, current) if partnership else planner.calendar_for(current)
    return Scope(partnership, procedure_id, found, procedures, current, calendar)


# --- the queries ------------------------------------------------------------------------


def _between(field: str, period: Period, zone: ZoneInfo) -> Q:
    start, end = period.bounds(zone)
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


@dataclass(frozen=True)
class Spans:
    """Stages any case was at during a window, grouped by the day reached and left, as
    arrays: one element for each group, ``count`` spans in it."""

    stage_ids: list[str]  # ``stage`` indexes this
    klass: npt.NDArray[np.int64]  # the limit class (a version pk): Scope.limit_class
    stage: npt.NDArray[np.int64]
    entered: Days
    left: Days  # NaT: not left
    immediate: npt.NDArray[np.bool_]
    count: npt.NDArray[np.int64]


EPOCH = date(1970, 1, 1).toordinal()


def _days(values: Sequence[date | None]) -> Days:
    """Days as numpy days, None as NaT, without numpy parsing each date object."""
    ordinals = np.fromiter(
        (v.toordinal() - EPOCH if v is not None else np.iinfo(np.int64).min for v in values),
        dtype=np.int64,
        count=len(values),
    )
    return ordinals.astype("datetime64[D]")


def span_rows(scope: Scope, window: Period, using: str = "default") -> Spans:
    """Every stage any case was at during ``window``, grouped by the day reached and left.

    One aggregate query over the kept stage rows (:mod:`parley.reports.spans`), grouped by
    limit class (see :meth:`Scope.limit_class`) rather than version, so the rows that come
    back grow with the days in the window, not with partnerships or cases.
    """
    rows = list(
        StageSpan.objects.using(using)
        .filter(version__in=[v.pk for v in scope.versions], entered_on__lt=window.end)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=window.start))
        .values(
            "stage", "entered_on", "left_on", "immediate", klass=scope.limit_class("version_id")
        )  # fmt: skip
        .annotate(n=Count("*"))
        .values_list("klass", "stage", "entered_on", "left_on", "immediate", "n")
        .order_by()
    )
    stage_ids = sorted({row[1] for row in rows})
    code = {stage_id: index for index, stage_id in enumerate(stage_ids)}
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in range(6)]
    return Spans(
        stage_ids=stage_ids,
        klass=np.asarray(columns[0], dtype=np.int64),
        stage=np.asarray([code[s] for s in columns[1]], dtype=np.int64),
        entered=_days(columns[2]),
        left=_days(columns[3]),
        immediate=np.asarray(columns[4], dtype=bool),
        count=np.asarray(columns[5], dtype=np.int64),
    )


def _on(field: str, period: Period) -> Q:
    """A local day in ``field`` falls in ``period``."""
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _fetch(
    queries: dict[str, Callable[[], Any]],
    *,
    wide: bool,
    using: str,
    indexed: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Run the report's queries. For a ``wide`` report (every partnership's cases) on
    PostgreSQL, side by side, each on its own connection, when not inside a transaction
    (whose rows the other connections could not see); one partnership's are quicker
    one after another than the new connections would be.

    Each runs with PARLEY_REPORT_WORK_MEM of memory for its sorts and groups, so that a
    national report's grouping is done in memory rather than on disk. A wide report's
    queries read nearly every row of the tables they read, which only a sequential scan
    does well (after one ANALYZE's sample PostgreSQL took the stage rows by an index,
    1.5 s against 0.7 s); those named in ``indexed`` read a small index instead.
    """
    threads = settings.PARLEY_REPORT_THREADS
    connection = connections[using]
    if connection.vendor != "postgresql":
        return {name: query() for name, query in queries.items()}
    if not wide:
        return _with_memory(lambda: {name: query() for name, query in queries.items()}, using)
    if threads < 2 or connection.in_atomic_block:
        return {
            name: _with_memory(query, using, sequential=name not in indexed)
            for name, query in queries.items()
        }

    def run(name: str, query: Callable[[], Any]) -> Any:
        try:
            # Side by side already: no more processes for each query on top.
            return _with_memory(query, using, workers=0, sequential=name not in indexed)
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = {name: pool.submit(run, name, query) for name, query in queries.items()}
        return {name: future.result() for name, future in futures.items()}


def _with_memory(
    query: Callable[[], Any],
    using: str,
    workers: int | None = None,
    *,
    sequential: bool = False,
) -> Any:
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT set_config('work_mem', %s, true), "
            "set_config('max_parallel_workers_per_gather', %s, true), "
            "set_config('enable_indexscan', %s, true), "
            "set_config('enable_bitmapscan', %s, true)",
            [
                settings.PARLEY_REPORT_WORK_MEM,
                str(2 if workers is None else workers),
                "off" if sequential else "on",
                "off" if sequential else "on",
            ],
        )
        return query()


# --- the report -------------------------------------------------------------------------


def _forms_sent_where(scope: Scope) -> Q | None:
    """The report copies of cases resolved at a stage whose form goes to someone
    (:func:`parley.core.engine.forms_sent`), or None if the procedure sends none."""
    where: Q | None = None
    for version in scope.versions:
        for form in scope.procedures[version.pk].forms:
            if not form.send_to or form.when != "resolved-at":
                continue
            one = Q(version_id=version.pk)
            if form.from_stage:
                one &= Q(stage=form.from_stage)
            where = one if where is None else where | one
    return where


def report_build(
    *,
    scope: Scope,
    period: Period,
    threshold: int,
    today: date | None = None,
    learning: bool = True,
) -> Report:
    """The figures for ``period`` and the four periods before it, as tables."""
    zone = scope.zone
    today = today or timezone.localdate(timezone=zone)
    periods = period.with_earlier()
    window = Period(periods[0].start, period.end)
    codes = [p.code for p in periods]
    here = codes[-1]
    # A period not yet over is looked at as it stands today: open now, and overdue when
    # the last day within the timescale was before today.
    cutoffs = [min(p.end, today + timedelta(days=1)) for p in periods]
    overdue_cutoffs = [min(p.end, today) for p in periods]
    counts: dict[Key, int] = {}
    sums: list[tuple[Key, list[Key]]] = []

    def put(key: Key, value: int) -> Key:
        counts[key] = counts.get(key, 0) + int(value)
        return key

    def link(figure: str, code: str = here, **params: Any) -> str:
        query = {"period": code, "figure": figure}
        query.update({k: v for k, v in params.items() if v is not None})
        # The national report links thousands of figures: quote only what needs it.
        return "&".join(
            f"{k}={v}" if SAFE_IN_QUERY.fullmatch(v := str(value)) else urlencode({k: v})
            for k, value in query.items()
        )

    # The report copies of the cases: narrow rows with local days (parley.reports.spans).
    # From the replica when there is one (docs/deploy.md).
    using = report_database()
    copies = ReportCase.objects.using(using).filter(version__in=[v.pk for v in scope.versions])
    sent = _forms_sent_where(scope)
    fetched = _fetch(
        {
            # The longest first, so that the others share the remaining connections.
            "spans": lambda: span_rows(scope, window, using),
            # By pair of agencies, then by category: two small groupings rather than one
            # of every pair and category together.
            "raised": lambda: list(
                copies.filter(_on("raised_on", window))
                .values("raising_agency_id", "other_agency_id")
                .annotate(
                    **{
                        f"raised_{i}": Count("pk", filter=_on("raised_on", p))
                        for i, p in enumerate(periods)
                    }
                )
                .order_by()
            ),
            "categories": lambda: list(
                copies.filter(_on("raised_on", period))
                .values_list("category")
                .annotate(n=Count("*"))
                .order_by()
            ),
            "ended": lambda: list(
                copies.filter(_on("resolved_on", window) | _on("closed_on", window))
                .values("status", "stage", "highest_stage_number")
                .annotate(
                    **{
                        f"{name}_{i}": Count("pk", filter=_on(field, p) & status)
                        for name, field, status in (
                            ("resolved", "resolved_on", Q()),
                            ("withdrawn", "closed_on", Q(status=Disagreement.Status.WITHDRAWN)),
                            ("closed", "closed_on", Q(status=Disagreement.Status.CLOSED)),
                        )
                        for i, p in enumerate(periods)
                    }
                )
                .order_by()
            ),
            # Time overall: resolved cases, from the day they reached a formal stage.
            "overall": lambda: list(
                copies.filter(_on("resolved_on", period))
                .values(
                    "stage", "formal_start_on", "resolved_on", klass=scope.limit_class("version_id")
                )  # fmt: skip
                .annotate(n=Count("pk"))
                .order_by()
            ),
            # Through the report copy (read by the queries above, so in memory) rather
            # than the cases; counting the case, which the events' small index holds, so
            # that the index is read alone.
            # Cases resolved where the procedure sends a form to someone (Wirral's
            # proformas to the Business Manager, "for analysis", section 2).
            "forms_sent": lambda: (
                copies.filter(sent, _on("resolved_on", window)).aggregate(
                    **{
                        f"at_{i}": Count("pk", filter=_on("resolved_on", p))
                        for i, p in enumerate(periods)
                    }
                )
                if sent is not None
                else {}
            ),
            "learning": lambda: (
                Event.objects.using(using)
                .filter(
                    _between("at", window, zone),
                    disagreement__report_case__version__in=[v.pk for v in scope.versions],
                    kind=EventKind.LEARNING_REFERRED.value,
                )
                .aggregate(
                    **{
                        f"at_{i}": Count("disagreement_id", filter=_between("at", p, zone))
                        for i, p in enumerate(periods)
                    }
                )
            ),
        },
        wide=scope.partnership is None,
        using=using,
        indexed=frozenset({"learning"}),
    )

    # 1. Raised: by agency, pair and category, in each period.
    raised_rows = fetched["raised"]
    last = len(periods) - 1
    agency_ids = {r["raising_agency_id"] for r in raised_rows} | {
        r["other_agency_id"] for r in raised_rows
    }
    raising: dict[int, int] = defaultdict(int)
    receiving: dict[int, int] = defaultdict(int)
    pairs: dict[tuple[int, int], int] = defaultdict(int)
    categories: dict[str, int] = defaultdict(int)
    involved: dict[tuple[int, int], int] = defaultdict(int)
    raised_by_period = [0] * len(periods)
    for r in raised_rows:
        for index in range(len(periods)):
            n = r[f"raised_{index}"]
            raised_by_period[index] += n
            involved[(r["raising_agency_id"], index)] += n
            involved[(r["other_agency_id"], index)] += n
        n = r[f"raised_{last}"]
        if n:
            raising[r["raising_agency_id"]] += n
            receiving[r["other_agency_id"]] += n
            pairs[(r["raising_agency_id"], r["other_agency_id"])] += n
    for category, n in fetched["categories"]:
        categories[category or NOT_GIVEN] += n

    # 2. Resolved, withdrawn and closed: where each ended and how high it went.
    ended_rows = fetched["ended"]
    resolved_at: dict[str, int] = defaultdict(int)
    withdrawn_at: dict[str, int] = defaultdict(int)
    highest: dict[int, int] = defaultdict(int)
    ended = {name: [0] * len(periods) for name in ("resolved", "withdrawn", "closed")}
    for r in ended_rows:
        for index in range(len(periods)):
            for name in ended:
                ended[name][index] += r[f"{name}_{index}"]
        if r[f"resolved_{last}"]:
            resolved_at[r["stage"]] += r[f"resolved_{last}"]
            highest[r["highest_stage_number"]] += r[f"resolved_{last}"]
        if r[f"withdrawn_{last}"]:
            withdrawn_at[r["stage"]] += r[f"withdrawn_{last}"]
            highest[r["highest_stage_number"]] += r[f"withdrawn_{last}"]

    # 3. Stages: time at each, immediate-risk entries, and where open cases stood.
    spans: Spans = fetched["spans"]
    stages = scope.stages()
    classes = sorted(set(spans.klass.tolist()))
    immediate = []
    timing: dict[tuple[int, str], Timing] = {}
    open_at: dict[tuple[int, str], int] = defaultdict(int)
    overdue_at: dict[tuple[int, str], int] = defaultdict(int)
    has_left = ~np.isnat(spans.left)
    for index, p in enumerate(periods):
        start, end = np.datetime64(p.start, "D"), np.datetime64(p.end, "D")
        entered_here = (spans.entered >= start) & (spans.entered < end)
        immediate.append(int(spans.count[spans.immediate & entered_here].sum()))
        left_here = has_left & (spans.left >= start) & (spans.left < end)
        cutoff = np.datetime64(cutoffs[index], "D")
        open_then = (spans.entered < cutoff) & (~has_left | (spans.left >= cutoff))
        overdue_cutoff = np.datetime64(overdue_cutoffs[index], "D")
        for stage_id, _, _ in stages:
            at_stage = spans.stage == (
                spans.stage_ids.index(stage_id) if stage_id in spans.stage_ids else -1
            )
            groups = []
            for klass in classes:
                chosen = at_stage & (spans.klass == klass)
                left = chosen & left_here
                groups.append(
                    (scope.limit(klass, stage_id), spans.entered[left], spans.left[left],
                     spans.count[left])
                )  # fmt: skip
                waiting = chosen & open_then
                if not waiting.any():
                    continue
                open_at[(index, stage_id)] += int(spans.count[waiting].sum())
                limit = scope.limit(klass, stage_id)
                if limit is None or limit.advisory:
                    continue
                late = core.due_days(scope.calendar, spans.entered[waiting], limit) < overdue_cutoff
                overdue_at[(index, stage_id)] += int(spans.count[waiting][late].sum())
            timing[(index, stage_id)] = core.timing_of_arrays(
                scope.calendar, groups, scope.limit(scope.versions[0].pk, stage_id)
            )

    # 4. Time overall: resolved cases, from the day they reached a formal stage.
    overall_rows = fetched["overall"]
    overall_groups: dict[str, dict[int, list[tuple[date, date, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for r in overall_rows:
        start_day = r["formal_start_on"]
        if start_day is None:
            continue  # never reached a formal stage: no overall limit applies
        overall_groups[r["stage"]][r["klass"]].append((start_day, r["resolved_on"], r["n"]))
    overall: dict[str, Timing] = {}
    for stage_id, by_version in overall_groups.items():
        overall[stage_id] = core.timing_of_groups(
            scope.calendar,
            [(scope.overall(v, stage_id), rows) for v, rows in by_version.items()],
            scope.overall(scope.versions[0].pk, stage_id),
        )

    # 5. Learning referred from cases.
    learning_counts = fetched["learning"]

    names = dict(Agency.objects.filter(pk__in=agency_ids).values_list("pk", "name"))

    # --- the tables -------------------------------------------------------------------
    def count(key: Key, value: int, link_to: str = "") -> Cell:
        return Cell(value, key=put(key, value), link=link_to if value else "")

    def share(within: Key, late: Key) -> Cell:
        judged = counts.get(within, 0) + counts.get(late, 0)
        value = counts.get(within, 0) / judged if judged else None
        return Cell(value, key=("share", *within), kind="share", depends=(within, late))

    def days(value: float | None, key: Key, base: Key) -> Cell:
        return Cell(value, key=key, kind="days", depends=(base,))

    def text(words: str) -> Cell:
        return Cell(None, kind="text", text=words)

    # Headline figures and their trend.
    left_totals = []
    for index, code in enumerate(codes):
        within = sum(timing[(index, s)].within for s, _, _ in stages)
        late = sum(timing[(index, s)].late for s, _, _ in stages)
        left = sum(timing[(index, s)].count for s, _, _ in stages)
        left_totals.append((within, late, left))
        put(("within", code), within)
        put(("late", code), late)
        put(("left", code), left)
        if left == within + late:
            sums.append((("left", code), [("within", code), ("late", code)]))

    headline_specs: tuple[tuple[str, str, Any, str], ...] = (
        ("raised", "Raised", raised_by_period, "raised"),
        ("immediate", "Put on the immediate-risk route", immediate, "immediate"),
        ("resolved", "Resolved", ended["resolved"], "resolved"),
        ("withdrawn", "Withdrawn", ended["withdrawn"], "withdrawn"),
        ("closed", "Closed", ended["closed"], "closed"),
        (
            "open_end",
            "Open at the end of the period",
            [sum(open_at[(i, s)] for s, _, _ in stages) for i in range(len(periods))],
            "open",
        ),
        (
            "overdue_end",
            "Overdue at the end of the period",
            [sum(overdue_at[(i, s)] for s, _, _ in stages) for i in range(len(periods))],
            "overdue",
        ),
        (
            "learning",
            "Policy or learning issues referred",
            [learning_counts[f"at_{i}"] for i in range(len(periods))],
            "",
        ),
    )
    if sent is not None:
        forms_counts = fetched["forms_sent"]
        headline_specs = (
            *headline_specs,
            (
                "forms_sent",
                "Resolved where the procedure sends a form (for example a proforma)",
                [forms_counts[f"at_{i}"] or 0 for i in range(len(periods))],
                "",
            ),
        )
    headline_rows = []
    for name, words, values, figure in headline_specs:
        headline_rows.append(
            Row(
                words,
                [
                    count((name, code), values[i], link(figure, code) if figure else "")
                    for i, code in enumerate(codes)
                ],
            )
        )
    headline_rows.append(
        Row(
            "Stages finished within their timescale",
            [share(("within", code), ("late", code)) for code in codes],
        )
    )
    trend = Table(
        "trend",
        f"The {period.noun} and the {len(periods) - 1} before it",
        "Figure",
        [p.label for p in periods],
        headline_rows,
        description=(
            f"Disagreements raised and resolved in {period.label}, compared with the "
            f"{len(periods) - 1} {period.noun}s before."
        ),
        chart="trend",
    )

    # Who raised them, with whom, about what.
    raised_key = ("raised", here)
    agency_order = sorted(agency_ids, key=lambda a: names.get(a, str(a)))
    raising_rows = [
        Row(
            names.get(a, str(a)),
            [count(("raising", str(a)), raising[a], link("raised", raising=a))],
        )
        for a in agency_order
        if raising[a]
    ]
    receiving_rows = [
        Row(
            names.get(a, str(a)),
            [count(("receiving", str(a)), receiving[a], link("raised", other=a))],
        )
        for a in agency_order
        if receiving[a]
    ]
    total_raised = Row(
        "Total", [Cell(counts.get(raised_key, 0), key=raised_key, link=link("raised"))], total=True
    )
    sums.append((raised_key, [("raising", str(a)) for a in raising]))
    sums.append((raised_key, [("receiving", str(a)) for a in receiving]))
    pair_rows = [
        Row(
            f"{names.get(a, str(a))} → {names.get(b, str(b))}",
            [count(("pair", str(a), str(b)), n, link("raised", raising=a, other=b))],
        )
        for (a, b), n in sorted(
            pairs.items(),
            key=lambda item: (-item[1], names.get(item[0][0], ""), names.get(item[0][1], "")),
        )
    ]
    sums.append((raised_key, [("pair", str(a), str(b)) for a, b in pairs]))
    pairs_from: dict[int, list[Key]] = defaultdict(list)
    pairs_to: dict[int, list[Key]] = defaultdict(list)
    for a, b in pairs:
        pairs_from[a].append(("pair", str(a), str(b)))
        pairs_to[b].append(("pair", str(a), str(b)))
    for a in raising:
        sums.append((("raising", str(a)), pairs_from[a]))
    for b in receiving:
        sums.append((("receiving", str(b)), pairs_to[b]))
    category_rows = []
    known = [c.id for c in scope.current.categories]
    for category_id in [*known, *sorted(c for c in categories if c not in known)]:
        if category_id == NOT_GIVEN:
            continue
        words = scope.current.category_label(category_id)
        category_rows.append(
            Row(
                words,
                [
                    count(
                        ("category", category_id),
                        categories.get(category_id, 0),
                        link("raised", category=category_id),
                    )
                ],
            )
        )
    if categories.get(NOT_GIVEN):
        category_rows.append(
            Row(
                "Not given",
                [
                    count(
                        ("category", NOT_GIVEN), categories[NOT_GIVEN], link("raised", category="-")
                    )
                ],
            )
        )
    sums.append((raised_key, [("category", c) for c in categories]))
    involvement_rows = []
    for a in agency_order:
        cells = [
            count(("involved", str(a), code), involved[(a, i)], link("raised", code, agency=a))
            for i, code in enumerate(codes)
        ]
        involvement_rows.append(Row(names.get(a, str(a)), cells))
        sums.append((("involved", str(a), here), [("raising", str(a)), ("receiving", str(a))]))

    # How they ended.
    stage_rows_resolved = []
    for stage_id, _, _ in stages:
        r, w = resolved_at.get(stage_id, 0), withdrawn_at.get(stage_id, 0)
        if not (r or w) and not core.find_stage([scope.current], stage_id):
            continue
        stage_rows_resolved.append(
            Row(
                scope.stage_label(stage_id),
                [
                    count(("resolved_at", stage_id), r, link("resolved", stage=stage_id)),
                    count(("withdrawn_at", stage_id), w, link("withdrawn", stage=stage_id)),
                ],
            )
        )
    stage_rows_resolved.append(
        Row(
            "Total",
            [
                Cell(
                    counts.get(("resolved", here), 0), key=("resolved", here), link=link("resolved")
                ),
                Cell(
                    counts.get(("withdrawn", here), 0),
                    key=("withdrawn", here),
                    link=link("withdrawn"),
                ),
            ],
            total=True,
        )
    )
    sums.append((("resolved", here), [("resolved_at", s) for s in resolved_at]))
    sums.append((("withdrawn", here), [("withdrawn_at", s) for s in withdrawn_at]))
    concluded_key = put(("concluded", here), ended["resolved"][last] + ended["withdrawn"][last])
    sums.append((concluded_key, [("resolved", here), ("withdrawn", here)]))
    numbers = sorted({n for _, n, _ in stages})
    highest_rows = []
    for number in numbers:
        label = next(
            (f"Stage {n}: {name}" for _, n, name in stages if n == number), f"Stage {number}"
        )
        highest_rows.append(
            Row(
                label,
                [
                    count(
                        ("highest", str(number)),
                        highest.get(number, 0),
                        link("ended", highest=number),
                    )
                ],
            )
        )
    for number in sorted(set(highest) - set(numbers)):
        highest_rows.append(
            Row(
                f"Stage {number}",
                [count(("highest", str(number)), highest[number], link("ended", highest=number))],
            )
        )
    highest_rows.append(
        Row(
            "Total",
            [Cell(counts[concluded_key], key=concluded_key, link=link("ended"))],
            total=True,
        )
    )
    sums.append((concluded_key, [("highest", str(n)) for n in highest]))

    # How long they took.
    timing_rows = []
    for stage_id, _, _ in stages:
        t = timing[(last, stage_id)]
        if t.count == 0 and not core.find_stage([scope.current], stage_id):
            continue
        left_key = ("stage_left", stage_id)
        within_key, late_key = ("stage_within", stage_id), ("stage_late", stage_id)
        cells = [
            text(t.limit.describe() if t.limit else "No timescale"),
            count(left_key, t.count, link("left", stage=stage_id)),
        ]
        if t.limit is not None or t.within or t.late:
            cells += [
                count(within_key, t.within, link("left", stage=stage_id, late="0")),
                count(late_key, t.late, link("left", stage=stage_id, late="1")),
                share(within_key, late_key),
            ]
            sums.append((left_key, [within_key, late_key]))
        else:
            cells += [Cell(None), Cell(None), Cell(None)]
        cells += [
            days(t.median_days, ("stage_median", stage_id), left_key),
            days(t.mean_days, ("stage_mean", stage_id), left_key),
        ]
        timing_rows.append(Row(scope.stage_label(stage_id), cells))
    sums.append((("left", here), [("stage_left", s) for s, _, _ in stages]))
    sums.append((("within", here), [("stage_within", s) for s, _, _ in stages]))
    sums.append((("late", here), [("stage_late", s) for s, _, _ in stages]))

    overall_rows_table = []
    all_within = all_late = 0
    no_limit = 0
    for stage_id, _, _ in stages:
        t = overall.get(stage_id)
        if t is None or t.count == 0:
            continue
        base = ("resolved_at", stage_id)
        within_key, late_key = ("overall_within", stage_id), ("overall_late", stage_id)
        cells = [
            text(t.limit.describe() if t.limit else "No overall timescale"),
            Cell(counts.get(base, 0), key=base, link=link("resolved", stage=stage_id)),
        ]
        if t.limit is not None:
            cells += [
                count(within_key, t.within),
                count(late_key, t.late),
                share(within_key, late_key),
            ]
            if t.count == counts.get(base, 0):
                sums.append((base, [within_key, late_key]))
        else:
            no_limit += t.count
            cells += [Cell(None), Cell(None), Cell(None)]
        all_within += t.within
        all_late += t.late
        cells += [
            days(t.median_days, ("overall_median", stage_id), base),
            days(t.mean_days, ("overall_mean", stage_id), base),
        ]
        overall_rows_table.append(Row(scope.stage_label(stage_id), cells))
    if overall_rows_table:
        put(("overall_within", "all"), all_within)
        put(("overall_late", "all"), all_late)
        sums.append((("overall_within", "all"), [("overall_within", s) for s in overall]))
        sums.append((("overall_late", "all"), [("overall_late", s) for s in overall]))
        everything = core.timing_of_groups(
            scope.calendar,
            [
                (scope.overall(v, s), rows)
                for s, by_version in overall_groups.items()
                for v, rows in by_version.items()
            ],
            None,
        )
        resolved_key = ("resolved", here)
        if no_limit == 0 and everything.count == counts.get(resolved_key, 0):
            sums.append((resolved_key, [("overall_within", "all"), ("overall_late", "all")]))
        overall_rows_table.append(
            Row(
                "All resolved",
                [
                    text(""),
                    Cell(counts.get(resolved_key, 0), key=resolved_key, link=link("resolved")),
                    Cell(all_within, key=("overall_within", "all")),
                    Cell(all_late, key=("overall_late", "all")),
                    share(("overall_within", "all"), ("overall_late", "all")),
                    days(everything.median_days, ("overall_median", "all"), resolved_key),
                    days(everything.mean_days, ("overall_mean", "all"), resolved_key),
                ],
                total=True,
            )
        )
        # "All resolved" counts only cases that reached a formal stage.
        if everything.count != counts.get(resolved_key, 0):
            overall_rows_table[-1].cells[1] = Cell(
                everything.count, key=put(("overall_count", "all"), everything.count)
            )
            overall_rows_table[-1].label = "All resolved after reaching a formal stage"
            overall_rows_table[-1].cells[5].depends = (("overall_count", "all"),)
            overall_rows_table[-1].cells[6].depends = (("overall_count", "all"),)

    open_rows = []
    for stage_id, _, _ in stages:
        o, d = open_at.get((last, stage_id), 0), overdue_at.get((last, stage_id), 0)
        if not o and not core.find_stage([scope.current], stage_id):
            continue
        open_rows.append(
            Row(
                scope.stage_label(stage_id),
                [
                    count(("open_at", stage_id), o, link("open", stage=stage_id)),
                    count(("overdue_at", stage_id), d, link("overdue", stage=stage_id)),
                ],
            )
        )
    open_rows.append(
        Row(
            "Total",
            [
                Cell(counts.get(("open_end", here), 0), key=("open_end", here), link=link("open")),
                Cell(
                    counts.get(("overdue_end", here), 0),
                    key=("overdue_end", here),
                    link=link("overdue"),
                ),
            ],
            total=True,
        )
    )
    sums.append((("open_end", here), [("open_at", s) for s, _, _ in stages]))
    sums.append((("overdue_end", here), [("overdue_at", s) for s, _, _ in stages]))

    reporting = scope.current.reporting[0] if scope.current.reporting else None
    end_words = "today" if cutoffs[-1] < period.end else "the end of the period"
    sections = [
        Section(
            "summary",
            "Summary",
            [trend],
            intro=(
                f"Figures for {period.label}, with the {len(periods) - 1}"
                f" {period.noun}s before it for comparison."
            ),
        ),
        Section(
            "who",
            "Between whom, and about what",
            [
                Table(
                    "raising",
                    "Raised by agency",
                    "Agency that raised it",
                    ["Raised"],
                    [*raising_rows, total_raised],
                    chart="",
                ),
                Table(
                    "receiving",
                    "Raised with agency",
                    "Agency it was raised with",
                    ["Raised"],
                    [*receiving_rows, total_raised],
                ),
                Table(
                    "pairs",
                    "Between which agencies",
                    "Raised by → raised with",
                    ["Raised"],
                    [*pair_rows, total_raised],
                    chart="bars",
                ),
                Table(
                    "categories",
                    "What they were about",
                    "Category",
                    ["Raised"],
                    [*category_rows, total_raised],
                ),
                Table(
                    "involvement",
                    "Agency involvement",
                    "Agency",
                    [p.label for p in periods],
                    involvement_rows,
                    description=(
                        "Disagreements each agency raised or had raised with it. A disagreement"
                        " involves two agencies, so these do not add up to the number raised."
                    ),
                ),
            ],
            intro=f"Disagreements raised in {period.label}.",
        ),
        Section(
            "outcomes",
            "How they ended",
            [
                Table(
                    "ended",
                    "Stage at which resolved or withdrawn",
                    "Stage",
                    ["Resolved", "Withdrawn"],
                    stage_rows_resolved,
                ),
                Table(
                    "highest",
                    "Highest stage reached",
                    "Highest stage",
                    ["Resolved or withdrawn"],
                    highest_rows,
                    chart="bars",
                ),
            ],
            intro=f"Disagreements resolved or withdrawn in {period.label}.",
        ),
        Section(
            "time",
            "Time taken against the procedure's timescales",
            [
                Table(
                    "stage-time",
                    "Time at each stage",
                    "Stage",
                    [
                        "Timescale",
                        "Stages finished",
                        "Within timescale",
                        "Over timescale",
                        "Share within",
                        "Median working days",
                        "Mean working days",
                    ],
                    timing_rows,
                    description=(
                        "Each stage a disagreement moved on from, or was resolved or withdrawn"
                        f" at, in {period.label}. Working days are counted from the day it"
                        " reached the stage to the day it left."
                    ),
                ),
                Table(
                    "overall-time",
                    "Time from start to resolution",
                    "Resolved at",
                    [
                        "Timescale",
                        "Resolved",
                        "Within timescale",
                        "Over timescale",
                        "Share within",
                        "Median working days",
                        "Mean working days",
                    ],
                    overall_rows_table,
                    description=(
                        "Working days from the day a disagreement reached a formal stage to"
                        " the day it was resolved, against the procedure's overall limit or"
                        " the cumulative timescale of the stage it was resolved at."
                    ),
                ),
            ],
        ),
        Section(
            "open",
            "Still open",
            [
                Table(
                    "open-end",
                    f"Open at {end_words}",
                    "Stage",
                    ["Open", "Past the stage's timescale"],
                    open_rows,
                    description=(
                        "Where open disagreements stood, and how many had run past their"
                        " stage's binding timescale."
                    ),
                ),
            ],
        ),
    ]
    report = Report(
        title=f"{scope.current.name}: {period.label}",
        procedure_id=scope.procedure_id,
        procedure_name=scope.current.name,
        partnership_name=scope.partnership.name if scope.partnership else "All partnerships",
        reporting_to=reporting.to if reporting else "",
        period=period,
        periods=periods,
        threshold=threshold,
        generated_at=timezone.now(),
        sections=sections,
        counts=counts,
        sums=[(total, parts) for total, parts in sums if parts],
    )
    if cutoffs[-1] < period.end:
        report.notes.append(f"{period.label} has not ended: figures are as they stand today.")
    if learning and scope.partnership is not None:
        report.learning = learning_rows(scope, period, today)
    return report


def learning_rows(scope: Scope, period: Period, today: date) -> list[LearningRow]:
    """Issues referred in the period, done in it, or still waiting at its end."""
    start, end = period.bounds(scope.zone)
    cutoff = min(period.end, today + timedelta(days=1))
    items = (
        LearningItem.objects.filter(partnership=scope.partnership, procedure_id=scope.procedure_id)
        .filter(
            Q(referred_at__gte=start, referred_at__lt=end)
            | Q(referred_at__lt=end, done_on__isnull=True)
            | Q(done_on__gte=period.start, done_on__lt=period.end)
        )
        .select_related("disagreement")
        .order_by("referred_at", "pk")
    )
    return [learning_row(item, cutoff) for item in items]


def learning_row(item: LearningItem, cutoff: date) -> LearningRow:
    overdue = (
        item.follow_up_due is not None
        and item.follow_up_due < cutoff
        and (item.done_on is None or item.done_on >= cutoff)
    )
    return LearningRow(
        summary=item.summary,
        issue=item.issue,
        topic=item.get_topic_display(),
        referred_on=item.referred_at,
        referred_to=item.referred_to,
        decision=item.decision,
        done_on=item.done_on,
        follow_up_due=item.follow_up_due,
        overdue=overdue,
        reference=item.disagreement.reference,
        item_id=item.pk,
    )
