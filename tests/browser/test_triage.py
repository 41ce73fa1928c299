"""The triage before raising: the immediate-risk route, and each "go elsewhere" answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.browser.journeys import Raising, Walker, raise_disagreement

pytestmark = pytest.mark.browser


def test_immediate_risk_shows_the_procedure_contacts_and_starts_the_same_day_route(
    walker_for: Callable[..., Walker],
) -> None:
    from parley.cases.models import Disagreement

    nia = walker_for("nia.nurse")
    nia.go("/raise/")
    nia.press("Start now")
    nia.choose("Yes")
    nia.press("Continue")
    nia.choose("None of these: I disagree with another agency's decision, action or inaction")
    nia.press("Continue")
    nia.choose("TWSP Resolution and Escalation Process")
    nia.press("Continue")
    assert nia.heading() == "Someone is at immediate risk: escalate it today"
    content = nia.page.content()
    assert "Family Connect" in content and "01952 385385" in content
    assert "call 999" in content
    nia.shoot("immediate-risk-guidance")
    reference = raise_disagreement(
        nia,
        Raising(
            procedure="TWSP Resolution and Escalation Process",
            other_agency="Demoshire Council Children's Services",
            at_risk=True,
            summary="A baby was left with a carer who has a violent partner.",
        ),
    )
    nia.go(f"/cases/{reference}/")
    content = nia.page.content()
    assert "Immediate risk" in content
    assert "Stage 3: Senior managers and designated safeguarding leads" in content
    assert "the same working day" in content.lower()
    case = Disagreement.objects.get(reference=reference)
    assert case.route == "immediate-risk"


@pytest.mark.parametrize(
    ("answer", "heading", "advice"),
    [
        (
            "A complaint about a worker's conduct or behaviour",
            "Raise a complaint about a worker's conduct",
            "line manager",
        ),
        (
            "An allegation against a member of staff",
            "Report an allegation against a member of staff",
            "LADO",
        ),
        (
            "Whistleblowing: suspected wrongdoing or danger at work",
            "Use your agency's whistleblowing policy",
            "whistleblowing",
        ),
        (
            "A disagreement inside your own agency",
            "Use your own agency's procedure",
            "own escalation or complaints procedure",
        ),
        (
            "A problem with a system or service, not one person's case",
            "Raise it as a system or service issue",
            "Channel chair",
        ),
    ],
)
def test_each_go_elsewhere_answer_says_where_and_creates_nothing(
    walker_for: Callable[..., Walker], answer: str, heading: str, advice: str
) -> None:
    from parley.cases.models import Disagreement

    tess = walker_for("tess.teacher")
    tess.go("/raise/")
    tess.press("Start now")
    tess.choose("No")
    tess.press("Continue")
    tess.choose(answer)
    tess.press("Continue")
    assert tess.heading() == heading
    content = tess.page.content()
    assert advice in content
    assert "nothing has been saved" in content
    tess.follow("Change your answer")
    assert tess.heading() == "What is this about?"
    assert not Disagreement.objects.exists()
