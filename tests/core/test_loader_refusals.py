"""The checker refuses files that cannot run as written, and never crashes.

Each case is a small procedure that Parley used to accept (or crash on); each must now be
refused with one plain-English message at the line that is wrong. Pure: no database.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from parley.cli import main
from parley.core.loader import MAX_FILE_BYTES, check_file, check_text

BASE = """\
parley: 1
id: probe
name: Probe procedure
version: "2026-1"
partnership: Probe Safeguarding Partnership
scope: [children]
stages:
  - id: stage-1
    name: Practitioners
    raising_side: [practitioner]
    other_side: [practitioner]
    within: 5 working days
  - id: stage-2
    name: Managers
    raising_side: [line-manager]
    other_side: [line-manager]
    within: 5 working days
  - id: stage-3
    name: Safeguarding leads
    raising_side: [safeguarding-lead]
    other_side: [safeguarding-lead]
    within: 5 working days
    resolution:
      - kind: agreement
"""


def refusal(text: str) -> tuple[int, str]:
    """The one problem a file is refused for: its line and message."""
    result = check_text(text, "probe.yaml")
    assert not result.ok, "the file was accepted"
    assert len(result.errors) == 1, [str(p) for p in result.errors]
    return result.errors[0].line, result.errors[0].message


def test_the_probe_itself_is_accepted() -> None:
    result = check_text(BASE, "probe.yaml")
    assert result.ok and not result.problems, [str(p) for p in result.problems]


def test_a_bypass_to_the_very_next_stage_is_refused() -> None:
    text = BASE + "bypass:\n  allowed: true\n  from_stages: [stage-1]\n  to_stages: [stage-2]\n"
    line, message = refusal(text)
    assert line == 28
    assert message == (
        'bypass goes to "stage-2", but no stage it may start from is two or more stages '
        'below it ("stage-2" is the very next stage after "stage-1"): bypassing means going '
        "past the next stage; people reach the next stage by escalating"
    )


def test_a_bypass_down_the_ladder_is_refused() -> None:
    text = BASE + "bypass:\n  allowed: true\n  from_stages: [stage-3]\n  to_stages: [stage-1]\n"
    line, message = refusal(text)
    assert line == 28
    assert message.startswith('bypass goes to "stage-1", but no stage it may start from')


def test_a_bypass_past_the_next_stage_is_accepted() -> None:
    text = BASE + "bypass:\n  allowed: true\n  from_stages: [stage-1]\n  to_stages: [stage-3]\n"
    assert check_text(text, "probe.yaml").ok


def test_an_empty_list_of_allowed_starts_is_refused() -> None:
    text = BASE + "immediate_risk:\n  start: choose\n  allowed_starts: []\n"
    line, message = refusal(text)
    assert line == 27
    assert message == (
        '"allowed_starts" is empty, so no stage could be chosen: list the stages the person '
        "raising it may choose from, or leave it out to allow every stage"
    )


def test_a_stage_below_the_top_with_no_way_to_escalate_is_refused() -> None:
    text = BASE.replace(
        "    within: 5 working days\n  - id: stage-2",
        "    within: 5 working days\n    escalate_when: []\n  - id: stage-2",
    )
    line, message = refusal(text)
    assert line == 8
    assert message == (
        'stage "stage-1" goes next to "stage-2", but "escalate_when" is empty, so no case '
        "could ever leave it: give at least one of deadline-passed, response-unsatisfactory, "
        "no-agreement, or leave it out to allow them all"
    )


def test_deadline_passed_on_a_stage_with_no_limit_is_refused() -> None:
    text = BASE.replace(
        "    within: 5 working days\n  - id: stage-2",
        "    escalate_when: [deadline-passed]\n  - id: stage-2",
    )
    line, message = refusal(text)
    assert line == 8
    assert message == (
        'stage "stage-1" escalates when "deadline-passed", but nothing at that stage has a '
        "binding time limit, so no deadline can ever pass: give the stage or one of its "
        'steps a "within", or take deadline-passed out'
    )


def test_deadline_passed_where_only_a_step_has_a_limit_is_accepted() -> None:
    text = BASE.replace(
        "    within: 5 working days\n  - id: stage-2",
        "    escalate_when: [deadline-passed]\n    steps:\n"
        "      - {id: respond, name: Respond, by: other, within: 2 working days}\n"
        "  - id: stage-2",
    )
    assert check_text(text, "probe.yaml").ok


def test_a_step_for_the_other_side_on_a_one_sided_stage_is_refused() -> None:
    # Held already: kept as a test so that it stays so.
    text = BASE.replace(
        "    other_side: [practitioner]\n    within: 5 working days\n",
        "    within: 5 working days\n    steps:\n"
        "      - {id: respond, name: Respond, by: other, within: 5 working days}\n",
    )
    line, message = refusal(text)
    assert line == 13
    assert message.startswith('step "respond" of stage "stage-1" is for the other side')


@pytest.mark.parametrize(
    ("where", "line"),
    [
        ("notify:\n  - who: ghost-panel\n", 26),
        ("immediate_risk:\n  start: stage-2\n  notify: [ghost-panel]\n", 27),
    ],
)
def test_people_told_who_do_not_exist_are_refused(where: str, line: int) -> None:
    # Held already: kept as a test so that it stays so.
    got_line, message = refusal(BASE + where)
    assert got_line == line
    assert message.startswith('"ghost-panel" is not a role Parley knows')


def test_the_same_closure_day_twice_is_refused() -> None:
    text = BASE + (
        "calendar:\n  closures:\n"
        "    - {date: 2026-12-29, name: Offices closed}\n"
        "    - {date: 2026-12-29, name: Staff training}\n"
    )
    line, message = refusal(text)
    assert line == 28
    assert message == (
        "the closure day 2026-12-29 is given twice (lines 27 and 28): give each day once"
    )


def _layered(tmp_path: Path, local_stages: str) -> Path:
    fixtures = Path(__file__).resolve().parent / "fixtures" / "procedures"
    (tmp_path / "pennine-regional.yaml").write_text(
        (fixtures / "pennine-regional.yaml").read_text()
    )
    local = tmp_path / "local.yaml"
    local.write_text(
        "parley: 1\nextends: pennine-regional.yaml\nid: local\nname: Local procedure\n"
        'version: "2026-1"\npartnership: Local board\nstages:\n' + local_stages
    )
    return local


def test_an_id_removed_and_added_again_in_a_local_layer_is_refused(tmp_path: Path) -> None:
    local = _layered(
        tmp_path,
        "  - id: stage-3\n    remove: true\n  - id: stage-3\n    name: Heads of service\n",
    )
    result = check_file(local)
    assert [(p.file, p.line, p.message) for p in result.errors] == [
        (
            "local.yaml",
            10,
            '"stage-3" is given twice under "stages" (lines 8 and 10): give each id once, '
            "either to change it or to remove it",
        )
    ]


def test_an_id_given_twice_in_a_local_layer_is_refused(tmp_path: Path) -> None:
    local = _layered(
        tmp_path,
        "  - id: stage-2\n    within: 3 working days\n  - id: stage-2\n    name: Managers\n",
    )
    (problem,) = check_file(local).errors
    assert (problem.line, problem.message.split(":")[0]) == (
        10,
        '"stage-2" is given twice under "stages" (lines 8 and 10)',
    )


TRACKS = """\
parley: 1
id: probe
name: Probe procedure
version: "2026-1"
partnership: Probe Safeguarding Partnership
scope: [children]
immediate_risk:
  start: dissent-2
tracks:
  - id: general
    name: General
    stages:
      - id: stage-1
        name: Practitioners
        raising_side: [practitioner]
        other_side: [practitioner]
        within: 5 working days
        resolution:
          - kind: agreement
  - id: dissent
    name: Dissent
    stages:
      - id: dissent-1
        name: Chair review
        raising_side: [practitioner]
        other_side: [practitioner]
        within: 2 working days
      - id: dissent-2
        name: Head of service
        raising_side: [senior-manager]
        other_side: [senior-manager]
        within: 2 working days
        resolution:
          - kind: agreement
"""


def test_an_immediate_risk_start_outside_the_first_track_is_refused() -> None:
    line, message = refusal(TRACKS)
    assert line == 8
    assert message == (
        'the immediate-risk route starts at "dissent-2", which is a stage of "dissent", not '
        'of the first track, "general": a case at immediate risk is raised on the first '
        "track, so the route must start on it"
    )


def test_timeline_on_the_immediate_risk_route_never_raises_a_key_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tracks.yaml"
    path.write_text(TRACKS)
    status = main(["timeline", str(path), "--from", "2026-12-01", "--immediate-risk"])
    assert status == 1
    assert "tracks.yaml, line 8" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["start", "middle", "value"])
def test_a_nul_byte_is_refused_with_its_line(where: str) -> None:
    # Held already: kept as a test so that it stays so.
    if where == "start":
        text, line = "\x00" + BASE, 1
    elif where == "middle":
        text, line = BASE.replace("  - id: stage-2\n", "  - id: stage-2\x00\n"), 13
    else:
        text, line = BASE.replace("Probe procedure", "Probe\x00procedure"), 3
    got_line, message = refusal(text)
    assert (got_line, message.split(" (")[0]) == (
        line,
        "this line holds a character a procedure file cannot contain",
    )


def _alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_yaml_aliases_are_refused_quickly_and_without_memory() -> None:
    text = _alias_bomb(7)  # 9 to the 7th "x"s once expanded from 322 bytes: 10 s before
    assert len(text) < 400
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    line, message = refusal(text)
    assert time.perf_counter() - started < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # kB
    assert line == 2
    assert message == (
        'this line repeats another part of the file with a YAML alias ("*a0"): write the '
        "value out in full; Parley does not read aliases"
    )


def test_a_file_too_big_to_be_a_procedure_is_refused_before_it_is_read() -> None:
    text = BASE + ("# " + "x" * 98 + "\n") * (MAX_FILE_BYTES // 100 + 10)
    line, message = refusal(text)
    assert line > 25
    assert message.startswith("the file is longer than 512 KB")


def test_a_bypass_on_a_ladder_that_loops_is_refused_not_hung() -> None:
    text = BASE.replace("    resolution:\n      - kind: agreement\n", "    next: stage-1\n")
    text += "bypass:\n  allowed: true\n  to_stages: [stage-3]\n"
    result = check_text(text, "probe.yaml")
    assert not result.ok
    assert any("loop" in p.message for p in result.errors)


# --- a local layer inserts a stage where it goes ------------------------------------------

INFORMAL = (
    "  - id: informal\n    insert_before: stage-1\n    informal: true\n"
    "    name: Talk it through informally\n    raising_side: [practitioner]\n"
    "    other_side: [practitioner]\n"
)


def test_a_local_layer_inserts_an_informal_stage_before_the_first(tmp_path: Path) -> None:
    result = check_file(_layered(tmp_path, INFORMAL))
    assert result.ok, [str(p) for p in result.problems]
    assert result.procedure is not None
    ids = [stage.id for stage in result.procedure.track().stages]
    assert ids == ["informal", "stage-1", "stage-2", "stage-3", "stage-4"]
    assert result.procedure.track().stages[0].next == "stage-1"
    assert result.procedure.track().stages[0].source.file == "local.yaml"
    assert result.procedure.track().stages[1].source.file == "pennine-regional.yaml"


def test_a_local_layer_inserts_a_stage_after_another(tmp_path: Path) -> None:
    stage = (
        "  - id: stage-2b\n    insert_after: stage-2\n    name: Heads of safeguarding\n"
        "    raising_side: [safeguarding-lead]\n    other_side: [safeguarding-lead]\n"
    )
    result = check_file(_layered(tmp_path, stage))
    assert result.procedure is not None, [str(p) for p in result.problems]
    ids = [s.id for s in result.procedure.track().stages]
    assert ids == ["stage-1", "stage-2", "stage-2b", "stage-3", "stage-4"]


def test_inserting_next_to_a_stage_the_regional_file_lacks_is_refused(tmp_path: Path) -> None:
    (problem,) = check_file(_layered(tmp_path, INFORMAL.replace("stage-1", "stage-9"))).errors
    assert (problem.file, problem.line, problem.message) == (
        "local.yaml",
        8,
        '"informal" is to go before "stage-9", which pennine-regional.yaml does not have',
    )


def test_inserting_in_a_file_that_extends_nothing_is_refused() -> None:
    text = BASE.replace("  - id: stage-2\n", "  - id: stage-2\n    insert_after: stage-1\n")
    line, message = refusal(text)
    assert line == 13
    assert message.startswith('"insert_before" and "insert_after" only work in a file that')
