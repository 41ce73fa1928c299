"""Benchmark: the board's report over a million generated disagreements, on PostgreSQL.

    .venv/bin/python bench/report_scale.py [--cases 1000000] [--partnerships 100]
        [--database-url URL] [--reuse]

It (re)creates a database of its own (``parley_bench_reports`` on the local server unless
PARLEY_BENCH_DATABASE_URL or --database-url says otherwise; never the one you work in),
makes ``--partnerships`` partnerships with the shipped procedures and eight agencies each,
and generates a year (2025) of TWSP disagreements spread evenly between them, played
through the real rules and written with COPY (``parley.reports.generate``). It measures
twice, after a tenth of the cases and after all of them:

1. a partnership's annual report (its TWSP cases, the year 2025, with the four years
   before for the trend), as the report page builds it;
2. the national report: the same over every partnership's TWSP cases.

Each is run once cold and three times warm; the median warm time is the figure. The
query count must not change between the two sizes. ``--reuse`` measures an existing
database again without generating. The figures go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from common import machine, recreate  # noqa: E402  (bench/ is on the path above)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/parley_bench_reports"
LONDON = ZoneInfo("Europe/London")
YEAR_START = date(2025, 1, 1)
UNTIL = datetime(2026, 1, 12, tzinfo=LONDON)
TODAY = date(2026, 1, 12)


def generate(partnerships: int, first: int, upto: int, per: int) -> None:
    """Cases ``first`` to ``upto`` (of ``partnerships * per``), partnership by partnership."""
    from parley.cases.models import ProcedureVersion
    from parley.reports.generate import cases_generate, cast_of, partnership_generate

    started = time.perf_counter()
    made = 0
    for index in range(partnerships):
        low, high = index * per, (index + 1) * per
        count = max(0, min(high, upto) - max(low, first))
        if not count:
            continue
        partnership = partnership_generate(
            name=f"Benchshire {index + 1:03d}", slug=f"bench-{index + 1:03d}"
        )
        version = ProcedureVersion.objects.get(
            partnership=partnership, procedure_id="twsp", is_current=True
        )
        made += cases_generate(
            version=version, count=count, start=YEAR_START, until=UNTIL,
            seed=index * 1000 + max(low, first), cast=cast_of(partnership), copy=True,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        print(f"  {made:,} cases generated in {elapsed:.0f}s", flush=True)


def measure(label: str) -> dict[str, object]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext, override_settings

    from parley.cases.models import Disagreement, Event, Partnership
    from parley.core.report import parse_period
    from parley.reports.figures import report_build
    from parley.reports.scope import report_scope

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    cases = Disagreement.objects.count()
    events = Event.objects.count()
    period = parse_period("2025")
    results: dict[str, object] = {"label": label, "cases": cases, "events": events}
    scopes = {
        "partnership": report_scope(
            partnership=Partnership.objects.get(slug="bench-001"), procedure_id="twsp"
        ),
        "national": report_scope(partnership=None, procedure_id="twsp"),
    }
    for name, scope in scopes.items():
        assert scope is not None
        timings = []
        for _ in range(4):
            started = time.perf_counter()
            report = report_build(
                scope=scope, period=period, threshold=5, today=TODAY, learning=False
            )
            timings.append(time.perf_counter() - started)
        # The queries, counted once on one connection (the timed runs spread them over
        # PARLEY_REPORT_THREADS connections, which one capture would not see). The query
        # log keeps 9,000 entries; generating fills it, which would make it count nothing.
        reset_queries()
        with (
            override_settings(PARLEY_REPORT_THREADS=1),
            CaptureQueriesContext(connection) as captured,
        ):
            report_build(scope=scope, period=period, threshold=5, today=TODAY, learning=False)
        raised = report.counts[("raised", period.code)]
        results[name] = {
            "cold": timings[0],
            "warm": statistics.median(timings[1:]),
            "queries": len(captured),
            "raised": raised,
        }
        print(
            f"  {label}: {name} report over {raised:,} raised in 2025 "
            f"({cases:,} cases, {events:,} events in the database): cold {timings[0]:.2f}s, "
            f"warm {statistics.median(timings[1:]):.2f}s, {len(captured)} queries",
            flush=True,
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--partnerships", type=int, default=100)
    parser.add_argument(
        "--database-url", default=os.environ.get("PARLEY_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--reuse", action="store_true", help="measure the existing database again")
    args = parser.parse_args()
    per = args.cases // args.partnerships
    if not args.reuse:
        recreate(args.database_url)
    os.environ["PARLEY_DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parley.settings")
    os.environ.setdefault("PARLEY_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    print(f"Machine: {machine()}")
    if args.reuse:
        measure("existing database")
        return 0
    call_command("migrate", verbosity=0)
    tenth = args.cases // 10
    print(f"Generating {tenth:,} cases over {args.partnerships} partnerships")
    started = time.perf_counter()
    generate(args.partnerships, 0, tenth, per)
    spent = time.perf_counter() - started
    small = measure("a tenth")
    print(f"Generating the rest, to {args.cases:,}")
    started = time.perf_counter()
    generate(args.partnerships, tenth, args.cases, per)
    spent += time.perf_counter() - started
    print(f"Generated {args.cases:,} disagreements in {spent / 60:.1f} minutes in all")
    large = measure("all")
    for name in ("partnership", "national"):
        a, b = small[name], large[name]
        assert isinstance(a, dict) and isinstance(b, dict)
        if a["queries"] != b["queries"]:
            print(
                f"FAIL: the {name} report's query count changed: {a['queries']} -> {b['queries']}"
            )
            return 1
    print("The query count stayed the same as the data grew.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
