"""Benchmark: how much a case's stored state takes, its free text aside, on PostgreSQL.

    .venv/bin/python bench/case_size.py [--database-url URL]

Reads the database ``bench/report_scale.py`` generated (``parley_bench_reports`` unless
PARLEY_BENCH_DATABASE_URL or --database-url says otherwise) and measures, with
``pg_column_size``, the average stored row of a disagreement, of an event and of a
deadline, less the free text typed into them (summary, outcome, notes), then the state
of one case: its row, its events and its deadlines. The figure goes in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import os

import psycopg

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/parley_bench_reports"
SAMPLE = 200_000

QUERIES = {
    "case row": (
        "SELECT avg(pg_column_size(d.*) - coalesce(pg_column_size(d.summary), 0)"
        " - coalesce(pg_column_size(d.outcome), 0) - coalesce(pg_column_size(d.outstanding), 0))"
        f" FROM (SELECT * FROM cases_disagreement LIMIT {SAMPLE}) d"
    ),
    "event row": (
        "SELECT avg(pg_column_size(e.*) - coalesce(pg_column_size(e.data ->> 'text'), 0))"
        f" FROM (SELECT * FROM cases_event LIMIT {SAMPLE}) e"
    ),
    "deadline row": "SELECT avg(pg_column_size(x.*)) FROM cases_deadline x",
    "report rows per case": (
        "SELECT (coalesce((SELECT sum(pg_column_size(s.*)) FROM reports_stagespan s), 0)"
        " + coalesce((SELECT sum(pg_column_size(r.*)) FROM reports_reportcase r), 0))::float"
        " / greatest((SELECT count(*) FROM cases_disagreement), 1)"
    ),
    "events per case": (
        "SELECT (SELECT count(*) FROM cases_event)::float"
        " / greatest((SELECT count(*) FROM cases_disagreement), 1)"
    ),
    "cases": "SELECT count(*) FROM cases_disagreement",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("PARLEY_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    args = parser.parse_args()
    with psycopg.connect(args.database_url) as conn:
        got = {name: float(conn.execute(sql).fetchone()[0] or 0) for name, sql in QUERIES.items()}
    events = got["event row"] * got["events per case"]
    print(f"Over {got['cases']:,.0f} cases (rows as stored, text aside, in bytes):")
    print(f"  a case's row {got['case row']:.0f}; an event {got['event row']:.0f}")
    print(
        f"  ({got['events per case']:.2f} events a case); a live deadline {got['deadline row']:.0f}"
    )
    kept = got["report rows per case"]
    print(f"  the report's rows kept beside a case (its copy and stages): {kept:.0f}")
    # The state: what says where the case stands and what is due (a workflow engine's
    # serialised case). The record: every event that led there, kept as well (history,
    # which such an engine keeps apart, if at all).
    for label, deadlines in (("a resolved case", 0), ("an open case with two deadlines", 2)):
        state = got["case row"] + deadlines * got["deadline row"]
        total = state + events
        print(
            f"  {label}: state {state:,.0f} bytes ({state / 1024:.2f} KB); with its whole record "
            f"{total:,.0f} bytes ({total / 1024:.2f} KB)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
