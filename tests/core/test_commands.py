"""``parley procedures ...`` and ``parley timeline ...``, through the ``parley`` command.

Pure tests: no Django and no database. Each runs ``parley.cli.main([...])`` as the
``parley`` script would and reads what it printed. docs/cli.md documents what these check.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import parley.commands
from parley.cli import main
from parley.core.loader import CheckResult, check_file

LIBRARY = Path(__file__).resolve().parents[2] / "parley" / "procedures"
SHIPPED = ("bedfordshire-channel", "torbay-channel", "torbay-children", "twsp", "wirral-children")


@pytest.fixture(autouse=True)
def _no_django(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """These commands must work where Django cannot even be imported."""
    for name in [name for name in sys.modules if name == "django" or name.startswith("django.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "django", None)
    yield


@cache
def _check_once(path: str, mtime_ns: int, size: int) -> CheckResult:
    return check_file(path)


def _cached_check_file(path: Path | str) -> CheckResult:
    found = Path(path)
    if not found.is_file():
        return check_file(found)
    stat = found.stat()
    return _check_once(str(found), stat.st_mtime_ns, stat.st_size)


@pytest.fixture(autouse=True)
def _read_each_file_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a procedure file takes a tenth of a second, and the commands look a name up by
    reading the library in turn; checking files is test_loader's business, not these tests'."""
    monkeypatch.setattr(parley.commands, "check_file", _cached_check_file)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def timeline_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    status, out, err = run(capsys, "timeline", *argv, "--format", "json")
    assert (status, err) == (0, "")
    plan: dict[str, Any] = json.loads(out)
    return plan


# --- parley procedures list | check | show -------------------------------------------------


def test_procedures_list_lists_every_shipped_procedure_with_its_version_and_scope(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(capsys, "procedures", "list")

    assert (status, err) == (0, "")
    assert [line.split()[0] for line in out.splitlines()] == list(SHIPPED)
    assert (
        "twsp                     TWSP Resolution and Escalation Process — Telford and Wrekin "
        "Safeguarding Partnership (version 2024-3; adults, children)"
    ) in out.splitlines()


def test_procedures_check_passes_every_shipped_file(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(LIBRARY / f"{name}.yaml") for name in SHIPPED]

    status, out, err = run(capsys, "procedures", "check", *files)

    assert (status, err) == (0, "")
    assert [line.split(":")[0] for line in out.splitlines()] == [f"{n}.yaml" for n in SHIPPED]
    assert "twsp.yaml: ok — TWSP Resolution and Escalation Process, version 2024-3" in out


def test_procedures_check_finds_a_shipped_procedure_by_its_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "procedures", "check", "twsp")

    assert status == 0
    assert out.startswith("twsp.yaml: ok")


BROKEN = """\
parley: 1
id: broken
name: A broken procedure
version: "2026-1"
partnership: Example Safeguarding Partnership
scope: [children]
stages:
  - id: stage-1
    name: Practitioners
    raising_side: [practitioner]
    other_side: [practitionr]
    within: 5 days
    resolution:
      - {kind: agreement, description: They agree a way forward.}
"""


def test_procedures_check_refuses_a_broken_file_with_each_problem_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")

    status, out, err = run(capsys, "procedures", "check", str(path))

    assert (status, out) == (1, "")
    assert err.splitlines() == [
        'broken.yaml, line 11: "practitionr" is not a role Parley knows; did you mean '
        '"practitioner"? Declare it under "roles" if it is one of this partnership\'s own.',
        'broken.yaml, line 12: "within": "5 days" does not say which days count: write '
        '"working days" (weekends and bank holidays do not count) or "calendar days"',
        "broken.yaml: refused — 2 problems",
    ]


def test_procedures_check_of_good_and_broken_files_fails_but_checks_them_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")

    status, out, err = run(capsys, "procedures", "check", str(path), "twsp")

    assert status == 1
    assert out.startswith("twsp.yaml: ok")
    assert err.endswith("broken.yaml: refused — 2 problems\n")


def test_procedures_check_of_a_file_that_is_not_there_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(capsys, "procedures", "check", "no-such-file.yaml")

    assert (status, out) == (2, "")
    assert err.startswith('there is no procedure called "no-such-file.yaml"; the library has: ')


def test_procedures_show_prints_the_ladder(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "procedures", "show", "twsp")

    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[:3] == [
        "TWSP Resolution and Escalation Process (version 2024-3)",
        "Telford and Wrekin Safeguarding Partnership",
        "Scope: adults, children",
    ]
    assert [line for line in lines if line.startswith("Stage ")] == [
        "Stage 1: Practitioners — 7 working days; cumulative 7 working days",
        "Stage 2: Line or team managers — 4 working days; cumulative 11 working days",
        "Stage 3: Senior managers and designated safeguarding leads — 3 working days; "
        "cumulative 14 working days",
        "Stage 4: Assistant director or director — 4 working days; cumulative 18 working days",
        "Stage 5: TWSP Executive — 7 working days; cumulative 25 working days",
    ]
    assert "  - Refer in writing on the TWSP Resolution and Escalation Form: 24 hours" in lines
    assert (
        "  - Confirm the outcome in writing (for example by email) (if agreed): 2 working days"
        in lines
    )
    assert "  Goes next to: TWSP Executive" in lines
    assert "Immediate risk: the same working day, starting at stage-3" in lines
    assert "Bypass: allowed" in lines
    # The roles table, as it applies to TWSP: who acts where, who sees what.
    table = lines[lines.index("Who sees and acts (the roles table):") + 1 :]
    assert (
        "  Line manager or supervisor (line-manager): acts at stage 2 (raising), stage 2 "
        "(other); sees their agency's cases from stage 2, held in an agency" in table
    )
    assert (
        "  Partnership or board business manager (business-manager): acts at no stage of "
        "this procedure; sees every case, held partnership-wide" in table
    )
    assert "  Administrator (administrator): only looks; sees no case" in table


def test_procedures_show_of_an_unknown_procedure_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(capsys, "procedures", "show", "northshire")

    assert (status, out) == (2, "")
    assert err == (
        'there is no procedure called "northshire"; the library has: '
        "bedfordshire-channel, torbay-channel, torbay-children, twsp, wirral-children\n"
    )


def test_procedures_show_of_a_broken_file_prints_its_problems_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")

    status, out, err = run(capsys, "procedures", "show", str(path))

    assert (status, out) == (1, "")
    assert err.startswith("broken.yaml, line 11: ")


def test_procedures_with_no_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "procedures")

    assert status == 2
    assert err == "parley procedures: the following arguments are required: action\n"


# --- parley timeline -----------------------------------------------------------------------


def test_timeline_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    plan = timeline_json(capsys, "twsp", "--from", "2026-12-21")

    assert list(plan) == [
        "format",
        "procedure",
        "raised",
        "immediate_risk",
        "track",
        "stages",
        "overall",
    ]
    assert plan["format"] == 1
    assert plan["procedure"] == {
        "id": "twsp",
        "name": "TWSP Resolution and Escalation Process",
        "version": "2024-3",
    }
    assert (plan["raised"], plan["immediate_risk"], plan["track"]) == (
        "2026-12-21T09:00:00+00:00",
        False,
        "general",
    )
    assert plan["overall"] is None
    stage = plan["stages"][0]
    assert list(stage) == [
        "id", "number", "name", "informal", "limit", "cumulative_limit", "entered", "ends",
        "cumulative_working_days", "steps",
    ]  # fmt: skip
    assert list(stage["steps"][0]) == [
        "id", "name", "by", "limit", "latest_date", "latest", "advisory", "explanation", "skipped",
    ]  # fmt: skip


def test_timeline_json_dates_are_iso_8601(capsys: pytest.CaptureFixture[str]) -> None:
    plan = timeline_json(capsys, "twsp", "--from", "2026-12-21")

    for stage in plan["stages"]:
        datetime.fromisoformat(stage["entered"])
        datetime.fromisoformat(stage["ends"])
        for step in stage["steps"]:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", step["latest_date"])
            assert step["latest"].startswith(step["latest_date"] + "T17:00:00")
            assert (
                date.fromisoformat(step["latest_date"])
                == datetime.fromisoformat(step["latest"]).date()
            )
            for skipped in step["skipped"]:
                date.fromisoformat(skipped["date"])


def test_timeline_json_for_twsp_from_monday_21_december_2026(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = timeline_json(capsys, "twsp", "--from", "2026-12-21")

    assert [
        (
            stage["id"],
            [step["latest_date"] for step in stage["steps"]],
            stage["cumulative_working_days"],
        )
        for stage in plan["stages"]
    ] == [
        ("stage-1", ["2026-12-23", "2026-12-30", "2027-01-04"], 7),
        ("stage-2", ["2027-01-06", "2027-01-08"], 11),
        ("stage-3", ["2027-01-11", "2027-01-13"], 14),
        ("stage-4", ["2027-01-15", "2027-01-19"], 18),
        ("stage-5", ["2027-01-21", "2027-01-28"], 25),
    ]
    resolve = plan["stages"][0]["steps"][1]
    assert resolve == {
        "id": "resolve",
        "name": "Read the case file, speak to the disputing practitioner and find a way forward",
        "by": "other",
        "limit": "3 working days",
        "latest_date": "2026-12-30",
        "latest": "2026-12-30T17:00:00+00:00",
        "advisory": False,
        "explanation": (
            "3 working days from Wednesday 23 December 2026: 25 and 28 December are bank holidays."
        ),
        "skipped": [
            {"date": "2026-12-25", "reason": "Christmas Day (bank holiday)"},
            {"date": "2026-12-26", "reason": "Saturday"},
            {"date": "2026-12-27", "reason": "Sunday"},
            {"date": "2026-12-28", "reason": "Boxing Day (substitute day)"},
        ],
    }


def test_timeline_with_a_time_and_an_offset_is_shown_in_london_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = timeline_json(capsys, "twsp", "--from", "2027-03-22T15:30+01:00")

    assert plan["raised"] == "2027-03-22T14:30:00+00:00"
    assert plan["stages"][0]["steps"][1]["latest"] == "2027-03-31T17:00:00+01:00"


def test_timeline_json_overall_limit_and_an_undated_stage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = timeline_json(capsys, "bedfordshire-channel", "--from", "2026-12-21")

    assert plan["overall"]["id"] == "overall"
    assert (plan["overall"]["latest"], plan["overall"]["limit"]) == (
        "2027-01-21T17:00:00+00:00",
        "20 working days",
    )
    last = plan["stages"][-1]
    assert (last["id"], last["ends"], last["cumulative_working_days"], last["steps"]) == (
        "stage-5",
        None,
        None,
        [],
    )


def test_timeline_json_with_no_timescales_leaves_later_stages_unentered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = timeline_json(capsys, "torbay-children", "--from", "2026-12-21")

    assert [stage["entered"] for stage in plan["stages"]] == [
        "2026-12-21T09:00:00+00:00",
        None,
        None,
        None,
        None,
    ]


def test_timeline_immediate_risk_starts_at_the_procedures_stage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = timeline_json(capsys, "twsp", "--from", "2026-12-24T18:00", "--immediate-risk")

    assert plan["immediate_risk"] is True
    assert plan["stages"][0]["id"] == "stage-3"
    assert plan["stages"][0]["steps"][0]["latest"] == "2026-12-29T17:00:00+00:00"


def test_timeline_immediate_risk_with_a_chosen_start_stage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = timeline_json(
        capsys,
        "torbay-children",
        "--from",
        "2026-12-21",
        "--immediate-risk",
        "--start-stage",
        "stage-4",
    )

    assert [stage["id"] for stage in plan["stages"]] == ["stage-4", "stage-5"]
    assert plan["stages"][0]["steps"][0]["latest"] == "2026-12-21T17:00:00+00:00"


def test_timeline_text_says_when_each_step_is_due(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "timeline", "twsp", "--from", "2026-12-21")

    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[:2] == [
        "TWSP Resolution and Escalation Process (version 2024-3)",
        "If raised Monday 21 December 2026, 09:00, and every stage runs to its limit:",
    ]
    assert (
        "    by Monday 11 January 2027, 17:00 — 24 hours from 5pm on Friday 8 January 2027."
    ) in lines
    assert "  Stage ends by Thursday 28 January 2027, 17:00: 25 working days since raised" in lines


@pytest.mark.parametrize("when", ["2026-13-40", "21/12/2026", "tomorrow", "2026-12-21T25:00"])
def test_timeline_with_a_bad_date_is_a_usage_error_with_a_plain_message(
    when: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "timeline", "twsp", "--from", when)

    assert (status, out) == (2, "")
    assert err == (
        f'"{when}" is not a date: write it as YYYY-MM-DD, such as 2026-12-22, '
        "or with a time as 2026-12-22T15:00\n"
    )


def test_timeline_of_an_unknown_procedure_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(capsys, "timeline", "northshire", "--from", "2026-12-21")

    assert (status, out) == (2, "")
    assert err.startswith('there is no procedure called "northshire"; the library has: ')


def test_timeline_immediate_risk_where_the_raiser_chooses_needs_a_start_stage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(
        capsys, "timeline", "torbay-children", "--from", "2026-12-21", "--immediate-risk"
    )

    assert (status, out) == (2, "")
    assert err == (
        "torbay-children leaves the starting stage to the raiser on the immediate-risk route: "
        "add --start-stage\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["twsp"], "parley timeline: the following arguments are required: --from\n"),
        (
            ["twsp", "--from", "2026-12-21", "--track", "adults"],
            '"adults" is not a track of twsp: use general\n',
        ),
        (
            ["twsp", "--from", "2026-12-21", "--start-stage", "stage-9"],
            '"stage-9" is not a stage: use one of stage-1, stage-2, stage-3, stage-4, stage-5\n',
        ),
        (
            ["twsp", "--from", "2026-12-21", "--format", "xml"],
            "parley timeline: argument --format: invalid choice: 'xml' "
            "(choose from 'text', 'json')\n",
        ),
    ],
    ids=["no-from", "unknown-track", "unknown-stage", "unknown-format"],
)
def test_timeline_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "timeline", *argv)

    assert (status, out, err) == (2, "", message)


def test_timeline_of_a_broken_file_prints_its_problems_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")

    status, out, err = run(capsys, "timeline", str(path), "--from", "2026-12-21")

    assert (status, out) == (1, "")
    assert err.startswith("broken.yaml, line 11: ")


def test_timeline_of_a_procedure_file_outside_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "example.yaml"
    path.write_text(
        BROKEN.replace("practitionr", "practitioner").replace("5 days", "5 working days")
    )

    plan = timeline_json(capsys, str(path), "--from", "2026-12-21")

    assert plan["procedure"]["id"] == "broken"
    assert plan["stages"][0]["ends"] == "2026-12-30T17:00:00+00:00"
