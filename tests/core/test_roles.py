"""The roles table: what each role means, read by sight, acting and the pages alike."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from parley.core.loader import check_text, load_file, load_text
from parley.core.procedure import Procedure, Side
from parley.core.roles import (
    STANDARD_ROLES,
    Actor,
    Held,
    Sight,
    holding,
    holds_step,
    partnership_side_roles,
    role_of,
    sees,
    sight_rules,
    table_rows,
)

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "parley" / "procedures"
GUIDE = ROOT / "docs" / "procedure-format.md"

SMALL = """\
parley: 1
id: small
name: Small
version: "1"
partnership: Example
scope: [children]
roles:
  - {id: conference-chair, label: Conference chair, sight: reached, held: agency}
  - {id: quality-lead, label: Quality lead, sight: partnership, held: partnership}
  - {id: observer, label: Observer, may_act: false}
stages:
  - id: stage-1
    name: Practitioners
    raising_side: [practitioner, conference-chair]
    other_side: [practitioner]
    steps:
      - {id: talk, name: Talk, by: both, action: discuss}
  - id: stage-2
    name: Chair
    raising_side: [line-manager]
    other_side: [line-manager]
    resolution:
      - {kind: chair-decides, chaired_by: board-chair}
"""


@cache
def shipped(name: str) -> Procedure:
    return load_file(LIBRARY / f"{name}.yaml")


def test_the_guide_shows_the_table_as_parley_has_it() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    table = text.split("<!-- roles-table -->")[1].split("<!-- /roles-table -->")[0]
    rows = [line for line in table.strip().splitlines()[2:]]
    written = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        written[cells[0].strip("`")] = cells[1:]
    assert list(written) == list(STANDARD_ROLES)
    for role in STANDARD_ROLES.values():
        label, sight, held, acts, pages = written[role.id]
        assert label == role.label
        assert sight == role.sight.value
        assert held == role.held.value
        assert acts == ("where a stage names it" if role.may_act else "never: only looks")
        named = [
            page
            for page, on in (
                ("reports", role.reports), ("register", role.register),
                ("directory", role.directory), ("accounts", role.accounts),
                ("audit", role.audit),
                ("notifications", role.notifications), ("settings", role.settings),
                ("procedures", role.procedures),
            )
            if on
        ]  # fmt: skip
        assert pages == ", ".join(named)


def test_a_procedure_declares_its_own_roles_with_the_same_columns() -> None:
    procedure = load_text(SMALL, "small.yaml")

    chair = role_of(procedure, "conference-chair")
    assert (chair.sight, chair.held, chair.may_act) == (Sight.REACHED, Held.AGENCY, True)
    assert role_of(procedure, "quality-lead").sight is Sight.PARTNERSHIP
    assert role_of(procedure, "observer").may_act is False
    assert procedure.role_label("observer") == "Observer"


def test_the_partnership_side_defaults_to_the_chair_of_the_stages_resolution() -> None:
    procedure = load_text(SMALL, "small.yaml")

    assert procedure.track().stage("stage-2").partnership_side == ("board-chair",)
    assert procedure.track().stage("stage-1").partnership_side == ()
    assert shipped("bedfordshire-channel").track().stage("stage-1").partnership_side == (
        "channel-chair",
    )
    assert shipped("twsp").track().stage("stage-5").partnership_side == ("twsp-executive",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("    other_side: [practitioner]\n", "    other_side: [observer]\n"),
            'stage "stage-1" names "observer" under "other_side", but that role only looks: '
            "it cannot act at a stage (keep it informed instead)",
        ),
        (
            ("    other_side: [practitioner]\n", ""),
            'step "talk" of stage "stage-1" is for the other side, but the stage names no one '
            'on that side: add "other_side"',
        ),
        (
            ("    name: Practitioners\n", "    name: Practitioners\n    escalate_by: [director]\n"),
            'stage "stage-1" lets "director" escalate it, but does not name that role on a '
            "side of the stage",
        ),
        (
            ("  - {id: observer,", "  - {id: line-manager,"),
            '"line-manager" is one of the roles Parley knows already: use it without '
            "declaring it, or give this partnership's own role another id",
        ),
    ],
    ids=["looks-only-on-a-side", "step-for-nobody", "escalate-by-a-stranger", "standard-again"],
)
def test_the_checker_refuses_who_acts_nonsense(change: tuple[str, str], message: str) -> None:
    text = SMALL.replace(*change)
    assert text != SMALL
    result = check_text(text, "small.yaml")

    assert message in [p.message for p in result.errors], [str(p) for p in result.problems]


def test_sight_starts_where_the_procedure_first_names_a_role() -> None:
    twsp, channel = shipped("twsp"), shipped("torbay-channel")

    assert sight_rules(twsp).raising["line-manager"] == 2
    assert sight_rules(twsp).raising["director"] == 4
    assert "business-manager" in sight_rules(twsp).whole
    assert "business-manager" not in sight_rules(channel).whole
    assert sight_rules(channel).whole == {
        "channel-chair", "channel-coordinator", "channel-panel-member",
    }  # fmt: skip
    # The Chair of the Community Safety Partnership Board decides at stage 4 (paras 10, 11)
    # and the TWSP Executive at stage 5: each sees a case from there.
    assert sight_rules(channel).anywhere["csp-board-chair"] == 4
    assert sight_rules(twsp).anywhere["twsp-executive"] == 5


@pytest.mark.parametrize(("reached", "sees_it"), [(3, False), (4, True)])
def test_the_csp_board_chair_sees_a_channel_case_from_stage_four(
    reached: int, sees_it: bool
) -> None:
    chair = Actor("tia", holding(Side.PARTNERSHIP, ["csp-board-chair"]))
    procedure = shipped("torbay-channel")

    assert sees(procedure, chair, highest_stage_number=reached, rules=None) is sees_it


def test_who_holds_a_step_is_the_acting_rule() -> None:
    twsp = shipped("twsp")
    stage_2 = twsp.track().stage("stage-2")
    manager = Actor("max", holding(Side.RAISING, ["line-manager"]))
    raiser = Actor("nia", holding(Side.RAISING, ["practitioner"]), frozenset({Side.RAISING}))

    assert holds_step(twsp, stage_2, Side.BOTH, manager)
    assert holds_step(twsp, stage_2, Side.RAISING, manager)
    assert not holds_step(twsp, stage_2, Side.OTHER, manager)
    assert not holds_step(twsp, stage_2, Side.BOTH, raiser)
    assert holds_step(twsp, twsp.track().stage("stage-1"), Side.RAISING, raiser)


@pytest.mark.parametrize("name", ["twsp", "torbay-channel", "torbay-children",
                                  "bedfordshire-channel", "wirral-children"])  # fmt: skip
def test_every_role_of_the_table_is_accounted_for_in_each_procedure(name: str) -> None:
    rows = {row.role.id: row for row in table_rows(shipped(name))}

    assert set(STANDARD_ROLES) <= set(rows)
    assert rows["administrator"].only_looks
    assert not rows["practitioner"].only_looks or name == "bedfordshire-channel"
    assert all(re.fullmatch("[a-z0-9-]+", role) for role in rows)


def test_who_acts_for_the_partnership_is_who_a_stage_names_for_it() -> None:
    named = {path.stem: partnership_side_roles(load_file(path)) for path in LIBRARY.glob("*.yaml")}
    assert named["twsp"] == {"twsp-executive"}
    assert named["wirral-children"] == {"board-chair"}
    assert all("business-manager" not in roles for roles in named.values())
