"""The board's report for one procedure and one period, worked out by a handful of queries.

Every figure is an aggregate query grouped by what the report shows (agencies, stages,
days): the number of queries stays the same however many cases there are, and the rows
that come back grow with the number of agencies and days, not cases. The queries read
the narrow rows kept beside each case's record (:mod:`parley.reports.spans`): its report
copy (agencies, category, local days raised, resolved and closed) and its stages (the
day each was reached and left), the latter grouped by those days and counted in working
days with numpy (:mod:`parley.core.report`). On PostgreSQL they run side by side.

Which cases each figure counts: :mod:`parley.reports.definitions`, the one table the
report, the lists of cases behind it and docs/reports.md read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connections, transaction
from django.db.models import (
    Count,
    Q,
)
from django.utils import timezone

from parley.cases.models import Agency, Disagreement, Event
from parley.core import report as core
from parley.core.engine import EventKind
from parley.core.report import Days, Period
from parley.ops.routers import report_database
from parley.reports import sections
from parley.reports.models import LearningItem, ReportCase, StageSpan
from parley.reports.scope import Scope, Spans
from parley.reports.tables import LearningRow, Report

CHANGES = sorted(k.value for k in core.STAGE_CHANGE_KINDS)


# --- the queries ------------------------------------------------------------------------


def _between(field: str, period: Period, zone: ZoneInfo) -> Q:
    start, end = period.bounds(zone)
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


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
        )
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
    does well (after one ANALYZE's sample PostgreSQL took the stage rows by an index, at
    twice the time: docs/performance.md); those named in ``indexed`` read a small index
    instead.
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


def report_build(
    *,
    scope: Scope,
    period: Period,
    threshold: int,
    today: date | None = None,
    learning: bool = True,
) -> Report:
    """The figures for ``period`` and the four periods before it, as tables: the queries
    (:func:`report_queries`), then one function for each section of the board paper
    (:mod:`parley.reports.sections`)."""
    today = today or timezone.localdate(timezone=scope.zone)
    periods = period.with_earlier()
    # A period not yet over is looked at as it stands today: open now, and overdue when
    # the last day within the timescale was before today.
    cutoffs = [min(p.end, today + timedelta(days=1)) for p in periods]
    overdue_cutoffs = [min(p.end, today) for p in periods]
    # From the replica when there is one (docs/deploy.md).
    using = report_database()
    fetched = _fetch(
        report_queries(scope, period, using),
        wide=scope.partnership is None,
        using=using,
        indexed=frozenset({"learning"}),
    )
    board = sections.Board(scope, period, periods, scope.stages())
    raised = sections.raised_tally(fetched["raised"], fetched["categories"], len(periods))
    ended = sections.ended_tally(fetched["ended"], len(periods))
    stages = sections.stages_tally(fetched["spans"], board, cutoffs, overdue_cutoffs)
    overall_groups, overall = sections.overall_tally(fetched["overall"], scope)
    names = dict(Agency.objects.filter(pk__in=raised.agency_ids).values_list("pk", "name"))
    end_words = "today" if cutoffs[-1] < period.end else "the end of the period"
    paper = [
        sections.summary_section(
            board, raised, ended, stages, fetched["learning"], fetched["forms_sent"]
        ),
        sections.who_section(board, raised, names),
        sections.outcomes_section(board, ended),
        sections.time_section(board, stages, overall_groups, overall),
        sections.open_section(board, stages, end_words),
    ]
    reporting = scope.current.reporting[0] if scope.current.reporting else None
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
        sections=paper,
        counts=board.counts,
        sums=[(total, parts) for total, parts in board.sums if parts],
    )
    if cutoffs[-1] < period.end:
        report.notes.append(f"{period.label} has not ended: figures are as they stand today.")
    if learning and scope.partnership is not None:
        report.learning = learning_rows(scope, period, today)
    return report


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


def report_queries(scope: Scope, period: Period, using: str) -> dict[str, Callable[[], Any]]:
    """The report's queries, by name, over ``period`` and the four periods before it."""
    zone = scope.zone
    periods = period.with_earlier()
    window = Period(periods[0].start, period.end)
    # The report copies of the cases: narrow rows with local days (parley.reports.spans).
    copies = ReportCase.objects.using(using).filter(version__in=[v.pk for v in scope.versions])
    sent = _forms_sent_where(scope)
    return {
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
            )
            .annotate(n=Count("pk"))
            .order_by()
        ),
        # Through the report copy (read by the queries above, so in memory) rather
        # than the cases; counting the case, which the events' small index holds, so
        # that the index is read alone.
        # Cases resolved where the procedure sends a form to someone (Wirral's proformas
        # to the Business Manager, "for analysis", section 2).
        "forms_sent": lambda: (
            copies.filter(sent, _on("resolved_on", window)).aggregate(
                **{
                    f"at_{i}": Count("pk", filter=_on("resolved_on", p))
                    for i, p in enumerate(periods)
                }
            )
            if sent is not None
            else None
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
    }


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
