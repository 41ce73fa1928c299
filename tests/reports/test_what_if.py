"""Trying a proposed version of a procedure on the past year's concluded cases."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from parley.audit.models import AuditEntry
from parley.cases.demo import demo_load
from parley.reports.generate import cases_generate
from tests.reports.conftest import version_of

LIBRARY = Path(__file__).resolve().parents[2] / "parley" / "procedures"
WIRRAL = (LIBRARY / "wirral-children.yaml").read_text(encoding="utf-8")
SHORTER = WIRRAL.replace('version: "2026-2"', 'version: "2026-3"').replace(
    "    within: a working week\n    escalate_when", "    within: 2 working days\n    escalate_when"
)


def _text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.fixture
def last_year(db):
    """Wirral cases raised over the last year, up to today, most of them concluded."""
    partnership = demo_load(with_cases=False)
    today = timezone.localdate()
    cases_generate(
        version=version_of(partnership, "wirral-children"),
        count=120,
        start=today - timedelta(days=360),
        days=350,
        until=datetime.combine(today, time(), ZoneInfo("Europe/London")),
        seed=7,
    )
    return partnership


def _numbers(text: str) -> tuple[int, int]:
    found = re.search(r"(\d+) were overdue at some stage\. Under the proposal, (\d+) would", text)
    assert found, text
    return int(found.group(1)), int(found.group(2))


def test_a_shorter_timescale_shows_more_cases_overdue_before_and_after(last_year, signed_in):
    upload = SimpleUploadedFile("wirral-proposed.yaml", SHORTER.encode(), "application/x-yaml")
    response = signed_in("ben.business").post("/reports/wirral-children/what-if/", {"file": upload})
    assert response.status_code == 200
    text = _text(response)
    before, after = _numbers(text)
    assert after > before
    assert "Stage 1: Professionals resolving the disagreement 5 working days 2 working days" in text
    assert AuditEntry.objects.filter(action="report.view", detail__page="what-if").exists()


def test_the_same_file_pasted_in_changes_nothing(last_year, signed_in):
    response = signed_in("ben.business").post("/reports/wirral-children/what-if/", {"text": WIRRAL})
    before, after = _numbers(_text(response))
    assert before == after


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Upload the proposed procedure file or paste it in"),
        ({"text": "id: [unclosed"}, "Line 1"),
        ({"text": (LIBRARY / "twsp.yaml").read_text()}, "This file is for the procedure “twsp”"),
        (
            {"file": SimpleUploadedFile("x.yaml", b"\xff\xfe\x00bad", "application/x-yaml")},
            "The file must be a text file saved as UTF-8",
        ),
    ],
)
def test_a_proposal_that_cannot_be_used_is_refused_with_the_problem(db, signed_in, data, message):
    demo_load(with_cases=False)
    response = signed_in("ben.business").post("/reports/wirral-children/what-if/", data)
    assert response.status_code == 400
    text = _text(response)
    assert "There is a problem" in text and message in text


def test_a_stage_missing_from_the_proposal_is_reported(last_year, signed_in):
    renamed = WIRRAL.replace('version: "2026-2"', 'version: "2026-3"').replace(
        "  - id: stage-4\n", "  - id: chair\n"
    )
    response = signed_in("ben.business").post(
        "/reports/wirral-children/what-if/", {"text": renamed}
    )
    assert response.status_code == 200, _text(response)[:2000]
    text = _text(response)
    assert "These stages are not in the proposal: stage-4" in text
    assert re.search(r"\d+ of them reached a stage the proposal does not have", text)


def test_only_people_who_report_may_try_a_change(db, signed_in):
    demo_load(with_cases=False)
    assert signed_in("sam.social").get("/reports/wirral-children/what-if/").status_code == 404
    assert signed_in("ben.business").get("/reports/wirral-children/what-if/").status_code == 200
