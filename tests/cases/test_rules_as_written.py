"""Each rule of the shipped procedures as written, through the real door: who sees a case
at a stage, who is told, which limit binds, who may act (the seed documents' own words are
cited beside each test)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from parley.cases import access, services
from parley.cases.demo import demo_load, person
from parley.cases.models import Agency, Disagreement, Partnership
from parley.core import engine, planner
from parley.core.engine import Actor, EventKind, Refused
from parley.core.loader import load_file
from parley.core.procedure import Side
from parley.core.roles import holding
from parley.notifications import services as notifications
from parley.notifications.models import Notification
from parley.web.documents.services import document_build
from tests import ladder
from tests.web.conftest import submit

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
LIBRARY = Path(__file__).resolve().parents[2] / "parley" / "procedures"


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)  # type: ignore[misc]


@pytest.fixture
def partnership() -> Partnership:
    return demo_load(with_cases=False)


def raise_case(
    partnership: Partnership,
    procedure_id: str,
    when: datetime,
    *,
    raiser: str = "nia.nurse",
    raising: str = "Demoshire NHS",
    other: str = "Demoshire Council Children",
    other_professional: str | None = "sam.social",
    **extra: object,
) -> Disagreement:
    return services.disagreement_raise(
        procedure=partnership.procedures.get(procedure_id=procedure_id, is_current=True),
        raised_by=person(raiser),
        raising_agency=Agency.objects.get(partnership=partnership, name__startswith=raising),
        other_agency=Agency.objects.get(partnership=partnership, name__startswith=other),
        other_professional=person(other_professional) if other_professional else None,
        summary="A disagreement.",
        at=when,
        **extra,  # type: ignore[arg-type]
    )


# --- Torbay Channel, stage 4 -------------------------------------------------------------


def test_the_csp_board_chair_sees_and_is_told_of_a_channel_case_at_stage_four(
    partnership: Partnership, signed_in: Callable[[str], Client]
) -> None:
    """Paras 10 and 11: the Chair of the Community Safety Partnership Board resolves the
    matter or convenes a Dispute Resolution Meeting. A role the procedure names at a stage
    sees the case from that stage on, and is told."""
    raised = at(2027, 3, 22, 10)
    case = raise_case(
        partnership, "torbay-channel", raised, raiser="pat.police", raising="Demoshire Police"
    )
    chair = person("tia.executive")
    assert not access.can_view(chair, case)
    moment = ladder.climb(case, "stage-4", at=at(2027, 3, 23, 10))
    notifications.notifications_sweep(now=moment)
    case.refresh_from_db()

    assert case.stage == "stage-4"
    assert access.can_view(chair, case)
    assert signed_in("tia.executive").get(f"/cases/{case.reference}/").status_code == 200
    # Told that it is now theirs to act on, not only "for your information".
    told = set(
        Notification.objects.filter(disagreement=case, recipient=chair).values_list(
            "kind", flat=True
        )
    )
    assert told == {"escalated-to-you"}


# --- Torbay children, Stage One ----------------------------------------------------------


def test_torbay_children_stage_one_is_the_raisers_own_and_the_other_agency_is_not_told(
    partnership: Partnership,
) -> None:
    """Stage One: "Before approaching the other agency", the worker consults their own
    supervisor or manager. The other agency's worker is not told a disagreement needs
    them, and can neither respond, escalate nor resolve it, until Stage Two."""
    case = raise_case(partnership, "torbay-children", at(2027, 3, 22, 10))
    other = person("sam.social")
    told = Notification.objects.filter(disagreement=case, recipient=other)
    assert not told.exists()
    for kind, fields in (
        (EventKind.RESPONSE_RECORDED, {"text": "We disagree."}),
        (EventKind.ESCALATED, {"reason": "no-agreement"}),
        (EventKind.RESOLVED, {"outcome": "Agreed.", "outstanding": "None"}),
        (EventKind.DISCUSSION_RECORDED, {"text": "Talked."}),
    ):
        with pytest.raises(Refused):
            services.disagreement_act(
                disagreement=case, person=other, kind=kind, at=at(2027, 3, 22, 11), **fields
            )
    services.disagreement_escalate(
        disagreement=case, person=person("nia.nurse"), reason="no-agreement",
        at=at(2027, 3, 23, 10),
    )  # fmt: skip
    # Stage Two is the discussion with the other worker: now they are told.
    assert set(told.values_list("kind", flat=True)) == {"escalated-to-you"}


# --- Torbay children, immediate harm ----------------------------------------------------


@pytest.mark.parametrize("start", ["stage-1", "stage-2", "stage-3", "stage-4", "stage-5"])
def test_torbay_children_immediate_harm_binds_today_at_whichever_stage_it_starts(
    partnership: Partnership, start: str
) -> None:
    """Introduction: "discretion should be used as to which stage is initiated", and
    "Resolution should be sought within the shortest timescale possible". The file's
    same working day binds the first step of whichever stage the raiser chooses."""
    raised = at(2027, 3, 22, 10)
    case = raise_case(
        partnership, "torbay-children", raised, immediate_risk=True, start_stage=start
    )
    deadlines = services.disagreement_deadlines(case)
    binding = [d for d in deadlines if not d.advisory and not d.is_met]
    assert case.stage == start
    assert binding, "no deadline binds the first step"
    assert binding[0].due == at(2027, 3, 22, 17)


# --- TWSP: a stage's limit runs until the stage ends -------------------------------------


def _binding(case: Disagreement) -> dict[str, datetime]:
    return {
        d.key: d.due
        for d in services.disagreement_deadlines(case)
        if not d.advisory and not d.is_met
    }


def test_twsp_stage_limits_bind_after_a_response_and_after_no_agreement(
    partnership: Partnership,
) -> None:
    """Appendix 1: stage 1 has 7 working days and stage 2 has 4. After the other
    practitioner's response at stage 1, or a discussion without agreement at stage 2, the
    stage's limit still binds until the case leaves the stage."""
    raised = at(2027, 3, 1, 10)  # a Monday
    case = raise_case(partnership, "twsp", raised)
    services.disagreement_act(
        disagreement=case, person=person("sam.social"), kind=EventKind.RESPONSE_RECORDED,
        text="We will not reopen it.", at=at(2027, 3, 2, 10),
    )  # fmt: skip
    assert _binding(case) == {"stage-1": at(2027, 3, 10, 17)}
    services.disagreement_escalate(
        disagreement=case, person=person("nia.nurse"), reason="no-agreement",
        at=at(2027, 3, 3, 10),
    )  # fmt: skip
    ladder.act_as_holder(
        case, EventKind.DISCUSSION_RECORDED, text="No agreement.", agreed=False,
        at=at(2027, 3, 4, 10),
    )  # fmt: skip
    assert _binding(case) == {"stage-2": at(2027, 3, 9, 17)}
    # Nothing is done by the stage's end: it is overdue, and may be moved on for that.
    deadlines = services.disagreement_deadlines(case)
    assert planner.is_overdue(deadlines, at(2027, 3, 10, 9))


# --- Bedfordshire Channel -----------------------------------------------------------------


def test_bedfordshire_only_the_channel_chair_proceeds_after_no_response(
    partnership: Partnership,
) -> None:
    """Section 3, stage 1: "In the event that no response is received within this
    timeframe or the Channel Chair considers the response to be unsatisfactory they may
    proceed": the Chair, not the professional who raised it nor the other side."""
    case = raise_case(partnership, "bedfordshire-channel", at(2027, 3, 1, 10))
    late = at(2027, 3, 9, 10)  # stage 1's 5 working days ended on Monday 8 March
    for username in ("nia.nurse", "lee.lm", "sam.social", "drew.director"):
        with pytest.raises(Refused):
            services.disagreement_escalate(
                disagreement=case, person=person(username), reason="deadline-passed", at=late
            )
        with pytest.raises(Refused):
            services.disagreement_bypass(
                disagreement=case, person=person(username), to_stage="stage-3",
                reason="Urgent.", at=late,
            )  # fmt: skip
    services.disagreement_escalate(
        disagreement=case, person=person("cora.channel"), reason="deadline-passed", at=late
    )
    case.refresh_from_db()
    assert case.stage == "stage-2"


def test_bedfordshire_asks_no_written_confirmation_the_document_does_not(
    partnership: Partnership,
) -> None:
    """The document asks for responses to alerts in writing and, at the informal stage, an
    email to confirm what was agreed; it does not ask for a written confirmation of an
    agreed outcome and how outstanding issues will be pursued."""
    case = raise_case(partnership, "bedfordshire-channel", at(2027, 3, 1, 10))
    services.disagreement_act(
        disagreement=case, person=person("lee.lm"), kind=EventKind.RESPONSE_RECORDED,
        text="A worker is allocated from Monday.", at=at(2027, 3, 2, 10),
    )  # fmt: skip
    services.disagreement_act(
        disagreement=case, person=person("cora.channel"), kind=EventKind.RESOLVED,
        at=at(2027, 3, 3, 10),
    )  # fmt: skip
    case.refresh_from_db()
    assert case.status == "resolved"
    # The confirmation is offered, as Parley's choice, not printed as the document's rule.
    printed = repr(
        document_build(
            disagreement=case,
            form_id="outcome-confirmation",
            prepared_by=person("cora.channel"),
            now=at(2027, 3, 3, 11),
        )  # fmt: skip
    )
    assert "Required by" not in printed
    assert "Parley: Escalation of Concerns Procedure does not ask" in printed


def test_bedfordshire_stage_one_begins_with_consulting_the_line_manager_and_chair(
    partnership: Partnership,
) -> None:
    """Section 3, stage 1: "the professional will consult with their line manager and the
    Channel Chair before initiating an alert"."""
    version = partnership.procedures.get(procedure_id="bedfordshire-channel", is_current=True)
    stage = services.procedure_of(version).track().stage("stage-1")
    first = stage.steps[0]
    assert "line manager" in first.name and "Channel Chair" in first.name
    assert first.source.cite.startswith("Section 3, stage 1")


def test_bedfordshire_the_other_agencys_panel_member_cannot_move_the_alert_on() -> None:
    """Section 3: "The Channel Chair and professionals may bypass any stage": those who
    raise the concern. The other agency's Channel panel member answers the alert; they do
    not move it up, by escalating or by bypassing a stage."""
    procedure = load_file(LIBRARY / "bedfordshire-channel.yaml")
    raiser = Actor(
        "pat", holding(Side.RAISING, ["channel-panel-member"]), frozenset({Side.RAISING})
    )
    events = engine.raise_case(procedure, actor=raiser, at=at(2027, 3, 1, 10))
    state = engine.replay(events, procedure)
    other = Actor("oli", holding(Side.OTHER, ["channel-panel-member", "service-manager"]))
    late = at(2027, 3, 9, 10)
    with pytest.raises(Refused):
        engine.take(procedure, state, EventKind.BYPASSED, actor=other, at=late,
                    to_stage="stage-3", reason="Urgent.")  # fmt: skip
    with pytest.raises(Refused):
        engine.take(procedure, state, EventKind.ESCALATED, actor=other, at=late, overdue=True,
                    reason="deadline-passed")  # fmt: skip
    assert engine.take(procedure, state, EventKind.BYPASSED, actor=raiser, at=late,
                       to_stage="stage-3", reason="Urgent.")  # fmt: skip


# --- Wirral: the proformas go to the WSCB Business Manager -------------------------------


@pytest.mark.parametrize(("stage", "form"), [("stage-2", "resolved-stage-2"),
                                             ("stage-3", "resolved-stage-3")])  # fmt: skip
def test_wirral_a_proforma_goes_to_the_business_manager_until_acknowledged(
    partnership: Partnership, signed_in: Callable[[str], Client], stage: str, form: str
) -> None:
    """Section 2: disagreements resolved at stage 2 "should be reported to the WSCB
    Business Manager using the proforma"; Appendix 2 the same at stage 3. The Business
    Manager is sent it, has it to acknowledge on their home page until they do, and only
    they may acknowledge it."""
    case = raise_case(partnership, "wirral-children", at(2027, 3, 1, 10))
    moment = ladder.climb(case, stage, at=at(2027, 3, 2, 10))
    ladder.act_as_holder(
        case, EventKind.RESOLVED, outcome="Plan agreed.", outstanding="None",
        at=moment + timedelta(hours=1),
    )  # fmt: skip
    manager = person("ben.business")
    sent = Notification.objects.filter(disagreement=case, recipient=manager, kind="form-sent")
    assert sent.count() == 1
    assert f"/cases/{case.reference}/documents/wirral-{form}" in sent.get().body
    home = signed_in("ben.business").get("/").content.decode()
    assert case.reference in home and "to acknowledge" in home
    with pytest.raises(Refused):
        services.disagreement_act(
            disagreement=case, person=person("nia.nurse"), kind=EventKind.FORM_ACKNOWLEDGED,
            form=form,
        )  # fmt: skip
    # Acknowledged on the case page, through the one door.
    ben = signed_in("ben.business")
    page = f"/cases/{case.reference}/acknowledge-form/"
    assert submit(ben, page, {"form": form}).status_code == 302
    assert case.events.filter(kind="form-acknowledged", data__form=form).count() == 1
    home = ben.get("/").content.decode()
    assert case.reference not in home
    with pytest.raises(Refused):
        services.disagreement_act(
            disagreement=case, person=manager, kind=EventKind.FORM_ACKNOWLEDGED, form=form
        )


def test_wirral_a_case_resolved_at_stage_one_sends_no_proforma(partnership: Partnership) -> None:
    """Section 1: at stage 1 "the WSCB does not need to be told"."""
    case = raise_case(partnership, "wirral-children", at(2027, 3, 1, 10))
    ladder.act_as_holder(
        case, EventKind.RESOLVED, outcome="Agreed.", outstanding="None", at=at(2027, 3, 2, 10)
    )
    assert not Notification.objects.filter(disagreement=case, kind="form-sent").exists()


def test_wirral_the_quarterly_report_counts_the_proformas(partnership: Partnership) -> None:
    """Section 2: the proformas go to the Business Manager "for analysis", and a quarterly
    report goes to the WSCB Executive Group: it counts the cases that sent one."""
    from parley.core.report import quarter_period
    from parley.reports.figures import report_build
    from parley.reports.scope import report_scope

    at_two = raise_case(partnership, "wirral-children", at(2027, 2, 1, 10))
    moment = ladder.climb(at_two, "stage-2", at=at(2027, 2, 2, 10))
    ladder.act_as_holder(
        at_two, EventKind.RESOLVED, outcome="Agreed.", outstanding="None",
        at=moment + timedelta(hours=1),
    )  # fmt: skip
    at_one = raise_case(partnership, "wirral-children", at(2027, 2, 1, 11))
    ladder.act_as_holder(
        at_one, EventKind.RESOLVED, outcome="Agreed.", outstanding="None",
        at=at(2027, 2, 3, 10),
    )  # fmt: skip
    scope = report_scope(partnership=partnership, procedure_id="wirral-children")
    assert scope is not None
    period = quarter_period(2027, 1)
    report = report_build(
        scope=scope, period=period, threshold=0, today=date(2027, 4, 5), learning=False
    )
    assert report.counts[("forms_sent", period.code)] == 1
    assert report.counts[("resolved", period.code)] == 2


# --- TWSP: the Executive may inform professional bodies ----------------------------------


def test_twsp_the_executive_records_informing_a_professional_body(
    partnership: Partnership, signed_in: Callable[[str], Client]
) -> None:
    """Appendix 1, after stage 3: the TWSP Executive "will mediate the activities through
    to a resolution and inform relevant professional bodies if appropriate, i.e. Care
    Quality Commission Home Concerns". Its own action, the Executive's, at stage 5."""
    case = raise_case(partnership, "twsp", at(2027, 3, 1, 10))
    moment = ladder.climb(case, "stage-4", at=at(2027, 3, 2, 10))
    with pytest.raises(Refused):
        services.disagreement_act(
            disagreement=case, person=person("tia.executive"), kind=EventKind.BODY_INFORMED,
            text="Told the CQC.", at=moment + timedelta(hours=1),
        )  # fmt: skip
    moment = ladder.climb(case, "stage-5", at=moment + timedelta(hours=2))
    for username in ("ben.business", "hal.director", "nia.nurse"):
        with pytest.raises(Refused):
            services.disagreement_act(
                disagreement=case, person=person(username), kind=EventKind.BODY_INFORMED,
                text="Told the CQC.", at=moment + timedelta(hours=1),
            )  # fmt: skip
    tia = signed_in("tia.executive")
    page = f"/cases/{case.reference}/inform-body/"
    assert "Care Quality Commission" in tia.get(page).content.decode()
    text = "Told the Care Quality Commission about the home's staffing."
    assert submit(tia, page, {"text": text}).status_code == 302
    recorded = case.events.get(kind="body-informed")
    assert recorded.data["text"] == text and recorded.actor_id == person("tia.executive").pk


# --- Torbay Channel: policy issues to the Prevent Partnership Board ------------------------


def test_torbay_channel_policy_issues_are_addressed_to_the_prevent_partnership_board(
    partnership: Partnership, signed_in: Callable[[str], Client]
) -> None:
    """Para 14: policy issues identified "will be referred to the Devon and Torbay Prevent
    Partnership Board". A learning referral from a Torbay Channel case is addressed to the
    Board, and the learning log the Channel chair keeps for it shows it so, logged or not."""
    case = raise_case(
        partnership, "torbay-channel", at(2027, 3, 1, 10), raiser="pat.police",
        raising="Demoshire Police",
    )  # fmt: skip
    services.disagreement_act(
        disagreement=case, person=person("pat.police"), kind=EventKind.LEARNING_REFERRED,
        text="Information-sharing agreement does not cover Channel.", at=at(2027, 3, 2, 10),
    )  # fmt: skip
    board = "Devon and Torbay Prevent Partnership Board"
    event = case.events.get(kind="learning-referred")
    assert event.data["referred_to"] == board
    log = signed_in("cora.channel").get("/reports/learning/").content.decode()
    assert "Information-sharing agreement does not cover Channel." in log
    assert board in log


# --- Torbay Channel: feedback at each stage is a step with an owner -----------------------


def test_torbay_channel_feedback_at_each_stage_is_a_step_with_an_owner_and_a_date(
    partnership: Partnership,
) -> None:
    """Para 13: "It is the responsibility of the person to whom the issue is referred to
    ensure that clear and timely feedback is provided", at each stage. A step held by that
    person, with a date (a guide: the document gives none), done when they give it."""
    case = raise_case(
        partnership, "torbay-channel", at(2027, 3, 1, 10), raiser="pat.police",
        raising="Demoshire Police",
    )  # fmt: skip
    feedback = {d.key: d for d in services.disagreement_deadlines(case)}["stage-1/feedback"]
    assert feedback.by.value == "other" and feedback.advisory
    assert feedback.due == at(2027, 3, 8, 17)
    services.disagreement_act(
        disagreement=case, person=person("sam.social"), kind=EventKind.FEEDBACK_GIVEN,
        text="We have re-read the plan and will fund the mentor.", at=at(2027, 3, 2, 10),
    )  # fmt: skip
    done = {d.key: d for d in services.disagreement_deadlines(case)}["stage-1/feedback"]
    assert done.is_met
    moment = ladder.climb(case, "stage-4", at=at(2027, 3, 3, 10))
    stage_4 = {d.key: d for d in services.disagreement_deadlines(case)}
    assert stage_4["stage-4/feedback"].by.value == "partnership"
    ladder.act_as_holder(
        case, EventKind.FEEDBACK_GIVEN, text="The Chair will convene a meeting.",
        at=moment + timedelta(hours=1), side=Side.PARTNERSHIP,
    )  # fmt: skip
    assert case.events.filter(kind="feedback-given").last().actor == person("tia.executive")
    assert {d.key: d for d in services.disagreement_deadlines(case)}["stage-4/feedback"].is_met


# --- TWSP, stage 7: a copy of the completed forms to the Partnership Manager --------------


def test_twsp_the_completed_forms_go_to_the_partnership_manager_at_the_end(
    partnership: Partnership,
) -> None:
    """Appendix 1, stage 7: "once the Resolution and Escalation Referral Forms have been
    completed, send a copy to the TWSP Partnership Manager". When the case is closed the
    Partnership Manager is sent the forms it used, each with its link."""
    case = raise_case(partnership, "twsp", at(2027, 3, 1, 10))
    moment = ladder.climb(case, "stage-3", at=at(2027, 3, 2, 10))
    ladder.act_as_holder(
        case, EventKind.RESOLVED, outcome="Agreed.", outstanding="None",
        at=moment + timedelta(hours=1),
    )  # fmt: skip
    services.disagreement_close(
        disagreement=case, person=person("nia.nurse"), at=moment + timedelta(hours=2)
    )
    sent = Notification.objects.get(
        disagreement=case, recipient=person("ben.business"), kind="form-sent"
    )
    for template in ("twsp-referral", "outcome-confirmation"):
        assert f"/cases/{case.reference}/documents/{template}.pdf" in sent.body
