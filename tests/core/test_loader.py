"""Reading and checking procedure files.

Pure tests: no Django and no database. They cover the five shipped procedures, a new
partnership's procedure written only from docs/procedure-format.md, broken files (each
problem with its exact message, file and line), robustness against mangled files, and the
time-limit grammar.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.commands import ladder_text, plan_text
from parley.core.durations import DurationError, Unit, parse_duration
from parley.core.loader import (
    FORM_TEMPLATES,
    REGIONS,
    RESOLUTION_KEYS,
    STAGE_KEYS,
    STEP_KEYS,
    TOP_KEYS,
    CheckResult,
    check_file,
    check_text,
    load_file,
    load_text,
)
from parley.core.planner import Deadline, calendar_for, plan
from parley.core.procedure import (
    STANDARD_ROLES,
    Cadence,
    Debrief,
    EscalationTrigger,
    NotifyWhen,
    Procedure,
    ResolutionKind,
    Scope,
    Side,
    SignpostKind,
    StepAction,
    StepAnchor,
)

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "parley" / "procedures"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "procedures"
BROKEN = FIXTURES / "broken"
GUIDE = ROOT / "docs" / "procedure-format.md"
LONDON = ZoneInfo("Europe/London")

SHIPPED = ("twsp", "torbay-channel", "torbay-children", "bedfordshire-channel", "wirral-children")


def shipped(name: str) -> Procedure:
    return load_file(LIBRARY / f"{name}.yaml")


def fixture(name: str) -> Procedure:
    return load_file(FIXTURES / name)


# --- the five shipped procedures ---------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_procedure_loads_with_no_errors_and_no_warnings(name: str) -> None:
    result = check_file(LIBRARY / f"{name}.yaml")

    assert result.ok, [str(problem) for problem in result.problems]
    assert [str(problem) for problem in result.warnings] == []


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_procedure_id_is_its_file_name(name: str) -> None:
    assert shipped(name).id == name


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_procedure_lists_the_documents_ambiguities_in_its_header(name: str) -> None:
    text = (LIBRARY / f"{name}.yaml").read_text(encoding="utf-8")
    header = text.split("\nparley:", 1)[0]

    assert "Ambiguities in the document and what this file chooses:" in header
    assert header.count("\n# - ") >= 3


@pytest.mark.parametrize("name", SHIPPED)
def test_every_rule_of_a_shipped_procedure_cites_its_source(name: str) -> None:
    procedure = shipped(name)
    uncited = []
    for track in procedure.tracks:
        for stage in track.stages:
            things = [stage, *stage.steps, *stage.resolution, *stage.notify]
            uncited += [f"{stage.id}: {thing}" for thing in things if not thing.source.shown()]
    others = [*procedure.forms, *procedure.reporting, *procedure.notify, *procedure.signposting]
    if procedure.immediate_risk is not None:
        others.append(procedure.immediate_risk)
    # A rule the document does not give is marked as Parley's choice, with its reason.
    uncited += [str(thing) for thing in others if not thing.source.shown()]

    assert uncited == []


# Where each shipped document is silent and the file fills the gap: (entry, setting).
SHIPPED_CHOICES = {
    "torbay-channel": [("immediate_risk", "within"), ("reporting", ""), ("categories", "")],
    "torbay-children": [("immediate_risk", "within"), ("reporting", "")],
    "bedfordshire-channel": [("immediate_risk", "within")],
    "twsp": [("immediate_risk", "start")],
    "wirral-children": [
        ("immediate_risk", "start"),
        ("outcome", "written_confirmation"),
        ("outcome", "feedback_to_raiser"),
        ("outcome", "debrief"),
    ],
}


@pytest.mark.parametrize(
    ("name", "entry", "setting"),
    [(n, e, s) for n, choices in SHIPPED_CHOICES.items() for e, s in choices],
)
def test_a_shipped_procedure_marks_what_its_document_does_not_say_as_a_choice(
    name: str, entry: str, setting: str
) -> None:
    value = getattr(shipped(name), entry)
    things = value if isinstance(value, tuple) else (value,)

    assert any(thing.source.chosen(setting) for thing in things)
    assert all(
        thing.source.choice is None or thing.source.choice.reason.strip() for thing in things
    )


def test_torbay_channel_marks_every_borrowed_category_as_a_choice() -> None:
    assert all(category.source.chosen() for category in shipped("torbay-channel").categories)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_version_of_a_shipped_procedure_is_quoted_text(name: str) -> None:
    text = (LIBRARY / f"{name}.yaml").read_text(encoding="utf-8")

    assert re.search(r'^version: "[^"]+"$', text, re.MULTILINE)


def test_torbay_channel_has_four_stages_of_five_working_days_then_the_csp_board_chair() -> None:
    procedure = shipped("torbay-channel")
    stages = procedure.track().stages

    assert procedure.scope == {Scope.CHANNEL}
    assert [str(stage.within) for stage in stages] == [
        "5 working days",
        "5 working days",
        "5 working days",
        "none",
    ]
    assert {method.kind for method in stages[-1].resolution} == {
        ResolutionKind.CHAIR_DECIDES,
        ResolutionKind.DISPUTE_RESOLUTION_MEETING,
    }
    assert "csp-board-chair" in stages[-1].kept_informed
    assert procedure.role_label("csp-board-chair") == (
        "Chair of the Torbay Community Safety Partnership Board"
    )


def test_torbay_channel_alerts_the_channel_chair_when_a_disagreement_is_raised() -> None:
    procedure = shipped("torbay-channel")

    assert [(n.who, n.when) for n in procedure.notify] == [("channel-chair", NotifyWhen.RAISED)]
    assert all("channel-chair" in s.kept_informed for s in procedure.track().stages[:2])


def test_torbay_channel_immediate_risk_goes_to_senior_managers_the_same_working_day() -> None:
    risk = shipped("torbay-channel").immediate_risk

    assert risk is not None
    assert risk.start == "stage-3"
    assert risk.within.unit is Unit.SAME_WORKING_DAY


def test_torbay_channel_sends_learning_to_the_prevent_partnership_board() -> None:
    procedure = shipped("torbay-channel")

    assert procedure.outcome.learning_to == "Devon and Torbay Prevent Partnership Board"
    assert procedure.outcome.feedback_to_raiser is NotifyWhen.EVERY_STAGE
    assert [(r.cadence, r.to) for r in procedure.reporting] == [
        (Cadence.ANNUAL, "Devon and Torbay Prevent Partnership Board")
    ]
    assert {c.id for c in procedure.categories} >= {
        "levels-of-need",
        "roles-and-responsibilities",
        "need-for-action",
        "communication",
        "support-plan",
    }
    assert {s.kind for s in procedure.signposting} == {
        SignpostKind.WHISTLEBLOWING,
        SignpostKind.CONDUCT_COMPLAINT,
        SignpostKind.ALLEGATION_AGAINST_STAFF,
        SignpostKind.SYSTEM_ISSUE,
    }
    assert not procedure.bypass.allowed


def test_torbay_children_has_five_stages_and_no_time_limit_anywhere() -> None:
    procedure = shipped("torbay-children")
    stages = procedure.track().stages

    assert len(stages) == 5
    assert not any(stage.informal for stage in stages)
    assert all(not stage.within.is_limited for stage in stages)
    assert all(not step.within.is_limited for stage in stages for step in stage.steps)
    assert not procedure.overall.is_limited
    below_the_top = [stage for stage in stages if stage.next]
    assert all(EscalationTrigger.DEADLINE_PASSED not in s.escalate_when for s in below_the_top)
    assert stages[0].other_side == ()


def test_torbay_children_board_manager_keeps_the_record_from_stage_three() -> None:
    track = shipped("torbay-children").track()

    def told(stage_id: str) -> set[tuple[str, NotifyWhen]]:
        return {(n.who, n.when) for n in track.stage(stage_id).notify}

    assert ("business-manager", NotifyWhen.ENTRY) in told("stage-3")
    assert ("business-manager", NotifyWhen.OUTCOME) in told("stage-4")
    assert told("stage-1") == told("stage-2") == set()
    assert "business-manager" in track.stage("stage-3").kept_informed


def test_torbay_children_lets_the_raiser_choose_any_stage_when_harm_is_immediate() -> None:
    risk = shipped("torbay-children").immediate_risk

    assert risk is not None
    assert risk.raiser_chooses
    assert risk.allowed_starts == ("stage-1", "stage-2", "stage-3", "stage-4", "stage-5")


def test_torbay_children_resolution_panel_has_three_agencies_including_the_parties() -> None:
    top = shipped("torbay-children").track().stage("stage-5")
    panel = next(m for m in top.resolution if m.kind is ResolutionKind.RESOLUTION_PANEL)

    assert panel.panel_agencies == 3
    assert panel.include_parties_where_possible
    assert shipped("torbay-children").outcome.debrief is Debrief.OPTIONAL


def test_bedfordshire_formal_stages_add_up_to_the_twenty_working_day_overall_limit() -> None:
    procedure = shipped("bedfordshire-channel")
    formal = list(procedure.track().formal_stages())

    assert procedure.overall.working_day_equivalent() == 20
    assert sum(stage.within.working_day_equivalent() for stage in formal) == 20
    assert [stage.id for stage in formal] == [
        "stage-1",
        "stage-2",
        "stage-3",
        "stage-4",
        "stage-5",
    ]


def test_bedfordshire_starts_informally_and_escalates_on_silence_or_a_poor_response() -> None:
    track = shipped("bedfordshire-channel").track()

    assert track.stages[0].informal
    assert track.first_stage().id == "stage-1"
    for stage_id in ("stage-1", "stage-2", "stage-3"):
        assert track.stage(stage_id).escalate_when == {
            EscalationTrigger.DEADLINE_PASSED,
            EscalationTrigger.RESPONSE_UNSATISFACTORY,
        }
    drm = track.stage("stage-4").resolution[0]
    assert drm.kind is ResolutionKind.DISPUTE_RESOLUTION_MEETING
    assert drm.chaired_by == "channel-chair"
    assert str(drm.convene_within) == "5 working days"


def test_bedfordshire_lets_the_chair_and_panel_members_bypass_with_a_reason() -> None:
    procedure = shipped("bedfordshire-channel")

    assert procedure.bypass.allowed
    assert procedure.bypass.reason_required
    assert set(procedure.bypass.by) == {"channel-chair", "channel-panel-member"}
    assert procedure.immediate_risk is not None
    assert procedure.immediate_risk.start == "stage-1"
    assert [(r.cadence, r.by) for r in procedure.reporting] == [
        (Cadence.QUARTERLY, "channel-coordinator")
    ]


def test_wirral_gives_a_working_week_then_one_working_day_to_reach_a_manager() -> None:
    track = shipped("wirral-children").track()
    stage_1, stage_2 = track.stage("stage-1"), track.stage("stage-2")

    assert str(stage_1.within) == "a working week"
    assert stage_1.within.working_day_equivalent() == 5
    first = stage_2.steps[0]
    assert (str(first.within), first.anchor) == ("1 working day", StepAnchor.STAGE_START)


def test_wirral_stages_two_to_four_have_only_advisory_working_weeks() -> None:
    track = shipped("wirral-children").track()

    for stage_id in ("stage-2", "stage-3", "stage-4"):
        stage = track.stage(stage_id)
        assert not stage.within.is_limited
        if stage.next:
            assert EscalationTrigger.DEADLINE_PASSED not in stage.escalate_when
        main = stage.steps[-1]
        assert (str(main.within), main.advisory) == ("a working week", True)


def test_wirral_proformas_for_stages_two_and_three_go_to_the_business_manager() -> None:
    procedure = shipped("wirral-children")

    assert [(f.template, f.from_stage, f.when, f.send_to) for f in procedure.forms] == [
        ("wirral-resolved-stage-2", "stage-2", "resolved-at", ("business-manager",)),
        ("wirral-resolved-stage-3", "stage-3", "resolved-at", ("business-manager",)),
    ]
    assert procedure.track().stage("stage-1").notify == ()
    assert [(r.cadence, r.by) for r in procedure.reporting] == [
        (Cadence.QUARTERLY, "business-manager")
    ]
    assert procedure.immediate_risk is not None
    assert procedure.immediate_risk.start == "stage-2"


# --- a new partnership, written only from the guide ---------------------------------------


def test_a_new_partnerships_procedure_from_the_guide_loads_with_no_problems() -> None:
    result = check_file(FIXTURES / "northshire.yaml")

    assert result.ok
    assert result.problems == []


def test_a_procedure_can_have_a_general_track_and_a_conference_dissent_track() -> None:
    procedure = fixture("northshire.yaml")

    assert [track.id for track in procedure.tracks] == ["general", "conference-dissent"]
    assert procedure.track().id == "general"
    dissent = procedure.track("conference-dissent")
    assert dissent.stage("conference-chair").next == "head-of-safeguarding"
    assert procedure.role_label("conference-chair") == "Child protection conference chair"


def test_a_cap_covers_stages_one_to_three_below_what_they_allow_between_them() -> None:
    general = fixture("northshire.yaml").track()
    (cap,) = general.caps

    assert cap.stages == ("stage-1", "stage-2", "stage-3")
    assert cap.within.working_day_equivalent() == 12
    assert not cap.advisory
    assert general.stage("stage-4").steps[-1].within.working_day_equivalent() == 8


def test_a_step_clock_can_run_in_hours_from_a_meeting() -> None:
    stage = fixture("northshire.yaml").track().stage("stage-3")
    letter = stage.step("letter")

    assert (letter.anchor, letter.anchor_event) == (StepAnchor.EVENT, "meeting")
    assert (letter.within.unit, letter.within.amount) == (Unit.HOURS, 48)
    assert letter.only_if_agreed
    assert stage.step("notes").anchor is StepAnchor.PREVIOUS_STEP
    assert stage.step("refer").anchor is StepAnchor.STAGE_START


def test_both_sides_can_escalate_inside_their_own_agencies_at_once() -> None:
    step = fixture("northshire.yaml").track().stage("stage-2").step("tell-managers")

    assert step.by is Side.BOTH


def test_a_procedure_can_allow_raising_on_behalf_and_advisory_timescales() -> None:
    procedure = fixture("northshire.yaml")

    assert procedure.on_behalf.allowed
    assert procedure.on_behalf.by == ("safeguarding-lead", "line-manager")
    assert procedure.track("conference-dissent").stage("head-of-safeguarding").advisory
    assert procedure.immediate_risk is not None
    assert procedure.immediate_risk.allowed_starts == ("stage-2", "stage-3")
    assert procedure.retention_years == 8
    assert procedure.calendar.closures[0][1] == "Council offices closed"


def test_a_local_procedure_extends_the_regional_one_and_overrides_items_by_id() -> None:
    regional = fixture("pennine-regional.yaml")
    local = fixture("pennine-eastdale.yaml")
    stages = local.track().stages

    assert (local.id, local.partnership) == (
        "pennine-eastdale",
        "Eastdale Safeguarding Adults Board",
    )
    assert [stage.id for stage in stages] == ["stage-1", "stage-2", "stage-4"]
    assert str(local.track().stage("stage-2").within) == "3 working days"
    assert local.track().stage("stage-2").name == "Line managers"
    assert local.track().stage("stage-2").next == "stage-4"
    assert [c.id for c in local.categories] == ["thresholds", "information-sharing", "self-neglect"]
    assert [c.name for c in local.contacts] == ["Eastdale Safeguarding Adults Board business unit"]
    assert local.immediate_risk is not None
    assert local.immediate_risk.start == "stage-2"
    assert [stage.id for stage in regional.track().stages] == [
        "stage-1",
        "stage-2",
        "stage-3",
        "stage-4",
    ]


def test_a_local_file_that_removes_a_stage_still_named_elsewhere_is_refused() -> None:
    text = (FIXTURES / "pennine-eastdale.yaml").read_text(encoding="utf-8")
    text = text.replace("immediate_risk:\n  start: stage-2  # stage-3 is removed here\n", "")

    result = check_text(text, "eastdale-draft.yaml", base_dir=FIXTURES)

    assert result.procedure is None
    assert [(p.file, p.message) for p in result.errors] == [
        (
            "pennine-regional.yaml",
            'the immediate-risk route starts at "stage-3", which is not a stage; '
            'did you mean "stage-4"?',
        )
    ]


# --- the guide: every example is a real file ----------------------------------------------

_BLOCK = re.compile(
    r"<!-- (fixture|output): ([^ ]+?)( \(whole file\))? -->\n```(\w+)\n(.*?)```", re.S
)


class GuideBlock(NamedTuple):
    kind: str  # "fixture": a YAML example taken from a file; "output": what checking it says
    fixture: str  # a path under tests/core/fixtures/procedures
    whole: bool  # the whole file, not an excerpt
    language: str
    body: str


def _guide_blocks() -> list[GuideBlock]:
    text = GUIDE.read_text(encoding="utf-8")
    return [GuideBlock(m[1], m[2], bool(m[3]), m[4], m[5]) for m in _BLOCK.finditer(text)]


def _is_excerpt(excerpt: str, text: str) -> bool:
    """Whether ``excerpt`` is a run of whole lines of ``text``, perhaps indented further."""
    wanted = excerpt.rstrip("\n").split("\n")
    lines = text.split("\n")
    for start, line in enumerate(lines):
        shift = len(line) - len(line.lstrip()) - (len(wanted[0]) - len(wanted[0].lstrip()))
        if shift < 0 or line.strip() != wanted[0].strip():
            continue
        window = lines[start : start + len(wanted)]
        pad = " " * shift
        if [(pad + w) if w else "" for w in wanted] == [w.rstrip() for w in window]:
            return True
    return False


_EXAMPLES = [block for block in _guide_blocks() if block.kind == "fixture"]


def test_every_yaml_example_in_the_guide_names_the_fixture_it_comes_from() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    marked = [block for block in _EXAMPLES if block.language == "yaml"]

    assert text.count("```yaml") == len(marked)
    assert len(marked) >= 25


@pytest.mark.parametrize(
    "example", _EXAMPLES, ids=[f"{i}-{block.fixture}" for i, block in enumerate(_EXAMPLES)]
)
def test_every_yaml_example_in_the_guide_is_part_of_a_file_that_loads(
    example: GuideBlock,
) -> None:
    path = FIXTURES / example.fixture
    text = path.read_text(encoding="utf-8")

    if example.whole:
        assert example.body == text
    else:
        assert _is_excerpt(example.body, text), f"not found in {example.fixture}"
    if path.parent == FIXTURES:
        result = check_file(path)
        assert result.ok and result.problems == [], [str(p) for p in result.problems]


def test_the_guide_shows_the_messages_parley_really_gives() -> None:
    (block,) = [block for block in _guide_blocks() if block.kind == "output"]
    *problems, summary = block.body.rstrip("\n").split("\n")
    result = check_file(FIXTURES / block.fixture)

    assert sorted(problems) == sorted(str(problem) for problem in result.problems)
    assert summary == f"{Path(block.fixture).name}: refused — {len(result.errors)} problems"


def test_the_guide_describes_every_setting_and_every_allowed_value() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    settings_ = {*TOP_KEYS, *STAGE_KEYS, *STEP_KEYS, *RESOLUTION_KEYS, "caps", "overall"}
    values = [
        *STANDARD_ROLES,
        *FORM_TEMPLATES,
        *REGIONS,
        *(member.value for member in Side),
        *(member.value for member in StepAction),
        *(member.value for member in EscalationTrigger),
        *(member.value for member in Scope),
        *(member.value for member in ResolutionKind),
        *(member.value for member in SignpostKind),
        *(member.value for member in NotifyWhen),
        *(member.value for member in Cadence),
        *(member.value for member in Debrief),
    ]

    assert [key for key in sorted(settings_) if f"`{key}`" not in text] == []
    assert [value for value in values if f"`{value}`" not in text] == []


# --- broken files: every problem, with its file and line -------------------------------------

BROKEN_FILES = [
    (
        "unknown-role.yaml",
        12,
        '"safeguarding-leed" is not a role Parley knows; did you mean "safeguarding-lead"? '
        'Declare it under "roles" if it is one of this partnership\'s own.',
    ),
    (
        "next-missing.yaml",
        9,
        'stage "stage-1" goes next to "stage-3", which is not a stage of this procedure; '
        'did you mean "stage-2"?',
    ),
    (
        "cumulative-wrong.yaml",
        14,
        'stage "stage-2" says the cumulative limit is 10 working days, but the stage limits '
        "up to and including it add up to 9 working days",
    ),
    (
        "negative-duration.yaml",
        12,
        '"within": "-2 working days" is negative: a time limit cannot be less than 0',
    ),
    (
        "vague-duration.yaml",
        12,
        '"within": "five-ish working days" is not a time limit Parley understands; use '
        '"5 working days", "a working week", "24 hours", "same working day" or "none"',
    ),
    (
        "bare-number-duration.yaml",
        12,
        '"within": 5 has no unit: write it with one, such as "5 working days" or "5 hours"',
    ),
    (
        "days-without-kind.yaml",
        12,
        '"within": "5 days" does not say which days count: write "working days" '
        '(weekends and bank holidays do not count) or "calendar days"',
    ),
    ("missing-name.yaml", 1, 'the procedure needs "name"'),
    (
        "misspelt-key.yaml",
        12,
        '"withn" is not something a stage can have; did you mean "within"?',
    ),
    (
        "tab-indent.yaml",
        11,
        "this is not valid YAML: found character '\\t' that cannot start any token",
    ),
    ("duplicate-key.yaml", 13, '"within" is given twice; keep one'),
    (
        "next-loop.yaml",
        9,
        "the stages go round in a loop: stage-1 → stage-2 → stage-1",
    ),
    (
        "unknown-form-template.yaml",
        11,
        '"escalation-referal" is not a form Parley can fill in; did you mean '
        '"escalation-referral"? use one of: escalation-referral, twsp-referral, '
        "wirral-resolved-stage-2, wirral-resolved-stage-3, outcome-confirmation",
    ),
    (
        "immediate-risk-start.yaml",
        9,
        'the immediate-risk route starts at "stage-3", which is not a stage; '
        'did you mean "stage-2"?',
    ),
    (
        "extends-missing.yaml",
        2,
        'it extends "pennine-regionall.yaml", but there is no such file',
    ),
]


@pytest.mark.parametrize(
    ("name", "line", "message"), BROKEN_FILES, ids=[b[0] for b in BROKEN_FILES]
)
def test_a_broken_file_is_refused_with_its_file_line_and_a_plain_message(
    name: str, line: int, message: str
) -> None:
    result = check_file(BROKEN / name)

    assert result.procedure is None
    assert not result.ok
    assert [(p.file, p.line, p.message) for p in result.errors] == [(name, line, message)]


def test_every_broken_fixture_is_in_the_table() -> None:
    tabled = {name for name, _, _ in BROKEN_FILES} | {"several-problems.yaml"}

    assert {path.name for path in BROKEN.glob("*.yaml")} == tabled


def test_a_stage_nothing_leads_to_is_a_warning_not_an_error() -> None:
    result = check_file(BROKEN / "next-missing.yaml")

    assert [(p.line, p.message) for p in result.warnings] == [(14, 'no stage leads to "stage-2"')]
    assert str(result.warnings[0]) == (
        'next-missing.yaml, line 14: warning: no stage leads to "stage-2"'
    )


def test_every_problem_in_a_file_is_reported_in_one_go() -> None:
    result = check_file(BROKEN / "several-problems.yaml")

    assert result.procedure is None
    assert sorted((p.line, p.message) for p in result.errors) == [
        (1, 'the procedure needs "name"'),
        (
            12,
            '"within": "5 days" does not say which days count: write "working days" '
            '(weekends and bank holidays do not count) or "calendar days"',
        ),
        (
            13,
            'stage "stage-2" goes next to "stage-4", which is not a stage of this procedure; '
            'did you mean "stage-1"?',
        ),
        (
            16,
            '"line-managr" is not a role Parley knows; did you mean "line-manager"? '
            'Declare it under "roles" if it is one of this partnership\'s own.',
        ),
        (17, '"withn" is not something a stage can have; did you mean "within"?'),
    ]
    assert {p.file for p in result.problems} == {"several-problems.yaml"}


def test_problem_reads_as_file_line_and_message() -> None:
    (problem,) = check_file(BROKEN / "duplicate-key.yaml").problems

    assert str(problem) == 'duplicate-key.yaml, line 13: "within" is given twice; keep one'


# --- never a traceback ----------------------------------------------------------------------

REPLACEMENTS = ("[]", "{}", "42", "-1", "3.5", "null", "yes", "''", "[a, b]", "{x: 1}", "[[1]]")
# Each check reads the whole file (about 30 ms), so the full table runs on the richest file.
TOP_LEVEL_REPLACEMENTS = ("[]", "{}", "42", "null", "[a, b]", "{x: 1}")
_VALUE_LINE = re.compile(r"^(\s*(?:- )?[A-Za-z_][\w-]*:)(?: .*)?$")
_LIBRARY_TEXTS = {name: (LIBRARY / f"{name}.yaml").read_text(encoding="utf-8") for name in SHIPPED}
_TEXTS = {
    **_LIBRARY_TEXTS,
    "northshire": (FIXTURES / "northshire.yaml").read_text(encoding="utf-8"),
}


def _assert_checked(result: object) -> None:
    assert isinstance(result, CheckResult)
    if result.procedure is None:
        assert result.errors, "a refused file must say why"
    for problem in result.problems:
        assert isinstance(problem.message, str) and problem.message
        assert isinstance(problem.line, int) and problem.line >= 0


@pytest.mark.parametrize("replacement", TOP_LEVEL_REPLACEMENTS)
def test_replacing_any_top_level_section_never_raises(replacement: str) -> None:
    name = "northshire"
    lines = _TEXTS[name].split("\n")
    for index, line in enumerate(lines):
        if not re.match(r"^[a-z_]+:", line):
            continue
        mangled = [*lines[:index], f"{line.split(':', 1)[0]}: {replacement}", *lines[index + 1 :]]
        _assert_checked(check_text("\n".join(mangled), f"{name}.yaml"))


@settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_mangled_procedure_files_give_a_check_result_never_a_traceback(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(_TEXTS)), label="file")
    lines = _TEXTS[name].split("\n")
    for _ in range(data.draw(st.integers(1, 6), label="changes")):
        index = data.draw(st.integers(0, len(lines) - 1), label="line")
        match = _VALUE_LINE.match(lines[index])
        if match and data.draw(st.booleans(), label="replace value"):
            value = data.draw(st.sampled_from(REPLACEMENTS), label="value")
            lines[index] = f"{match[1]} {value}"
        else:
            del lines[index]

    _assert_checked(check_text("\n".join(lines), f"{name}.yaml"))


@settings(max_examples=100, deadline=None, database=None)
@given(text=st.text(alphabet=st.sampled_from("ab:-[]{}# \n\t'\"5&*!|>"), max_size=80))
def test_any_text_at_all_gives_a_check_result_never_a_traceback(text: str) -> None:
    _assert_checked(check_text(text, "anything.yaml"))


def test_an_impossible_closure_date_is_reported_not_raised() -> None:
    text = (FIXTURES / "minimal.yaml").read_text(encoding="utf-8")
    text += "calendar:\n  closures:\n    - {date: 2026-02-30, name: Closed}\n"

    _assert_checked(check_text(text, "minimal.yaml"))


# --- time limits ------------------------------------------------------------------------------

ACCEPTED = [
    ("5 working days", Unit.WORKING_DAYS, 5),
    ("1 working day", Unit.WORKING_DAYS, 1),
    ("five working days", Unit.WORKING_DAYS, 5),
    ("0 working days", Unit.WORKING_DAYS, 0),
    ("  5   Working   DAYS ", Unit.WORKING_DAYS, 5),
    ("a working week", Unit.WORKING_DAYS, 5),
    ("2 working weeks", Unit.WORKING_DAYS, 10),
    ("24 hours", Unit.HOURS, 24),
    ("an hour", Unit.HOURS, 1),
    ("10 calendar days", Unit.CALENDAR_DAYS, 10),
    ("thirty calendar days", Unit.CALENDAR_DAYS, 30),
    ("same working day", Unit.SAME_WORKING_DAY, 0),
    ("The Same Working Day", Unit.SAME_WORKING_DAY, 0),
    ("same day", Unit.SAME_WORKING_DAY, 0),
    ("none", Unit.NONE, 0),
    ("No limit", Unit.NONE, 0),
    ("no fixed timescale", Unit.NONE, 0),
]


@pytest.mark.parametrize(("text", "unit", "amount"), ACCEPTED)
def test_time_limit_is_read_as_the_documents_write_it(text: str, unit: Unit, amount: int) -> None:
    duration = parse_duration(text)

    assert (duration.unit, duration.amount) == (unit, amount)
    assert duration.text == text.strip()


_USE = '"5 working days", "a working week", "24 hours", "same working day" or "none"'
REFUSED = [
    (5, '5 has no unit: write it with one, such as "5 working days" or "5 hours"'),
    (True, f"a time limit is needed here, such as {_USE}"),
    (None, f"a time limit is needed here, such as {_USE}"),
    (["5 working days"], f"a time limit must be written as words, such as {_USE}"),
    ({"working days": 5}, f"a time limit must be written as words, such as {_USE}"),
    (
        "5 days",
        '"5 days" does not say which days count: write "working days" '
        '(weekends and bank holidays do not count) or "calendar days"',
    ),
    ("-2 working days", '"-2 working days" is negative: a time limit cannot be less than 0'),
    ("-1 hours", '"-1 hours" is negative: a time limit cannot be less than 0'),
    ("2.5 working days", '"2.5 working days" is not a whole number: use whole days or hours'),
    ("eighteen working days", '"eighteen working days": "eighteen" is not a number'),
    (
        "five-ish working days",
        f'"five-ish working days" is not a time limit Parley understands; use {_USE}',
    ),
    ("2 weeks", f'"2 weeks" is not a time limit Parley understands; use {_USE}'),
    ("soon", f'"soon" is not a time limit Parley understands; use {_USE}'),
    ("", f'"" is not a time limit Parley understands; use {_USE}'),
]


@pytest.mark.parametrize(("value", "message"), REFUSED, ids=[repr(r[0]) for r in REFUSED])
def test_time_limit_that_cannot_be_read_is_refused_in_plain_english(
    value: object, message: str
) -> None:
    with pytest.raises(DurationError) as refused:
        parse_duration(value)

    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("5 working days", 5),
        ("a working week", 5),
        ("1 hour", 1),
        ("24 hours", 1),
        ("25 hours", 2),
        ("48 hours", 2),
        ("0 hours", 0),
        ("3 calendar days", 3),
        ("same working day", 0),
        ("none", 0),
    ],
)
def test_hours_count_as_whole_days_of_24_when_limits_are_added_up(text: str, days: int) -> None:
    assert parse_duration(text).working_day_equivalent() == days


# --- values YAML cannot build -------------------------------------------------------------

MINIMAL = (FIXTURES / "minimal.yaml").read_text(encoding="utf-8")


def _errors(result: CheckResult) -> list[tuple[str, int, str]]:
    return [(p.file, p.line, p.message) for p in result.errors]


def test_an_impossible_version_date_is_reported_at_its_line() -> None:
    text = MINIMAL.replace('version: "2026-1"', "version: 2026-13-01")

    result = check_text(text, "minimal.yaml")

    assert _errors(result) == [
        (
            "minimal.yaml",
            5,
            '"2026-13-01" is not a real date: write a day that exists, as YYYY-MM-DD, '
            "or put it in quotes if it is not a date",
        )
    ]


def test_every_value_yaml_cannot_build_is_reported_in_one_go() -> None:
    text = MINIMAL + (
        "retention_years: !!int abc\n"
        "calendar:\n  closures:\n    - {date: 2026-02-30, name: Closed}\n"
    )

    result = check_text(text, "minimal.yaml")

    assert _errors(result) == [
        ("minimal.yaml", 27, '"abc" is marked "!!int" but is not a whole number'),
        (
            "minimal.yaml",
            30,
            '"2026-02-30" is not a real date: write a day that exists, as YYYY-MM-DD, '
            "or put it in quotes if it is not a date",
        ),
    ]


def test_a_whole_file_that_yaml_cannot_build_is_reported_not_raised() -> None:
    assert _errors(check_text("!!float twelve\n", "x.yaml")) == [
        ("x.yaml", 1, '"twelve" is marked "!!float" but is not a number')
    ]


# --- adding up limits -------------------------------------------------------------------------

_LADDER = """\
parley: 1
id: example
name: Example
version: "2026-1"
partnership: Example Safeguarding Partnership
scope: [children]
stages:
"""


def _ladder(*stages: str) -> str:
    return _LADDER + "".join(stages)


_LAST = """\
  - id: top
    name: Chair
    raising_side: [board-chair]
    resolution: [{kind: chair-decides}]
"""


def test_a_stage_with_a_limit_counts_its_own_days_even_when_some_steps_have_none() -> None:
    text = _ladder(
        """\
  - id: stage-1
    name: Practitioners
    raising_side: [practitioner]
    within: 5 working days
    steps:
      - {id: raise, name: Raise it, within: 2 working days, cumulative: 2 working days}
      - {id: talk, name: Talk it through}
  - id: stage-2
    name: Managers
    raising_side: [line-manager]
    within: 3 working days
    cumulative: 8 working days
    steps:
      - {id: refer, name: Refer it, within: 1 working day, cumulative: 6 working days}
      - {id: meet, name: Meet}
""",
        _LAST,
    )

    result = check_text(text, "example.yaml")

    assert result.ok, [str(p) for p in result.problems]


def test_a_step_cumulative_limit_counts_from_the_start_of_the_ladder() -> None:
    text = _ladder(
        """\
  - id: stage-1
    name: Practitioners
    raising_side: [practitioner]
    within: 5 working days
    steps:
      - {id: talk, name: Talk it through}
  - id: stage-2
    name: Managers
    raising_side: [line-manager]
    steps:
      - {id: refer, name: Refer it, within: 1 working day, cumulative: 1 working day}
""",
        _LAST,
    )

    assert _errors(check_text(text, "example.yaml")) == [
        (
            "example.yaml",
            18,
            'step "refer" says the cumulative limit is 1 working day, but the limits up to '
            "and including it add up to 6 working days",
        )
    ]


def test_a_step_that_runs_from_an_earlier_step_runs_alongside_the_steps_between() -> None:
    text = _ladder(
        """\
  - id: stage-1
    name: Heads of service
    raising_side: [senior-manager]
    within: 5 working days
    cumulative: 5 working days
    steps:
      - {id: refer, name: Refer it, within: 24 hours, cumulative: 1 working day}
      - {id: meet, name: Meet, within: 2 working days, cumulative: 3 working days}
      - {id: notes, name: Send the notes, within: 1 working day, cumulative: 4 working days}
      - id: letter
        name: Confirm in writing
        within: 48 hours
        after: meet
        cumulative: 5 working days
  - id: stage-2
    name: Managers
    raising_side: [line-manager]
    within: 4 working days
    cumulative: 9 working days
    steps:
      - {id: raise, name: Raise it, within: 4 working days}
      - {id: tell, name: Tell the chair, within: 2 working days, after: stage-start}
""",
        _LAST,
    )

    result = check_text(text, "example.yaml")

    assert result.ok, [str(p) for p in result.problems]


def test_a_stage_whose_longest_chain_of_steps_misses_its_limit_is_refused() -> None:
    text = _ladder(
        """\
  - id: stage-1
    name: Managers
    raising_side: [line-manager]
    within: 4 working days
    steps:
      - {id: raise, name: Raise it, within: 3 working days}
      - {id: tell, name: Tell the chair, within: 5 working days, after: stage-start}
""",
        _LAST,
    )

    assert _errors(check_text(text, "example.yaml")) == [
        (
            "example.yaml",
            8,
            'stage "stage-1" is given 4 working days, but its steps add up to 5 working days',
        )
    ]


def test_northshire_stage_three_gives_a_limit_though_its_letter_runs_from_the_meeting() -> None:
    stage = fixture("northshire.yaml").track().stage("stage-3")

    assert stage.step("letter").anchor_event == "meeting"
    assert (str(stage.within), str(stage.cumulative)) == ("5 working days", "14 working days")


def test_the_guide_no_longer_tells_authors_to_leave_limits_off_such_stages() -> None:
    assert "Until Parley handles this" not in GUIDE.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("after", "message"),
    [
        (
            "talk",
            'step "talk" starts from itself: use "stage-start" or an earlier step of the stage',
        ),
        (
            "confirm",
            'step "talk" runs from "confirm", which comes after it: use "stage-start" or an '
            "earlier step of the stage",
        ),
    ],
)
def test_a_step_cannot_start_from_itself_or_a_later_step(after: str, message: str) -> None:
    text = _ladder(
        f"""\
  - id: stage-1
    name: Practitioners
    raising_side: [practitioner]
    steps:
      - {{id: raise, name: Raise it, within: 1 working day}}
      - {{id: talk, name: Talk, within: 1 working day, after: {after}}}
      - {{id: confirm, name: Confirm, within: 1 working day}}
""",
        _LAST,
    )

    assert _errors(check_text(text, "example.yaml")) == [("example.yaml", 13, message)]


# --- extending a regional file ------------------------------------------------------------------

_BASE = """\
parley: 1
id: regional
name: Regional procedure
version: "2026-1"
partnership: Regional boards
scope: [adults]
stages:
  - id: stage-1
    name: Practitioners
    raising_side: [practitioner]
    other_side: [practicioner]
    within: 5 working days
  - id: stage-2
    name: Chair
    raising_side: [board-chair]
    within: 3 days
    resolution: [{kind: chair-decides}]
"""
_LOCAL = """\
parley: 1
extends: regional.yaml
id: local
name: Local procedure
version: "2026-1"
partnership: Local board
"""


def _extending(tmp_path: Path, local: str, base: str | bytes = _BASE) -> CheckResult:
    folder = tmp_path / "library"
    folder.mkdir(exist_ok=True)
    (folder / "regional.yaml").write_bytes(base.encode() if isinstance(base, str) else base)
    (folder / "local.yaml").write_text(local, encoding="utf-8")
    return check_file(folder / "local.yaml")


def test_a_problem_in_the_regional_file_is_reported_against_the_regional_file(
    tmp_path: Path,
) -> None:
    local = _LOCAL + "stages:\n  - id: stage-2\n    name: Board chair\n"

    assert _errors(_extending(tmp_path, local)) == [
        (
            "regional.yaml",
            11,
            '"practicioner" is not a role Parley knows; did you mean "practitioner"? '
            'Declare it under "roles" if it is one of this partnership\'s own.',
        ),
        (
            "regional.yaml",
            16,
            '"within": "3 days" does not say which days count: write "working days" '
            '(weekends and bank holidays do not count) or "calendar days"',
        ),
    ]


def test_a_stage_in_the_regional_file_is_named_with_the_regional_files_line(
    tmp_path: Path,
) -> None:
    base = _BASE.replace("[practicioner]", "[practitioner]").replace("3 days", "none")
    local = _LOCAL + "stages:\n  - id: stage-1\n    next: stage-3\n"

    assert _errors(_extending(tmp_path, local, base)) == [
        (
            "local.yaml",
            8,
            'stage "stage-1" goes next to "stage-3", which is not a stage of this procedure; '
            'did you mean "stage-2"?',
        )
    ]
    assert check_file(tmp_path / "library" / "regional.yaml").ok
    local = _LOCAL + "stages:\n  - id: stage-3\n    name: New\n    raising_side: [directr]\n"
    assert _errors(_extending(tmp_path, local, base)) == [
        (
            "local.yaml",
            10,
            '"directr" is not a role Parley knows; did you mean "director"? Declare it under '
            '"roles" if it is one of this partnership\'s own.',
        )
    ]


def test_removing_an_item_the_regional_file_does_not_have_is_refused(tmp_path: Path) -> None:
    base = _BASE.replace("[practicioner]", "[practitioner]").replace("3 days", "none")
    local = _LOCAL + "stages:\n  - id: stage-9\n    remove: true\n"

    assert _errors(_extending(tmp_path, local, base)) == [
        ("local.yaml", 8, 'removes "stage-9", which regional.yaml does not have')
    ]


def test_remove_in_a_file_that_extends_nothing_is_refused() -> None:
    text = MINIMAL + "categories:\n  - {id: thresholds, remove: true}\n"

    assert _errors(check_text(text, "minimal.yaml")) == [
        (
            "minimal.yaml",
            28,
            '"remove: true" only works in a file that extends another; delete the item instead',
        )
    ]


def test_a_regional_file_that_is_not_utf8_is_refused_not_raised(tmp_path: Path) -> None:
    base = _BASE.replace("Regional boards", "Régional boards").encode("latin-1")

    assert _errors(_extending(tmp_path, _LOCAL, base)) == [
        (
            "local.yaml",
            2,
            'it extends "regional.yaml", but regional.yaml cannot be read: it is not saved '
            "as UTF-8 text",
        )
    ]


@pytest.mark.parametrize("target", ["../outside.yaml", "{outside}", "../library/../outside"])
def test_a_file_can_only_extend_one_in_its_own_folder(tmp_path: Path, target: str) -> None:
    (tmp_path / "outside.yaml").write_text(_BASE, encoding="utf-8")
    target = target.format(outside=tmp_path / "outside.yaml")
    local = _LOCAL.replace("extends: regional.yaml", f"extends: {target}")

    assert _errors(_extending(tmp_path, local)) == [
        (
            "local.yaml",
            2,
            f'it extends "{target}", which is outside the folder this file is in: a file can '
            "only extend one in the same folder, or in a folder inside it",
        )
    ]


# --- limits with tracks -------------------------------------------------------------------------

_TRACKS = """\
parley: 1
id: example
name: Example
version: "2026-1"
partnership: Example Safeguarding Partnership
scope: [children]
limits:
  overall: 20 working days
  caps:
    - {id: early, stages: [stage-1], within: 2 working days}
tracks:
  - id: general
    name: General
    limits:
      overall: 10 working days
      cap: []
    stages:
      - id: stage-1
        name: Practitioners
        raising_side: [practitioner]
        within: 5 working days
        resolution: [{kind: agreement}]
"""


def test_limits_with_tracks_are_checked_and_top_level_caps_refused() -> None:
    assert _errors(check_text(_TRACKS, "example.yaml")) == [
        (
            "example.yaml",
            9,
            'with "tracks", a cap goes under its own track\'s "limits", not under "limits" '
            "at the top of the file",
        ),
        (
            "example.yaml",
            15,
            '"overall" cannot be given for one track: put it under "limits" at the top of the '
            "file, where it covers every track",
        ),
        (
            "example.yaml",
            16,
            '"cap" is not something a track\'s limits can have; did you mean "caps"?',
        ),
    ]


# --- messages and shapes --------------------------------------------------------------------------


def _stage_one(extra: str, *, within: str = "5 working days") -> str:
    return _ladder(
        "  - id: stage-1\n    name: Practitioners\n    raising_side: [practitioner]\n"
        f"    within: {within}\n{extra}",
        _LAST,
    )


def test_an_unknown_role_with_nothing_like_it_ends_its_sentence() -> None:
    text = _stage_one("    other_side: [zookeeper]\n")

    assert _errors(check_text(text, "example.yaml")) == [
        (
            "example.yaml",
            12,
            '"zookeeper" is not a role Parley knows. Declare it under "roles" if it is one of '
            "this partnership's own.",
        )
    ]


def test_a_missing_next_stage_is_never_suggested_as_the_stage_itself() -> None:
    (problem,) = check_text(_stage_one("    next: stage-9\n"), "example.yaml").errors

    assert problem.message == (
        'stage "stage-1" goes next to "stage-9", which is not a stage of this procedure'
    )


def test_problems_come_in_file_and_line_order() -> None:
    result = check_file(BROKEN / "several-problems.yaml")

    assert [p.line for p in result.problems] == sorted(p.line for p in result.problems)


def test_a_stage_notify_that_is_not_a_list_names_the_stage() -> None:
    (problem,) = check_text(_stage_one("    notify: business-manager\n"), "example.yaml").errors

    assert problem.message == '"notify" of stage "stage-1" should be a list'


def test_a_cap_over_a_plain_string_of_stages_is_refused() -> None:
    text = _stage_one("") + "limits:\n  caps:\n    - {id: early, stages: stage-1, within: none}\n"

    assert _errors(check_text(text, "example.yaml")) == [
        (
            "example.yaml",
            18,
            '"stages" of a cap should be a list of stage ids, such as [stage-1, stage-2], '
            "or of steps, such as [stage-1.discuss, stage-1.reply]",
        )
    ]


def test_a_single_stage_form_or_immediate_risk_start_is_read_as_a_list_of_one() -> None:
    text = _stage_one("    forms: outcome\n") + (
        "forms:\n  - {id: outcome, name: Outcome, template: outcome-confirmation}\n"
        "immediate_risk:\n  start: choose\n  allowed_starts: top\n"
    )

    procedure = check_text(text, "example.yaml").procedure

    assert procedure is not None and procedure.immediate_risk is not None
    assert procedure.track().stage("stage-1").forms == ("outcome",)
    assert procedure.immediate_risk.allowed_starts == ("top",)


def test_a_stage_form_list_of_settings_is_refused() -> None:
    text = _stage_one("    forms: {id: outcome}\n")

    assert [p.message for p in check_text(text, "example.yaml").errors] == [
        '"forms" of stage "stage-1" should be an id or a list of ids, such as [referral]'
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            2.5,
            "2.5 has no unit and is not a whole number: write whole days or hours with a "
            'unit, such as "3 working days" or "3 hours"',
        ),
        (5.0, '5.0 has no unit: write it with one, such as "5 working days" or "5 hours"'),
        (-2, "-2 is negative: a time limit cannot be less than 0"),
        (float("inf"), f"a time limit must be written as words, such as {_USE}"),
    ],
)
def test_a_bare_number_is_never_answered_with_a_limit_parley_refuses(
    value: float, message: str
) -> None:
    with pytest.raises(DurationError) as refused:
        parse_duration(value)

    assert str(refused.value) == message


def test_an_unquoted_time_of_day_is_read_as_the_time_it_looks_like() -> None:
    text = MINIMAL + "calendar:\n  end_of_day: 16:30\n"

    procedure = check_text(text, "minimal.yaml").procedure

    assert procedure is not None
    assert procedure.calendar.end_of_day == time(16, 30)


@pytest.mark.parametrize("version", ["1.10", "3", "2026-01-01"])
def test_a_version_that_yaml_reads_as_something_else_is_refused(version: str) -> None:
    text = MINIMAL.replace('version: "2026-1"', f"version: {version}")

    assert _errors(check_text(text, "minimal.yaml")) == [
        (
            "minimal.yaml",
            5,
            'write the version in quotes, such as version: "2026-1", so that it is read '
            "exactly as written",
        )
    ]


# --- stage numbers ------------------------------------------------------------------------------


def test_formal_stages_are_numbered_from_one_and_an_informal_stage_is_zero() -> None:
    track = shipped("bedfordshire-channel").track()

    assert [(s.id, s.number) for s in track.stages] == [
        ("informal", 0),
        ("stage-1", 1),
        ("stage-2", 2),
        ("stage-3", 3),
        ("stage-4", 4),
        ("stage-5", 5),
    ]
    assert [s.number for s in shipped("twsp").track().stages] == [1, 2, 3, 4, 5]


def test_the_ladder_and_timeline_call_the_informal_stage_by_name_not_number() -> None:
    procedure = shipped("bedfordshire-channel")
    raised = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)
    timeline = plan_text(plan(procedure, calendar_for(procedure), raised, start_stage="informal"))

    assert "\nInformal stage: " in ladder_text(procedure)
    assert "\nStage 1: " in ladder_text(procedure)
    assert "\nInformal stage: " in timeline
    assert "Stage 0" not in ladder_text(procedure) + timeline


# --- the immediate-risk route's deadlines -----------------------------------------------------


def _immediate_plan(procedure: Procedure, start: str | None = None) -> list[Deadline]:
    raised = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)  # a Monday
    the_plan = plan(
        procedure, calendar_for(procedure), raised, immediate_risk=True, start_stage=start
    )
    return list(the_plan.stages[0].deadlines)


def test_the_immediate_risk_route_uses_the_procedures_own_limit_for_the_first_step() -> None:
    text = (
        _stage_one("    steps:\n      - {id: raise, name: Raise it, within: 5 working days}\n")
        + "immediate_risk:\n  start: stage-1\n  within: 2 working days\n"
    )
    procedure = load_text(text, "example.yaml")

    first = _immediate_plan(procedure)[0]

    assert (first.label, first.rule) == ("Raise it", "2 working days")
    assert first.due == datetime(2026, 3, 4, 17, 0, tzinfo=LONDON)


def test_the_immediate_risk_route_to_a_stage_without_steps_still_has_a_deadline() -> None:
    text = _stage_one("") + "immediate_risk:\n  start: top\n  within: same working day\n"
    procedure = load_text(text, "example.yaml")

    (deadline,) = _immediate_plan(procedure)

    assert (deadline.label, deadline.rule, deadline.stage) == (
        "Escalate to Chair",
        "the same working day",
        "top",
    )
    assert deadline.due == datetime(2026, 3, 2, 17, 0, tzinfo=LONDON)


# --- choices: where the document is silent ------------------------------------------------

_CHOSEN = """
parley: 1
id: chosen
name: Chosen
version: "1"
partnership: P
scope: [children]
categories:
  - {id: thresholds, label: Thresholds, source: Section 1}
  - {id: borrowed, label: Borrowed, choice: {reason: Another procedure lists it.}}
stages:
  - id: stage-1
    name: Practitioners
    raising_side: [practitioner]
    other_side: [practitioner]
    within: 5 working days
    source: Section 2
  - id: stage-2
    name: Managers
    raising_side: [line-manager]
    other_side: [line-manager]
    source: Section 2
    resolution:
      - {kind: agreement, source: Section 2}
immediate_risk:
  within: same working day
  start: stage-2
  source: Section 3
  choice:
    about: [within, start]
    reason: Section 3 gives no time or stage.{USE}
outcome:
  debrief: optional
  feedback_to_raiser: every-stage
  source: Section 4
  choice: {about: [debrief, feedback_to_raiser], reason: Not asked for.{USE}}
reporting:
  - {cadence: quarterly, to: Board, source: Section 5}
  - cadence: annual
    to: Partnership
    choice:
      reason: So the Partnership sees the year.{USE}
"""


def _chosen(use: str = "") -> Procedure:
    return load_text(_CHOSEN.replace("{USE}", use))


def test_a_choice_marks_its_settings_as_parleys_choice_with_its_reason() -> None:
    procedure = _chosen()
    risk = procedure.immediate_risk
    assert risk is not None

    assert risk.source.chosen("within") and risk.source.chosen("start")
    assert not risk.source.chosen("guidance") and not risk.source.chosen()
    assert risk.source.shown("within") == (
        "Parley's choice: the document does not say. Section 3 gives no time or stage."
    )
    assert risk.source.shown() == "Section 3"
    assert procedure.outcome.source.chosen("debrief")


def test_a_choice_without_about_makes_the_whole_entry_parleys_choice() -> None:
    procedure = _chosen()
    quarterly, annual = procedure.reporting
    borrowed = procedure.categories[1]

    assert not quarterly.source.chosen() and quarterly.source.shown() == "Section 5"
    assert annual.source.chosen("cadence") and annual.source.chosen()
    assert annual.source.shown().startswith("Parley's choice: the document does not say.")
    assert borrowed.source.chosen()


def test_a_choice_switched_off_drops_the_entry_and_silences_its_settings() -> None:
    procedure = load_text(
        _CHOSEN.replace("{USE}", "\n    use: false", 1)  # the immediate-risk choice
        .replace("{USE}", ", use: false", 1)  # the outcome's
        .replace("{USE}", "\n      use: false", 1)  # the annual report
    )
    risk = procedure.immediate_risk
    assert risk is not None

    assert risk.within.unit is Unit.NONE
    assert risk.raiser_chooses and risk.allowed_starts == ()
    assert not risk.source.chosen("within")
    assert procedure.outcome.debrief is Debrief.NONE
    assert procedure.outcome.feedback_to_raiser is None
    assert [r.cadence for r in procedure.reporting] == [Cadence.QUARTERLY]


def test_a_borrowed_category_switched_off_is_not_offered() -> None:
    text = _CHOSEN.replace("{USE}", "").replace(
        "choice: {reason: Another procedure lists it.}",
        "choice: {reason: Another procedure lists it., use: false}",
    )

    assert [c.id for c in load_text(text).categories] == ["thresholds"]


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ("choice: {about: within}", 'a choice needs "reason"'),
        ("choice: {reason: x, about: notify}", 'the choice is about "notify"'),
        ("choice: {reason: x, use: maybe}", '"use" should be yes or no'),
        ("choice: {reason: x, becuase: y}", '"becuase" is not something a choice can have'),
        ("choice: just because", '"choice" should be a set of named settings'),
    ],
)
def test_a_badly_written_choice_is_refused_with_its_line(choice: str, message: str) -> None:
    text = _CHOSEN.replace("{USE}", "").replace(
        "  source: Section 3\n  choice:\n    about: [within, start]\n"
        "    reason: Section 3 gives no time or stage.\n",
        f"  source: Section 3\n  {choice}\n",
    )
    result = check_text(text)

    assert not result.ok
    assert any(message in p.message for p in result.errors), [str(p) for p in result.errors]


# --- citations found wrong, and put right ---------------------------------------------------


def test_bedfordshire_outcome_cites_only_what_section_3_says_and_marks_the_rest() -> None:
    outcome = shipped("bedfordshire-channel").outcome

    assert "informal stage" in outcome.source.cite and "last paragraph" in outcome.source.cite
    for setting in ("outstanding_issues", "feedback_to_raiser", "debrief"):
        assert outcome.source.chosen(setting), setting
    assert not outcome.source.chosen("records_kept_by")


def test_twsp_learning_route_cites_section_3_1_10() -> None:
    outcome = shipped("twsp").outcome

    assert "Partnership Manager" in outcome.learning_to
    assert "3.1.10" in outcome.source.cite


def test_twsp_conduct_complaint_is_a_choice_not_section_2_5() -> None:
    (conduct,) = [
        s for s in shipped("twsp").signposting if s.kind is SignpostKind.CONDUCT_COMPLAINT
    ]

    assert conduct.source.chosen() and "2.5" not in conduct.source.cite


def test_wirral_cites_stage_2_to_section_4_not_section_5() -> None:
    text = (LIBRARY / "wirral-children.yaml").read_text(encoding="utf-8")

    assert "safeguarding leads, section 5" not in text
    assert shipped("wirral-children").track().stage("stage-2").source.cite == "Section 1; section 4"


# --- contacts, as the documents give them ---------------------------------------------------

DOCUMENTS = ROOT / "docs" / "procedures" / "documents"


def test_twsp_has_every_row_of_appendix_4_with_the_documents_numbers() -> None:
    appendix_4 = (DOCUMENTS / "twsp.txt").read_text(encoding="utf-8").split("APPENDIX 4")[1]
    numbers = set(re.findall(r"0\d{3,4} \d{6}(?: ext \d+)?|\b101\b", " ".join(appendix_4.split())))
    contacts = shipped("twsp").contacts
    agencies = {c.name.split(":")[0] for c in contacts}

    assert {c.phone for c in contacts if c.phone} == numbers
    assert "wmas.safeguarding@wmas.nhs.uk" in {c.email for c in contacts}
    # Fourteen rows: eleven agencies, the council's three directorates.
    assert len({c.name for c in contacts}) == 14
    assert len(agencies) == 12
    assert all(c.role for c in contacts)


def test_wirral_lists_its_board_members_as_section_5_gives_them() -> None:
    members = [c for c in shipped("wirral-children").contacts if "section 5" in c.purpose]

    assert len(members) == 27
    assert members[0].name == "Simon Garner" and members[0].role == "Corporate Safeguarding Manager"
    assert members[-1].role == "Head of LDU National Probation Service"


def test_torbay_children_gives_the_address_and_the_other_formats_line() -> None:
    unit, formats = shipped("torbay-children").contacts

    assert unit.address == "Torbay Safeguarding Children Board, Town Hall, Torquay TQ1 3DR"
    assert formats.phone == "01803 207176"
    assert "other formats and languages" in formats.purpose


def test_the_same_text_is_read_once_and_each_caller_gets_its_own_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reading a procedure costs tens of milliseconds and a procedure is immutable: every
    page and test that loads the same file read it afresh before."""
    from parley.core import loader

    text = (ROOT / "parley" / "procedures" / "twsp.yaml").read_text() + "\n# read once\n"
    reads: list[str] = []
    read_yaml = loader._read_yaml
    monkeypatch.setattr(loader, "_read_yaml", lambda t, f: reads.append(f) or read_yaml(t, f))
    first = loader.check_text(text, "twsp.yaml")
    second = loader.check_text(text, "twsp.yaml")
    assert reads == ["twsp.yaml"]
    assert first.procedure is second.procedure and first.procedure is not None
    second.problems.append(loader.Problem("x", 1, "mine"))
    assert loader.check_text(text, "twsp.yaml").problems == first.problems
