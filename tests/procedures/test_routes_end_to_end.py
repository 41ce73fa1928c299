"""A case of each route taken end to end through the one door, on the real database: the
way up chosen by the raiser's answers, and a side route out of the ladder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from parley.cases import selectors, services
from parley.cases.demo import demo_load, person
from parley.cases.models import Agency, Disagreement, Partnership, RoleAssignment
from parley.core.engine import EventKind, Refused
from parley.core.planner import calendar_for, side_route_deadlines
from parley.notifications.models import Notification
from tests import ladder
from tests.web.conftest import main_html, submit

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
HERE = Path(__file__).resolve().parent
JOINT = HERE.parent / "core" / "fixtures" / "procedures" / "riverside-joint.yaml"


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)  # type: ignore[misc]


@pytest.fixture
def partnership() -> Partnership:
    partnership = demo_load(with_cases=False)
    for path in (HERE / "south-tyneside-joint.yaml", JOINT):
        services.procedure_load(
            partnership=partnership, text=path.read_text(encoding="utf-8"), source_name=path.name
        )
    return partnership


def raised(partnership: Partnership, procedure_id: str, answers: dict[str, str]) -> Disagreement:
    return services.disagreement_raise(
        procedure=partnership.procedures.get(procedure_id=procedure_id, is_current=True),
        raised_by=person("nia.nurse"),
        raising_agency=Agency.objects.get(
            partnership=partnership, name__startswith="Demoshire NHS"
        ),
        other_agency=Agency.objects.get(
            partnership=partnership, name__startswith="Demoshire Council Children"
        ),
        other_professional=person("sam.social"),
        summary="A disagreement.",
        at=at(2027, 3, 22, 10),
        answers=answers,
    )


@pytest.mark.parametrize(
    ("subject", "top"), [("child", "stscp"), ("adult", "stsab"), ("both", "both-boards")]
)
def test_a_case_climbs_to_the_board_its_answers_choose(
    partnership: Partnership, subject: str, top: str
) -> None:
    case = raised(partnership, "south-tyneside-joint", {"subject": subject})

    ladder.climb(case, top, at=at(2027, 3, 23, 10))
    case.refresh_from_db()

    assert case.stage == top
    state = selectors.disagreement_state(case)
    assert state.answers == {"subject": subject}
    assert [stage for stage, _ in state.stage_entries] == ["first-line", "middle-line", top]


def test_a_complaint_about_the_partnership_runs_beside_the_case_through_the_one_door(
    partnership: Partnership,
) -> None:
    case = raised(partnership, "riverside-joint", {"subject": "adult"})
    raiser, other = person("nia.nurse"), person("sam.social")
    executive, scrutineer = person("ben.business"), person("tia.executive")
    RoleAssignment.objects.create(person=executive, role="partnership-executive")
    RoleAssignment.objects.create(person=scrutineer, role="independent-scrutineer")

    services.disagreement_act(
        disagreement=case,
        person=raiser,
        kind=EventKind.SIDE_ROUTE_STARTED,
        at=at(2027, 3, 23, 10),
        route="complaint",
        text="The partnership lost our referral.",
    )
    # The executive is told the complaint has reached them, and may see the case.
    assert Notification.objects.filter(
        disagreement=case, recipient=executive, kind="named-alert"
    ).exists()
    with pytest.raises(Refused, match="Partnership executive"):
        services.disagreement_act(
            disagreement=case,
            person=other,
            kind=EventKind.SIDE_ROUTE_ENDED,
            at=at(2027, 3, 24, 10),
            route="complaint",
            outcome="Not ours to end.",
        )
    services.disagreement_act(
        disagreement=case,
        person=raiser,
        kind=EventKind.SIDE_ROUTE_MOVED_ON,
        at=at(2027, 4, 26, 10),
        route="complaint",
        reason="The executive's answer missed it.",
    )
    state = selectors.disagreement_state(case)
    procedure = selectors.procedure_of(case.procedure)
    (deadline,) = side_route_deadlines(procedure, calendar_for(procedure), state)
    # 20 working days from Mon 26 April 2027, past the 3 May bank holiday: 27 to 30 April
    # (4), 4 to 7 May (8), 10 to 14 (13), 17 to 21 (18), 24 and 25 May (20).
    assert deadline.due == at(2027, 5, 25, 17)

    services.disagreement_act(
        disagreement=case,
        person=scrutineer,
        kind=EventKind.SIDE_ROUTE_ENDED,
        at=at(2027, 5, 10, 10),
        route="complaint",
        outcome="Upheld: the referral is traced.",
    )
    case.refresh_from_db()
    state = selectors.disagreement_state(case)

    (taken,) = state.side_routes
    assert (taken.stage, taken.is_open) == ("complaint-scrutineer", False)
    assert case.stage == "stage-1"  # the case's own ladder has not moved
    kinds = list(case.events.order_by("sequence").values_list("kind", flat=True))
    assert kinds[-3:] == ["side-route-started", "side-route-moved-on", "side-route-ended"]


def test_the_case_page_offers_a_side_route_to_those_it_names_and_takes_it_through_the_door(
    partnership: Partnership, signed_in: Callable[[str], Client]
) -> None:
    case = raised(partnership, "riverside-joint", {"subject": "child"})
    start = f"/cases/{case.reference}/start-side-route/"
    raiser = signed_in("nia.nurse")

    assert start in main_html(raiser.get(f"/cases/{case.reference}/"))
    response = submit(raiser, start, {"route": "complaint", "text": "Our referral was lost."})

    assert response.status_code == 302
    page = main_html(raiser.get(f"/cases/{case.reference}/"))
    assert "Complaint about the partnership&#39;s handling" in page
    assert "At Partnership executive." in page
    # Ending it is for the partnership's executive: not offered to the raiser, and refused.
    end = f"/cases/{case.reference}/end-side-route/"
    assert end not in page
    assert raiser.get(end).status_code == 403


@pytest.mark.parametrize(
    ("answer", "board", "not_board"),
    [
        ("adult", "South Tyneside Safeguarding Adults Board", "Safeguarding Children Partnership"),
        ("child", "South Tyneside Safeguarding Children Partnership", "Adults Board"),
    ],
)
def test_the_dates_page_follows_the_way_up_the_answer_chooses(
    partnership: Partnership,
    signed_in: Callable[[str], Client],
    answer: str,
    board: str,
    not_board: str,
) -> None:
    params = {"raised_day": "24", "raised_month": "3", "raised_year": "2027"}
    page = signed_in("nia.nurse").get(
        "/procedures/south-tyneside-joint/dates/", {**params, "answer-subject": answer}
    )

    html = main_html(page)
    assert "Who is the disagreement about?" in html
    plan = html[html.index("If raised at") :]
    assert board in plan
    assert not_board not in plan


@pytest.mark.parametrize(
    ("subject", "shown", "hidden"),
    [
        ("adult", "Adults Board", "Children Partnership"),
        ("child", "Children Partnership", "Adults Board"),
    ],
)
def test_the_case_page_names_the_next_rung_the_answers_choose(
    partnership: Partnership,
    signed_in: Callable[[str], Client],
    subject: str,
    shown: str,
    hidden: str,
) -> None:
    case = raised(partnership, "riverside-joint", {"subject": subject})
    ladder.climb(case, "stage-3", at=at(2027, 3, 23, 10))

    page = main_html(signed_in("nia.nurse").get(f"/cases/{case.reference}/"))

    assert (
        'If it is escalated<br><span class="govuk-body-s">Stage 4: Chair of the Safeguarding '
        f"{shown}" in page
    )
    assert f"Stage 4: Chair of the Safeguarding {hidden}" not in page
