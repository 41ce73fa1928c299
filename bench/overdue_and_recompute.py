"""Benchmark: "what is overdue" and recomputing deadlines after a calendar change.

    .venv/bin/python bench/overdue_and_recompute.py [--database-url URL]

Reads the million-case database ``bench/report_scale.py`` generated
(``parley_bench_reports`` unless PARLEY_BENCH_DATABASE_URL or --database-url says
otherwise) and measures, each as the median of five runs:

1. "What is overdue" (``parley.cases.selectors.overdue_deadlines``) for one partnership
   and nationally, every row fetched, beside its floor: the same SQL run raw through
   psycopg on the same connection.
2. Recomputing every open case's deadlines after a closure day is added: first the
   arithmetic, every open deadline in the database moved over the new calendar in one
   pass (``WorkingCalendar.add_working_days_bulk``, what
   ``parley.cases.services.deadlines_recompute`` runs), per deadline, beside its floor:
   ``numpy.busday_offset`` over the same days with the same holidays; then the whole
   service, database writes and the cases' records included, for one partnership and
   for all, inside a transaction rolled back afterwards.

The figures go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine  # noqa: E402  (bench/ is on the path above)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/parley_bench_reports"
# The generated year is 2025, played to 12 January 2026: its open cases' deadlines.
NOW = datetime(2026, 1, 12, 12, tzinfo=ZoneInfo("Europe/London"))
CLOSED = NOW.date().replace(day=14)  # the closure day added


def median_of(runs: int, work: object) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("PARLEY_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    args = parser.parse_args()
    os.environ["PARLEY_DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parley.settings")
    os.environ.setdefault("PARLEY_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    import numpy as np
    from django.db import connection, transaction

    from parley.cases import selectors, services
    from parley.cases.models import ClosureDay, Deadline, Partnership

    print(f"Machine: {machine()}")
    partnership = Partnership.objects.get(slug="bench-001")
    for label, scope in (("one partnership", partnership), ("national", None)):
        query = selectors.overdue_deadlines(now=NOW, partnership=scope)
        rows = len(list(query))
        sql, params = query.query.sql_with_params()

        def raw(sql: str = sql, params: tuple[object, ...] = params) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                cursor.fetchall()

        orm = median_of(5, lambda query=query: list(query.all()))
        floor = median_of(5, raw)
        print(
            f"  what is overdue, {label}: {rows:,} deadlines; {orm * 1000:.1f} ms "
            f"(raw SQL floor {floor * 1000:.1f} ms, {orm / floor:.2f}x)"
        )

    # 2. Recompute after a calendar change. First the arithmetic: every open deadline in
    # the database, moved over the new calendar in one numpy pass, beside numpy's own
    # busday_offset over the same days with the same holidays.
    from parley.cases.selectors import calendar_of, procedure_of
    from parley.cases.services import due_days
    from parley.core.calendar import WorkingCalendar

    version = partnership.procedures.get(procedure_id="twsp", is_current=True)
    base = calendar_of(partnership, procedure_of(version))
    calendar = WorkingCalendar(
        region=base.region, closures={CLOSED: "Benchmark day"}, end_of_day=base.end_of_day,
        timezone=base.timezone,
    )  # fmt: skip
    rows = list(
        Deadline.objects.filter(
            disagreement__status="open", working_days__isnull=False
        ).values_list("start_on", "working_days")
    )
    starts = np.asarray([r[0] for r in rows], dtype="datetime64[D]")
    counts = np.asarray([r[1] for r in rows], dtype=np.int64)
    every = Deadline.objects.filter(disagreement__status="open").count()

    def ours_afresh(days: np.ndarray, n: np.ndarray) -> object:
        """As after a calendar change: the table of numbered working days is built anew
        (the holidays themselves are known, as numpy's calendar below is given them)."""
        calendar._ranks.clear()
        return calendar.add_working_days_bulk(days, n)

    ours = median_of(7, lambda: ours_afresh(starts, counts))
    years = starts.astype("datetime64[Y]").astype(int) + 1970
    numpy_cal = calendar._busdaycalendar(int(years.min()), int(years.max()) + 1)
    floor = median_of(
        7, lambda: np.busday_offset(starts, counts, roll="backward", busdaycal=numpy_cal)
    )
    assert (due_days(calendar, starts.tolist(), counts.tolist()) ==
            calendar.add_working_days_bulk(starts, counts)).all()  # fmt: skip
    n = max(len(rows), 1)
    print(
        f"  recompute arithmetic, national: {len(rows):,} of {every:,} open deadlines in "
        f"one pass, {ours * 1000:.1f} ms, {ours / n * 1e9:.1f} ns a deadline "
        f"(numpy.busday_offset {floor / n * 1e9:.1f} ns a date, {ours / floor:.2f}x)"
    )
    # The same deadlines repeated to a million, as a national host's open cases would be
    # after a decade: the per-call costs (the calendar's holidays) spread thinner.
    many_starts, many_counts = np.resize(starts, 1_000_000), np.resize(counts, 1_000_000)
    ours = median_of(7, lambda: ours_afresh(many_starts, many_counts))
    floor = median_of(
        7,
        lambda: np.busday_offset(many_starts, many_counts, roll="backward", busdaycal=numpy_cal),
    )
    print(
        f"  recompute arithmetic, 1,000,000 deadlines: {ours * 1000:.1f} ms, "
        f"{ours / 1e6 * 1e9:.1f} ns a deadline (numpy.busday_offset {floor / 1e6 * 1e9:.1f} ns "
        f"a date, {ours / floor:.2f}x)"
    )

    # Then the whole service, database and record included, for one partnership and for
    # all of them (each inside a transaction rolled back afterwards).
    def recompute(scope: list[Partnership]) -> int:
        moved = 0
        with transaction.atomic():
            for one in scope:
                # As services.closure_day_add, at the generated data's "now".
                ClosureDay.objects.create(partnership=one, day=CLOSED, name="Benchmark day")
                moved += services.deadlines_recompute(
                    partnership=one, reason="Benchmark day", at=NOW
                )
            transaction.set_rollback(True)
        return moved

    for label, scope in (
        ("one partnership", [partnership]),
        ("national", list(Partnership.objects.filter(slug__startswith="bench-"))),
    ):
        deadlines = Deadline.objects.filter(
            disagreement__partnership__in=scope, disagreement__status="open"
        ).count()
        moved = recompute(scope)
        took = median_of(3, lambda scope=scope: recompute(scope))
        print(
            f"  recompute after a closure day, {label}: {deadlines:,} open deadlines, "
            f"{moved:,} cases moved, {took * 1000:.0f} ms in all, "
            f"{took / max(deadlines, 1) * 1e6:.1f} us a deadline"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
