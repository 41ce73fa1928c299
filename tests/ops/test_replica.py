"""With PARLEY_REPLICA_DATABASE_URL set, a report's reads go to the replica: two real databases.

The "replica" is a second PostgreSQL database on the same server, made from the primary
by ``parley backup`` and ``parley restore``; then one more case is raised on the primary
only. A report built in a process configured with both must count what the replica holds,
and its queries must have gone there. Before, each report read ran inside
``transaction.atomic()`` on the primary, and the router sends reads inside a transaction
to the primary: every report read went there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from parley.cases import services
from parley.cases.demo import demo_load, person
from parley.cases.models import Partnership
from parley.core.report import parse_period
from parley.dburl import database_from_url
from parley.ops.backup import database_backup, database_restore
from parley.reports.figures import report_build
from parley.reports.scope import report_scope
from tests.ops.test_backup import _wrapper

pytestmark = pytest.mark.postgres_only

ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")
PERIOD = "2026"
TODAY = date(2027, 1, 15)

# Run in a process of its own, so that settings read both URLs at start-up as in a
# deployment. It prints what the report counted and where its queries went.
REPORT = """
import json
import django
django.setup()
from datetime import date
from django.db import connections
from django.test.utils import CaptureQueriesContext
from parley.cases.models import Partnership
from parley.core.report import parse_period
from parley.reports.behind import Behind, cases_behind
from parley.reports.figures import report_build
from parley.reports.scope import report_scope
from parley.cases.demo import person

scope = report_scope(partnership=Partnership.objects.get(slug="demo"), procedure_id="twsp")
period = parse_period("%(period)s")
today = date.fromisoformat("%(today)s")
with CaptureQueriesContext(connections["default"]) as primary, \\
        CaptureQueriesContext(connections["replica"]) as replica:
    report = report_build(scope=scope, period=period, threshold=5, today=today)
    behind = cases_behind(
        person=person("ben.business"), scope=scope, period=period,
        behind=Behind.read({"figure": "raised"}), today=today,
    )
    listed = sorted(behind.values_list("reference", flat=True))
print(json.dumps({
    "figures": report.figures(),
    "listed": listed,
    "primary": [q["sql"] for q in primary.captured_queries],
    "replica": len(replica.captured_queries),
    "replica_name": connections["replica"].settings_dict["NAME"],
}))
"""


def url_of(name: str) -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def replica_name(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    import psycopg

    name = f"parley_replica_{uuid.uuid4().hex[:12]}"
    admin = database_from_url(url_of("postgres"))
    conninfo = {
        "host": admin["HOST"] or "127.0.0.1",
        "port": admin["PORT"] or 5432,
        "user": admin["USER"],
        "password": admin["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def raise_twsp(day: int, summary: str) -> str:
    partnership = Partnership.objects.get(slug="demo")
    case = services.disagreement_raise(
        procedure=partnership.procedures.get(procedure_id="twsp", is_current=True),
        raised_by=person("nia.nurse"),
        raising_agency=partnership.agencies.get(name__startswith="Demoshire NHS"),
        other_agency=partnership.agencies.get(name__startswith="Demoshire Council Children"),
        other_professional=person("sam.social"),
        summary=summary,
        at=datetime(2026, 3, day, 10, tzinfo=LONDON),
    )
    return case.reference


def figures_here() -> dict[str, object]:
    scope = report_scope(partnership=Partnership.objects.get(slug="demo"), procedure_id="twsp")
    report = report_build(scope=scope, period=parse_period(PERIOD), threshold=5, today=TODAY)
    return json.loads(json.dumps(report.figures()))


def test_report_reads_go_to_the_replica(replica_name: str, tmp_path: Path) -> None:
    demo_load(with_cases=False)
    copied = [raise_twsp(day, f"Case {day}") for day in (2, 3, 4)]
    on_both = figures_here()

    # The replica: a copy of the primary as it is now.
    backup = tmp_path / "primary.backup"
    database_backup(out=backup)
    replica = _wrapper(replica_name)
    database_restore(source=backup, replace=False, connection=replica)
    replica.close()

    # Then the primary moves on; the replica does not (as if lagging).
    raise_twsp(5, "Raised on the primary only")
    on_primary = figures_here()
    assert on_primary != on_both

    environment = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    environment.update(
        DJANGO_SETTINGS_MODULE="parley.settings",
        PARLEY_DATABASE_URL=url_of(connection.settings_dict["NAME"]),
        PARLEY_REPLICA_DATABASE_URL=url_of(replica_name),
        PARLEY_VAR_DIR=str(tmp_path / "var"),
    )
    result = subprocess.run(
        [sys.executable, "-c", REPORT % {"period": PERIOD, "today": TODAY.isoformat()}],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["replica_name"] == replica_name
    assert seen["figures"] == on_both  # what the replica holds, not the primary
    assert seen["listed"] == sorted(copied)
    assert seen["replica"] > 0
    # Reads of what the report is about; the person's roles and sight stay on the primary.
    about_cases = [
        sql
        for sql in seen["primary"]
        if any(t in sql for t in ('"reports_', '"cases_event"', '"cases_disagreement"'))
    ]
    assert about_cases == []
