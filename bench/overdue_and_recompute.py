"""Benchmark: "what is overdue" and recomputing deadlines after a calendar change.

    .venv/bin/python bench/overdue_and_recompute.py [--database-url URL]

Reads the million-case database ``bench/report_scale.py`` generated
(``parley_bench_reports`` unless PARLEY_BENCH_DATABASE_URL or --database-url says
otherwise) and measures, each as the median of five runs:

1. "What is overdue" (``parley.cases.selectors.overdue_deadlines``) for one partnership
   and nationally, every row fetched, beside its floor: the same SQL run raw through
   psycopg on the same connection.
2. Recomputing every open case's deadlines in one partnership after a closure day is
   added (``parley.cases.services.deadlines_recompute``, inside a transaction rolled
   back afterwards), per deadline, beside its floor: ``numpy.busday_offset`` over as
   many dates.

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
    from parley.cases.models import Deadline, Partnership

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

    deadlines = Deadline.objects.filter(
        disagreement__partnership=partnership, disagreement__status="open"
    ).count()

    def recompute() -> None:
        with transaction.atomic():
            services.closure_day_add(
                partnership=partnership, day=NOW.date().replace(day=14), name="Benchmark day"
            )
            transaction.set_rollback(True)

    took = median_of(5, recompute)
    starts = np.arange("2025-01-01", "2026-01-01", dtype="datetime64[D]")
    starts = np.resize(starts, max(deadlines, 1))
    floor = median_of(
        5, lambda: np.busday_offset(starts, 5, roll="forward", holidays=["2025-12-25"])
    )
    print(
        f"  recompute after a closure day, one partnership: {deadlines:,} open deadlines in "
        f"{took * 1000:.1f} ms, {took / max(deadlines, 1) * 1e6:.0f} us a deadline "
        f"(numpy.busday_offset {floor / max(deadlines, 1) * 1e6:.3f} us a date, "
        f"{took / floor:.0f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
