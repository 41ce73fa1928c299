"""Escalations sent at the same moment move a case one stage, on PostgreSQL, from real
processes: the door's own processes, and a real web server with several workers.

Each process acts on the version of the case it read, as a page or an API client does.
The door locks the case, sees that the case has moved on since that version, and refuses
all but the first with the reason; nobody can skip a stage by pressing twice.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib import request as urlrequest
from urllib.error import HTTPError

import pytest
from django.db import connection

from parley.api.tokens import api_token_create
from parley.cases import services
from parley.cases.demo import demo_load, person
from parley.cases.models import Agency, Disagreement
from parley.dburl import redact

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

# One process: wait for the moment, escalate as the person, say what happened as JSON.
ESCALATE = """
import json, os, sys, time
import django
django.setup()
from parley.cases import services
from parley.cases.models import Disagreement, Person
case = Disagreement.objects.get(pk=int(sys.argv[1]))
who = Person.objects.get(user__username=sys.argv[2])
version = int(sys.argv[3])
start = float(sys.argv[4])
while time.time() < start:
    time.sleep(0.001)
began = time.perf_counter()
try:
    services.disagreement_escalate(
        disagreement=case, person=who, reason="no-agreement", version=version
    )
    outcome = "escalated"
except services.Stale as stale:
    outcome = "stale: " + stale.reason
except services.Refused as refused:
    outcome = "refused: " + refused.reason
print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - began}))
"""


def _database_url() -> str:
    """The test database, as the processes reach it."""
    settings = connection.settings_dict
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or "5432"
    user = settings["USER"] or "postgres"
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


def _environment() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "parley.settings",
        "PARLEY_DATABASE_URL": _database_url(),
        "PYTHONPATH": str(ROOT),
    }


@pytest.fixture
def case_at_stage_2() -> Disagreement:
    demo_load(with_cases=False)
    partnership = demo_load(with_cases=False)
    version = partnership.procedures.get(procedure_id="twsp", is_current=True)
    case = services.disagreement_raise(
        procedure=version,
        raised_by=person("nia.nurse"),
        raising_agency=Agency.objects.get(name="Demoshire NHS Foundation Trust"),
        other_agency=Agency.objects.get(name="Demoshire Council Children's Services"),
        other_professional=person("sam.social"),
        summary="Closed after one visit.",
    )
    services.disagreement_escalate(
        disagreement=case, person=person("nia.nurse"), reason="no-agreement"
    )
    case.refresh_from_db()
    return case


@pytest.mark.parametrize("processes", [2, 4])
def test_simultaneous_escalations_from_processes_move_the_case_once(
    case_at_stage_2: Disagreement, processes: int
) -> None:
    case = case_at_stage_2
    # Max (Health) and Lee (children's social care) both act at stage 2, and dana.dsl,
    # a safeguarding lead, does too; each process read the case at stage 2.
    people = ["max.manager", "lee.lm", "dana.dsl", "priya.lead"][:processes]
    start = time.time() + 3.0  # every process started and set up before this moment
    running = [
        subprocess.Popen(
            [PYTHON, "-c", ESCALATE, str(case.pk), who, str(case.version), str(start)],
            env=_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for who in people
    ]
    results = []
    for process in running:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    outcomes = sorted(r["outcome"] for r in results)

    assert outcomes[0] == "escalated"
    assert outcomes[1:] == [
        "stale: This disagreement has moved on since the version you acted on: it is now at "
        "stage 3, Senior managers and designated safeguarding leads. Check the record "
        "before you act."
    ] * (processes - 1)
    case.refresh_from_db()
    assert case.stage == "stage-3"
    assert case.events.filter(kind="escalated").count() == 2  # 1 → 2 before, 2 → 3 now
    slowest = max(r["seconds"] for r in results)
    print(f"{processes} processes: 1 escalated, {processes - 1} refused; slowest {slowest:.3f}s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def web_server() -> Iterator[str]:
    """gunicorn with four sync workers on the test database."""
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(PYTHON).with_name("gunicorn")), "parley.wsgi:application",
            "--workers", "4", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
        ],
        env=_environment(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urlrequest.urlopen(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        raise AssertionError(f"gunicorn did not start on {redact(_database_url())}")
    try:
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_four_api_escalations_at_once_through_a_web_server_move_the_case_once(
    case_at_stage_2: Disagreement, web_server: str
) -> None:
    case = case_at_stage_2
    token = api_token_create(person=person("max.manager"), name="t", scopes=["write"], days=1)
    url = f"{web_server}/api/v1/disagreements/{case.reference}/actions"
    body = json.dumps({"kind": "escalated", "reason": "no-agreement"}).encode()
    start = threading.Barrier(4)
    answers: list[tuple[int, dict[str, Any]]] = []

    def send() -> None:
        call = urlrequest.Request(
            url, data=body, method="POST",
            headers={
                "Authorization": f"Bearer {token.secret}", "Content-Type": "application/json",
                "If-Match": f'"{case.version}"',
            },
        )  # fmt: skip
        start.wait()
        try:
            with urlrequest.urlopen(call, timeout=60) as answer:
                answers.append((answer.status, json.loads(answer.read())))
        except HTTPError as refused:
            answers.append((refused.code, json.loads(refused.read())))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert sorted(status for status, _ in answers) == [201, 409, 409, 409]
    assert all(body["error"]["code"] == "conflict" for status, body in answers if status == 409)
    case.refresh_from_db()
    assert case.stage == "stage-3"
