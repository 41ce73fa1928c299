"""One disagreement through each of the five procedures, from raising to closing.

Each is taken by the people the procedure names, each signing in through the real
sign-in pages: the raiser, the other agency's professional, managers after escalation,
and whoever stands at the top. axe-core checks every kind of page on the way. One journey
is made by keyboard alone, and one with JavaScript switched off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.journeys import Raising, Walker, act, raise_disagreement

pytestmark = pytest.mark.browser

SOCIAL_CARE = "Demoshire Council Children's Services"
POLICE = "Demoshire Police"
HEALTH = "Demoshire NHS Foundation Trust"


def resolve_and_close(
    top: Walker, closer: Walker, reference: str, *, decision: str = "", name: str = ""
) -> None:
    if decision:
        act(top, reference, "Record the decision", texts={"What was decided, and why?": decision})
    act(
        top,
        reference,
        "Record the agreed outcome",
        texts={
            "What outcome was agreed?": "A strategy discussion on Monday, chaired by children's services.",
            "How will any outstanding issues be pursued?": "The health visitor's manager reviews progress in two weeks.",
        },
    )
    act(closer, reference, "Close the disagreement")
    closer.go(f"/cases/{reference}/")
    assert "Closed" in closer.heading()
    assert "A strategy discussion on Monday" in closer.page.content()
    if name:
        closer.shoot(name)


def stage_of(walker: Walker) -> str:
    return walker.page.locator(".govuk-summary-list__row", has_text="Stage").first.inner_text()


def test_twsp_from_raising_to_closing(walker_for: Callable[..., Walker]) -> None:
    # Raised by keyboard alone.
    nia = walker_for("nia.nurse", keyboard=True)
    reference = raise_disagreement(
        nia,
        Raising(
            procedure="TWSP Resolution and Escalation Process",
            other_agency=SOCIAL_CARE,
            professional="Sam Okafor",
            category="Threshold for action",
            summary="Children's social care closed the case after one visit despite bruising.",
        ),
    )
    nia.keyboard = False
    nia.shoot("journey-twsp-raised")
    sam = walker_for("sam.social")
    sam.go("/")
    assert reference in sam.page.content()
    act(sam, reference, "Send or record a response",
        texts={"What is your agency's response?": "The threshold for assessment is not met."})  # fmt: skip
    act(nia, reference, "Say the response is unsatisfactory",
        texts={"Why does the response not resolve your concern?": "It ignores the bruising."})  # fmt: skip
    act(nia, reference, "Escalate to the next stage",
        choices=("The response did not resolve the concern",))  # fmt: skip
    max_ = walker_for("max.manager")
    act(max_, reference, "Record a discussion", choices=("No",),
        texts={"What was discussed?": "Spoke to Lee Harper; no agreement."})  # fmt: skip
    act(max_, reference, "Escalate to the next stage", choices=("No agreement was reached",))
    priya = walker_for("priya.lead")
    act(priya, reference, "Record a written referral",
        texts={"What did you refer, and to whom?": "Referral form sent to Dana Whitfield."})  # fmt: skip
    # TWSP Appendix 1, Exceptional Circumstances: from stage 3 to the Executive.
    act(priya, reference, "Bypass a stage", choices=("Stage 5: TWSP Executive",),
        texts={"Why are you bypassing the stages in between?": "Unresolved; a child at risk."})  # fmt: skip
    priya.shoot("journey-twsp-case-page")
    tia = walker_for("tia.executive")
    resolve_and_close(tia, nia, reference, decision="An assessment starts now.",
                      name="journey-twsp-closed")  # fmt: skip


def test_torbay_children_from_raising_to_closing(walker_for: Callable[..., Walker]) -> None:
    tess = walker_for("tess.teacher")
    reference = raise_disagreement(
        tess,
        Raising(
            procedure="TSCB Escalation Policy",
            other_agency=POLICE,
            professional="Pat Douglas",
            category="Communication",
            summary="Police did not share a domestic incident at a pupil's home.",
        ),
    )
    act(tess, reference, "Record a discussion", choices=("No",),
        texts={"What was discussed?": "Talked it through with Dev Sharma, my DSL."})  # fmt: skip
    act(tess, reference, "Escalate to the next stage", choices=("No agreement was reached",))
    pat = walker_for("pat.police")
    act(pat, reference, "Send or record a response",
        texts={"What is your agency's response?": "Sharing needs the family's consent."})  # fmt: skip
    act(tess, reference, "Say the response is unsatisfactory",
        texts={"Why does the response not resolve your concern?": "Consent is not needed here."})  # fmt: skip
    act(tess, reference, "Escalate to the next stage",
        choices=("The response did not resolve the concern",))  # fmt: skip
    dev = walker_for("dev.dsl")
    act(dev, reference, "Escalate to the next stage", choices=("No agreement was reached",))
    ira = walker_for("ira.inspector")
    act(ira, reference, "Escalate to the next stage", choices=("No agreement was reached",))
    chris = walker_for("chris.chair")
    resolve_and_close(chris, tess, reference, decision="Information is to be shared today.")


def test_torbay_channel_from_raising_to_closing(walker_for: Callable[..., Walker]) -> None:
    nia = walker_for("nia.nurse")
    reference = raise_disagreement(
        nia,
        Raising(
            procedure="Torbay Channel Panel multi-agency escalation process",
            other_agency=POLICE,
            professional="Pat Douglas",
            summary="The support plan was closed without the panel agreeing.",
        ),
    )
    pat = walker_for("pat.police")
    act(pat, reference, "Record a discussion", choices=("No",),
        texts={"What was discussed?": "Met with the Channel chair; no agreement."})  # fmt: skip
    act(nia, reference, "Escalate to the next stage", choices=("No agreement was reached",))
    max_ = walker_for("max.manager")
    act(max_, reference, "Escalate to the next stage", choices=("No agreement was reached",))
    priya = walker_for("priya.lead")
    act(priya, reference, "Escalate to the next stage", choices=("No agreement was reached",))
    # Paras 10 and 11: the Chair of the Community Safety Partnership Board decides.
    tia = walker_for("tia.executive")
    resolve_and_close(tia, nia, reference, decision="The plan stays open for three months.")


def test_bedfordshire_channel_from_raising_to_closing(walker_for: Callable[..., Walker]) -> None:
    cora = walker_for("cora.channel")
    reference = raise_disagreement(
        cora,
        Raising(
            procedure="Bedfordshire Channel Panel Escalation of Concerns Procedure",
            your_agency="Demoshire Partnership Business Unit",
            start="Informally: Informal discussion",
            other_agency=SOCIAL_CARE,
            professional="Sam Okafor",
            summary="No social worker has attended the last two panels.",
        ),
    )
    act(cora, reference, "Record a discussion", choices=("No",),
        texts={"What was discussed?": "Met the allocated worker and manager; not agreed."})  # fmt: skip
    act(cora, reference, "Escalate to the next stage", choices=("No agreement was reached",))
    # Stage 1: the manager of the service concerned answers the alert in writing.
    lee = walker_for("lee.lm")
    act(lee, reference, "Send or record a response",
        texts={"What is your agency's response?": "Staffing is short until March."})  # fmt: skip
    act(cora, reference, "Say the response is unsatisfactory",
        texts={"Why does the response not resolve your concern?": "The plan cannot wait."})  # fmt: skip
    act(cora, reference, "Escalate to the next stage",
        choices=("The response did not resolve the concern",))  # fmt: skip
    drew = walker_for("drew.director")
    act(drew, reference, "Send or record a response",
        texts={"What is your agency's response?": "We will find cover from April."})  # fmt: skip
    # "The Channel Chair and professionals may bypass any stage" (section 3).
    act(cora, reference, "Bypass a stage", choices=("Stage 4: Dispute Resolution Meeting",),
        texts={"Why are you bypassing the stages in between?": "Too slow for this person."})  # fmt: skip
    # The Dispute Resolution Meeting is "chaired by the Channel Chair".
    act(cora, reference, "Record a meeting", choices=("Yes",),
        texts={"Who met, and what was decided?": "Dispute resolution meeting: cover found."})  # fmt: skip
    resolve_and_close(cora, cora, reference)


def test_wirral_without_javascript_from_raising_to_closing(
    walker_for: Callable[..., Walker],
) -> None:
    nia = walker_for("nia.nurse", js=False)
    assert nia.page.evaluate("1 + 1") == 2  # the test drives it; the page runs no script
    reference = raise_disagreement(
        nia,
        Raising(
            procedure="WSCB Multi-Agency Escalation Procedure",
            other_agency=SOCIAL_CARE,
            professional="Sam Okafor",
            category="An assessment",
            summary="The referral was closed at the front door without an assessment.",
        ),
    )
    sam = walker_for("sam.social", js=False)
    act(sam, reference, "Record a discussion", choices=("No",),
        texts={"What was discussed?": "Met the health visitor; not agreed."})  # fmt: skip
    act(nia, reference, "Escalate to the next stage", choices=("No agreement was reached",))
    lee = walker_for("lee.lm", js=False)
    act(lee, reference, "Record a discussion", choices=("No",),
        texts={"What was discussed?": "Spoke to Max Lindqvist; still not agreed."})  # fmt: skip
    act(lee, reference, "Escalate to the next stage", choices=("No agreement was reached",))
    drew = walker_for("drew.director", js=False)
    act(drew, reference, "Record a meeting", choices=("No",),
        texts={"Who met, and what was decided?": "Conflict resolution meeting; no agreement."})  # fmt: skip
    act(drew, reference, "Escalate to the next stage", choices=("No agreement was reached",))
    chris = walker_for("chris.chair", js=False)
    resolve_and_close(chris, nia, reference, decision="The Chair determines an assessment.")


def test_the_register_and_home_for_a_business_manager(
    walker_for: Callable[..., Walker], screenshot: Any, page: Any
) -> None:
    from parley.cases import demo as demo_people
    from parley.cases import services
    from parley.cases.models import Agency, ProcedureVersion

    versions = {v.procedure_id: v for v in ProcedureVersion.objects.filter(is_current=True)}
    agencies = {a.name: a for a in Agency.objects.all()}
    for procedure_id in ("twsp", "wirral-children", "torbay-children"):
        services.disagreement_raise(
            procedure=versions[procedure_id],
            raised_by=demo_people.person("nia.nurse"),
            raising_agency=agencies[HEALTH],
            other_agency=agencies[SOCIAL_CARE],
            summary="A disagreement for the register.",
        )
    ben = walker_for("ben.business")
    ben.go("/register/")
    ben.shoot("register")
    ben.page.get_by_label("Procedure").select_option(label="TWSP Resolution and Escalation Process")
    ben.press("Apply filters")
    assert "Selected filters" in ben.page.content()
    # The column heading reads "Raised", with "sort ascending" for screen readers only.
    ben.page.locator("th a", has_text="Raised").click()
    assert "sort=raised" in ben.page.url
    ben.check()
    with ben.page.expect_download() as download:
        ben.page.get_by_role("link", name="Download these as a spreadsheet (CSV)").click()
    assert download.value.suggested_filename.endswith(".csv")
