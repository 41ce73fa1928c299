"""Benchmark: sweep 100,000 open disagreements for due notifications, on PostgreSQL.

    .venv/bin/python bench/notifications_sweep.py [--cases 100000] [--database-url URL]

It (re)creates a database of its own (``parley_bench`` on the local server unless
PARLEY_BENCH_DATABASE_URL or --database-url says otherwise; never the one you work in),
loads the demo partnership, bulk-inserts the open disagreements and their stored
deadlines (two binding deadlines each, due at 5pm on working days spread from ten
working days ago to twenty ahead), then times three sweeps with the clock fixed:

1. the first sweep ever, with an empty outbox (every overdue deadline is told at once);
2. the next working morning's, the daily peak in steady state;
3. one a minute after that, the cost of the worker's every-minute sweep.

The figures go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from common import machine, recreate  # noqa: E402  (bench/ is on the path above)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/parley_bench"
LONDON = ZoneInfo("Europe/London")
# A Tuesday in January 2027, just after the first sweep of the morning would run.
NOW = datetime(2027, 1, 12, 8, 5, tzinfo=LONDON)


def populate(cases: int) -> None:
    from parley.cases.demo import demo_load, person
    from parley.cases.models import Deadline, Disagreement
    from parley.cases.selectors import calendar_with, procedure_of

    partnership = demo_load(with_cases=False)
    twsp = partnership.procedures.get(procedure_id="twsp", is_current=True)
    procedure = procedure_of(twsp)
    calendar = calendar_with(procedure, ())
    track = procedure.track().id
    agencies = {a.name.split()[1]: a for a in partnership.agencies.all()}
    pairs = [
        (agencies["NHS"], person("nia.nurse"), agencies["Council"], person("sam.social")),
        (agencies["Police"], person("pat.police"), agencies["Academy"], person("tess.teacher")),
        (agencies["Academy"], person("tess.teacher"), agencies["NHS"], person("nia.nurse")),
        (agencies["Council"], person("sam.social"), agencies["Police"], person("pat.police")),
    ]
    # Every working day from ten before NOW to twenty after, at the end of the day.
    days = [calendar.previous_working_day(NOW.date())]
    for _ in range(9):
        days.insert(0, calendar.previous_working_day(days[0]))
    day = NOW.date()
    while len(days) < 31:
        day = calendar.add_working_days(day, 1)
        days.append(day)
    dues = [calendar.end_of_working_day(d) for d in days]
    started = time.perf_counter()
    rows = []
    for number in range(cases):
        raising, raiser, other, professional = pairs[number % len(pairs)]
        due = dues[number % len(dues)]
        entered = due - timedelta(days=10)
        rows.append(
            Disagreement(
                partnership=partnership, procedure=twsp, reference=f"BENCH-{number:07d}",
                track=track, status="open", route="standard", stage="stage-1",
                stage_number=1, highest_stage_number=1, stage_entered_at=entered,
                raised_at=entered, next_due_at=due, raised_by=raiser, raising_agency=raising,
                other_agency=other, other_professional=professional,
                summary="Benchmark disagreement.",
            )
        )  # fmt: skip
    created = Disagreement.objects.bulk_create(rows, batch_size=5000)
    deadlines = []
    for case, due in zip(created, (dues[n % len(dues)] for n in range(cases)), strict=True):
        deadlines.append(
            Deadline(
                disagreement=case, key="stage-1/resolve", kind="step", stage="stage-1",
                label=procedure.track().stage("stage-1").step("resolve").name,
                side="other", due_at=due, rule="3 working days", explanation="",
            )
        )  # fmt: skip
        deadlines.append(
            Deadline(
                disagreement=case, key="stage-1", kind="stage", stage="stage-1",
                label="End of Practitioners", side="both", due_at=due + timedelta(days=7),
                rule="7 working days", explanation="",
            )
        )  # fmt: skip
    Deadline.objects.bulk_create(deadlines, batch_size=10000)
    print(f"Inserted {cases:,} open disagreements and {len(deadlines):,} deadlines "
          f"in {time.perf_counter() - started:.1f}s")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument(
        "--database-url", default=os.environ.get("PARLEY_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument(
        "--profile",
        choices=("first", "morning", "minute"),
        help="print where that sweep (first, next morning, a minute later) spends its time",
    )
    args = parser.parse_args()
    os.environ["PARLEY_DATABASE_URL"] = args.database_url
    os.environ.setdefault("PARLEY_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parley.settings")
    recreate(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from parley.notifications.models import Notification
    from parley.notifications.services import notifications_sweep

    call_command("migrate", verbosity=0)
    populate(args.cases)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    print(f"Machine: {machine()}; PostgreSQL {server}")
    for name, label, now in (
        ("first", "first sweep ever (empty outbox)", NOW),
        ("morning", "next working morning (steady state)", NOW + timedelta(days=1)),
        ("minute", "a minute later (every-minute sweep)", NOW + timedelta(days=1, minutes=1)),
    ):
        profile = cProfile.Profile() if args.profile == name else None
        if profile is not None:
            profile.enable()
        run = notifications_sweep(now=now)
        if profile is not None:
            profile.disable()
            stats = pstats.Stats(profile).sort_stats("cumulative")
            stats.print_stats(40)
            stats.print_callees("_sweep_partnership|_outbox_rows")
        print(
            f"{label}: {run.seconds:.2f}s; {run.deadlines_examined:,} deadlines examined, "
            f"{run.notifications_written:,} notifications written"
        )
    print(f"Outbox: {Notification.objects.count():,} notifications")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
