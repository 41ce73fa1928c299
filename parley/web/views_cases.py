"""The case page, its action pages and evidence downloads.

Reads go through :mod:`parley.cases.access` (a case this person may not see is "Page not
found", whether or not it exists); writes through :mod:`parley.cases.services`; what this
person may do now comes from :func:`parley.core.engine.allowed_actions`. Every look and
every change is audited before the page is drawn.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from parley.audit.services import audit_record
from parley.cases import access, selectors, services
from parley.cases.access import person_of
from parley.cases.models import Disagreement, Event, Person
from parley.core import engine, planner
from parley.core.engine import Actor, CaseState, EventKind, Refused
from parley.core.procedure import CHOICE_WORDS, Procedure, Side, Stage, StepAction, Track
from parley.core.words import long_date
from parley.directory.selectors import holders as directory_holders
from parley.web import forms
from parley.web import services as web_services
from parley.web.documents.facts import recorded_by
from parley.web.documents.forms import TEMPLATES
from parley.web.documents.services import OUTCOME_TEMPLATE, forms_applying
from parley.web.models import EvidenceFile


def stage_words(stage: Stage) -> str:
    """ "Stage 2: Line or team managers"; an informal stage by its name alone."""
    if stage.informal:
        return f"{stage.name} (informal stage)"
    return f"Stage {stage.number}: {stage.name}"


def not_set_up(request: HttpRequest) -> HttpResponse:
    """For a signed-in account that is not a person in a partnership (an operator)."""
    return render(request, "parley/web/no_person.html", status=403)


# --- the actions, as data ---------------------------------------------------------------


@dataclass(frozen=True)
class ActionPage:
    """One action a person can take on a case, and the page that takes it."""

    kind: EventKind
    slug: str
    title: str  # the link on the case page and the page's heading
    form: type[forms.ActionForm]
    button: str
    label: str = ""  # the main text box's label
    required: str = ""  # its error when left empty, in the words of the question
    hint: str = ""
    done: str = ""  # the message on the case page afterwards
    describe: str = ""  # a line under the link on the case page
    group: str = "record"  # "move": moves the case on; "record": adds to it; "other"
    # Offered only at a stage with an open step of one of these kinds. The engine allows a
    # referral, meeting or decision at any stage; offering one where the procedure has no
    # such step only puzzles people.
    for_steps: frozenset[StepAction] = frozenset()


ACTIONS: tuple[ActionPage, ...] = (
    ActionPage(
        EventKind.RESPONSE_RECORDED,
        "respond",
        "Send or record a response",
        forms.TextActionForm,
        "Save the response",
        label="What is your agency's response?",
        required="Enter your agency's response",
        hint="What your agency will do, or why its decision stands, and why.",
        done="Response saved",
        describe="Reply to the disagreement in writing.",
        group="move",
    ),
    ActionPage(
        EventKind.DISCUSSION_RECORDED,
        "record-discussion",
        "Record a discussion",
        forms.AgreementActionForm,
        "Save the discussion",
        label="What was discussed?",
        required="Enter what was discussed",
        hint="Who took part, when, and what each agency will do.",
        done="Discussion saved",
        describe="A call, meeting or conversation about it.",
        group="move",
    ),
    ActionPage(
        EventKind.RESPONSE_JUDGED_UNSATISFACTORY,
        "judge-unsatisfactory",
        "Say the response is unsatisfactory",
        forms.TextActionForm,
        "Save",
        label="Why does the response not resolve your concern?",
        required="Enter why the response does not resolve your concern",
        done="Saved: you can now escalate it",
        describe="Needed before escalating because of the response.",
        group="move",
    ),
    ActionPage(
        EventKind.ESCALATED,
        "escalate",
        "Escalate to the next stage",
        forms.EscalateForm,
        "Escalate",
        done="Escalated to the next stage",
        describe="Move it up to the next stage of the procedure.",
        group="move",
    ),
    ActionPage(
        EventKind.BYPASSED,
        "bypass",
        "Bypass a stage",
        forms.BypassForm,
        "Bypass",
        done="Moved past the stages in between",
        describe="Go straight to a higher stage, with a reason.",
        group="move",
    ),
    ActionPage(
        EventKind.IMMEDIATE_RISK_DECLARED,
        "immediate-risk",
        "Someone is at immediate risk",
        forms.ImmediateRiskActionForm,
        "Escalate it today",
        done="Escalated the same working day",
        describe="Escalate it on the same working day.",
        group="other",
    ),
    ActionPage(
        EventKind.REFERRED,
        "refer",
        "Record a written referral",
        forms.TextActionForm,
        "Save the referral",
        label="What did you refer, and to whom?",
        required="Enter what you referred, and to whom",
        hint="For example, the referral form sent to the other agency's senior manager.",
        done="Referral saved",
        describe="A referral in writing to the next rung.",
        group="move",
        for_steps=frozenset({StepAction.REFER}),
    ),
    ActionPage(
        EventKind.MEETING_HELD,
        "record-meeting",
        "Record a meeting",
        forms.MeetingActionForm,
        "Save the meeting",
        label="Who met, and what was decided?",
        required="Enter who met, and what was decided",
        done="Meeting saved",
        describe="A professionals' or resolution meeting.",
        group="move",
        for_steps=frozenset({StepAction.MEET}),
    ),
    ActionPage(
        EventKind.DECISION_MADE,
        "record-decision",
        "Record the decision",
        forms.TextActionForm,
        "Save the decision",
        label="What was decided, and why?",
        required="Enter what was decided, and why",
        done="Decision saved",
        describe="The decision of the chair, panel or executive.",
        group="move",
        for_steps=frozenset({StepAction.DECIDE}),
    ),
    ActionPage(
        EventKind.RESOLVED,
        "resolve",
        "Record the agreed outcome",
        forms.ResolveForm,
        "Save the outcome",
        done="Outcome saved: the disagreement is resolved",
        describe="The written outcome and how any outstanding issues will be pursued.",
        group="move",
    ),
    ActionPage(
        EventKind.FEEDBACK_GIVEN,
        "feedback",
        "Give feedback to the person who raised it",
        forms.TextActionForm,
        "Save the feedback",
        label="What action has been taken?",
        required="Enter what action has been taken",
        hint="The person who raised it must be told what has been done at each stage.",
        done="Feedback saved",
    ),
    ActionPage(
        EventKind.DEBRIEF_RECORDED,
        "debrief",
        "Record a debrief",
        forms.TextActionForm,
        "Save the debrief",
        label="What came out of the debrief?",
        done="Debrief saved",
        required="Enter what came out of the debrief",
        describe="A debrief to keep good working relationships.",
    ),
    ActionPage(
        EventKind.LEARNING_REFERRED,
        "refer-learning",
        "Refer a policy or learning issue",
        forms.TextActionForm,
        "Refer it",
        label="What is the policy or learning issue?",
        required="Enter the policy or learning issue",
        done="Policy or learning issue referred",
    ),
    ActionPage(
        EventKind.BODY_INFORMED,
        "inform-body",
        "Record that you informed a professional body",
        forms.TextActionForm,
        "Save",
        label="Which body did you inform, and what did you tell them?",
        done="Saved: the professional body informed",
        describe="For example the Care Quality Commission.",
    ),
    ActionPage(
        EventKind.LIMIT_SHORTENED,
        "shorten-limit",
        "Set a shorter time limit for this stage",
        forms.ShortenLimitForm,
        "Set the shorter limit",
        done="Shorter time limit set",
        describe="Where a shorter time protects the child or adult.",
        group="other",
    ),
    ActionPage(
        EventKind.PRIORITY_SET,
        "set-priority",
        "Set the priority",
        forms.PriorityForm,
        "Set the priority",
        done="Priority set",
        describe="The priority sets this stage's time limit.",
        group="other",
    ),
    ActionPage(
        EventKind.VIEWS_RECORDED,
        "record-views",
        "Record their views",
        forms.ViewsForm,
        "Save their views",
        label="What are their views?",
        required="Enter their views",
        done="Their views are recorded",
        describe="The views of the person the disagreement is about, or their representative.",
    ),
    ActionPage(
        EventKind.ADVICE_REQUESTED,
        "ask-adviser",
        "Ask an adviser",
        forms.AskAdviserForm,
        "Ask them",
        done="The adviser is asked, and can now see this disagreement",
        describe="For example the designated doctor or nurse, at any stage.",
    ),
    ActionPage(
        EventKind.ADVICE_RECORDED,
        "record-advice",
        "Record your advice",
        forms.TextActionForm,
        "Save your advice",
        label="What is your advice?",
        required="Enter your advice",
        done="Your advice is recorded",
    ),
    ActionPage(
        EventKind.AGENCY_INVOLVED,
        "add-agency",
        "Add an agency involved",
        forms.AgencyInvolvedForm,
        "Add it",
        done="Agency added: it is told of the meeting of every agency involved",
        describe="Another agency working with the child or adult, for the network meeting.",
    ),
    ActionPage(
        EventKind.FORM_ACKNOWLEDGED,
        "acknowledge-form",
        "Acknowledge a form sent to you",
        forms.AcknowledgeFormForm,
        "Acknowledge it",
        done="Form acknowledged",
        describe="Say you have received a form the procedure sends you.",
    ),
    ActionPage(
        EventKind.EVIDENCE_ATTACHED,
        "attach-evidence",
        "Attach evidence",
        forms.AttachEvidenceForm,
        "Attach the file",
        done="File attached",
    ),
    ActionPage(
        EventKind.NOTE_ADDED,
        "note",
        "Add a note",
        forms.NoteForm,
        "Save the note",
        done="Note saved",
    ),
    ActionPage(
        EventKind.CLOSED,
        "close",
        "Close the disagreement",
        forms.CloseForm,
        "Close it",
        done="Disagreement closed",
        describe="Once the outcome is recorded and shared.",
        group="move",
    ),
    ActionPage(
        EventKind.WITHDRAWN,
        "withdraw",
        "Withdraw the disagreement",
        forms.WithdrawForm,
        "Withdraw it",
        done="Disagreement withdrawn",
        group="other",
    ),
    ActionPage(
        EventKind.SIDE_ROUTE_STARTED,
        "start-side-route",
        "Start a side route",
        forms.SideRouteStartForm,
        "Start it",
        done="Side route started",
        describe="Such as a complaint about how the partnership handled it.",
        group="other",
    ),
    ActionPage(
        EventKind.SIDE_ROUTE_MOVED_ON,
        "side-route-next-stage",
        "Take a side route to its next stage",
        forms.SideRouteOnForm,
        "Take it further",
        done="Side route taken to its next stage",
        group="other",
    ),
    ActionPage(
        EventKind.SIDE_ROUTE_ENDED,
        "end-side-route",
        "Record a side route's outcome",
        forms.SideRouteEndForm,
        "Save the outcome",
        done="Side route ended",
        group="other",
    ),
)
ACTION_BY_SLUG = {action.slug: action for action in ACTIONS}
ACTION_BY_KIND = {action.kind: action for action in ACTIONS}

REASON_WORDS = {
    "deadline-passed": "The deadline passed without a response",
    "response-unsatisfactory": "The response did not resolve the concern",
    "no-agreement": "No agreement was reached",
}
STATUS_TAGS = {
    "open": ("Open", ""),
    "resolved": ("Resolved", "govuk-tag--green"),
    "closed": ("Closed", "govuk-tag--grey"),
    "withdrawn": ("Withdrawn", "govuk-tag--grey"),
}
# A note's "visibility": the side that may read it, or everyone who can see the case
# (who reads what is decided by parley.core.engine.may_read).
VISIBLE_TO_SIDE = engine.NOTE_SIDES


# --- one case, as this person sees it now ----------------------------------------------


@dataclass
class CaseFile:
    case: Disagreement
    person: Person
    procedure: Procedure
    track: Track
    stage: Stage
    state: CaseState
    events: list[Event]  # the record, oldest first
    deadlines: list[planner.Deadline]
    actor: Actor
    now: datetime
    overdue: bool
    allowed: list[EventKind] = field(default_factory=list)

    def stage_label(self, stage_id: str) -> str:
        try:
            stage = self.track.stage(stage_id)
        except KeyError:
            return stage_id
        return stage_words(stage)


def case_file(request: HttpRequest, reference: str) -> CaseFile:
    """The case if this person may see it, with its state and their actions; else 404."""
    person = person_of(request)
    case = access.disagreement_get_visible(person=person, reference=reference)
    if case is None or person is None:
        raise Http404("Page not found")
    now = timezone.now()
    events = selectors.disagreement_record(case)
    found = services.disagreement_now(case, person, at=now, events=events)
    track = found.procedure.track(found.state.track)
    return CaseFile(
        case=case,
        person=person,
        procedure=found.procedure,
        track=track,
        stage=track.stage(found.state.stage),
        state=found.state,
        events=events,
        deadlines=found.deadlines,
        actor=found.actor,
        now=now,
        overdue=found.overdue,
        allowed=found.allowed,
    )


def timeline(cf: CaseFile) -> list[dict[str, Any]]:
    """The record, newest first, with notes private to one side shown only to that side."""
    evidence_names = (
        {e.token: e.original_name for e in EvidenceFile.objects.filter(disagreement=cf.case)}
        if any((e.data or {}).get("evidence") for e in cf.events)
        else {}
    )
    items = []
    for event in reversed(cf.events):
        kind = EventKind(event.kind)
        data = dict(event.data or {})
        if not engine.may_read(data, cf.actor):
            continue
        details: list[tuple[str, str]] = []
        if kind is EventKind.RAISED:
            details.append(("Started at", cf.stage_label(event.stage)))
            if data.get("route") == "immediate-risk":
                details.append(("Route", "Immediate risk: escalated the same working day"))
        if data.get("to_stage"):
            details.append(("Now at", cf.stage_label(str(data["to_stage"]))))
        if kind is EventKind.ESCALATED and data.get("reason"):
            details.append(("Why", REASON_WORDS.get(str(data["reason"]), str(data["reason"]))))
        elif data.get("reason"):
            details.append(("Reason", str(data["reason"])))
        if data.get("agreed") is True:
            details.append(("Agreement", "Agreement reached"))
        if data.get("outcome"):
            details.append(("Agreed outcome", str(data["outcome"])))
        if data.get("outstanding"):
            details.append(("Outstanding issues", str(data["outstanding"])))
        if kind is EventKind.NOTE_ADDED and data.get("visibility") in VISIBLE_TO_SIDE:
            details.append(("Who can read it", _side_words(cf, str(data["visibility"]))))
        if kind is EventKind.PRIORITY_SET and data.get("priority"):
            given = _priority_label(cf, event.stage, str(data["priority"]))
            details.append(("Priority", given))
        if kind is EventKind.LIMIT_SHORTENED and data.get("due"):
            new_day = date.fromisoformat(str(data["due"]))
            details.append(("New last day of the stage", long_date(new_day, weekday=True)))
        if kind is EventKind.DEADLINES_MOVED and data.get("reason"):
            details.append(("Why", str(data["reason"])))
        if kind is EventKind.VERSION_CHANGED:
            details.append(
                ("Version", f"From {data.get('from_version')} to {data.get('to_version')}")
            )
        items.append(
            {
                "label": engine.event_label(kind),
                "by": recorded_by(cf.case, event.actor, data) or "Parley",
                "at": event.at,
                "stage": cf.stage_label(event.stage),
                "text": str(data.get("text") or ""),
                "details": details,
                "evidence": str(data.get("evidence") or ""),
                "filename": evidence_names.get(str(data.get("evidence") or ""), ""),
            }
        )
    return items


def _side_words(cf: CaseFile, side: str) -> str:
    agency = cf.case.raising_agency if side == "raising" else cf.case.other_agency
    return f"Only people in {agency.name}"


def holders(cf: CaseFile) -> dict[str, Any]:
    """Who holds the case now on each side, and who next: the roles the procedure names
    for the stage, and the people the directory names for them in each agency."""
    case, procedure = cf.case, cf.procedure
    named = directory_holders(disagreement=case, answers=cf.state.answers)

    def names(people: list[Person] | None) -> list[str]:
        return [p.name for p in people or ()]

    def side(
        stage: Stage | None, raising: list[Person] | None, other: list[Person] | None
    ) -> dict[str, Any] | None:
        if stage is None:
            return None
        return {
            "stage": stage_words(stage),
            "raising": [procedure.role_label(r) for r in stage.raising_side],
            "other": [procedure.role_label(r) for r in stage.other_side],
            "raising_people": names(raising),
            "other_people": names(other),
            "informed": [procedure.role_label(r) for r in stage.kept_informed],
        }

    upcoming = cf.track.next_stage(cf.stage, cf.state.answers) if case.status == "open" else None
    return {
        "raising_agency": case.raising_agency.name,
        "other_agency": case.other_agency.name,
        "partnership": [procedure.role_label(r) for r in cf.stage.partnership_side],
        "partnership_people": names(named.now_partnership),
        "now": side(cf.stage, named.now_raising, named.now_other),
        "next": side(upcoming, named.next_raising, named.next_other) if upcoming else None,
    }


def _deadline_view(d: planner.Deadline, cf: CaseFile) -> dict[str, Any]:
    return {
        "label": d.label,
        "due": d.due,
        "overdue": d.is_overdue(cf.now),
        "met_at": d.met_at,
        "advisory": d.advisory,
        "explanation": d.explanation.sentence(),
        "rule": d.rule,
        "shortened": d.shortened,
        # A limit in calendar days counts every day; the others skip the days nobody works.
        "every_day": "calendar day" in d.rule,
        # The document's passage, or that the document does not say and Parley chose.
        "source": d.source
        if d.source.startswith(CHOICE_WORDS)
        else (f"Source: {d.source}." if d.source else ""),
        "by": _by_words(d.by, cf),
        "kind": d.kind.value,
    }


ACTION_GROUPS = (
    ("move", "Move it on"),
    ("record", "Add to the record"),
    ("other", "If things change"),
)


def offered_kinds(cf: CaseFile) -> set[EventKind]:
    """The allowed actions worth offering here: those tied to a kind of step only where
    the current stage has such a step still to do."""
    done = {step_id for step_id, _ in cf.state.completed}
    open_steps = {step.action for step in cf.stage.steps if step.id not in done}
    return {
        a.kind
        for a in ACTIONS
        if a.kind in cf.allowed and (not a.for_steps or a.for_steps & open_steps)
    }


def _by_words(side: Side, cf: CaseFile) -> str:
    return {
        Side.RAISING: cf.case.raising_agency.name,
        Side.OTHER: cf.case.other_agency.name,
        Side.BOTH: "Both agencies",
        Side.PARTNERSHIP: "The partnership",
    }[side]


def side_routes_view(cf: CaseFile) -> list[dict[str, Any]]:
    """The side routes taken from the case: where each is, and its deadline while open."""
    calendar = selectors.calendar_of(cf.case.partnership, cf.procedure)
    due = {
        d.key.split(":")[0]: d
        for d in planner.side_route_deadlines(cf.procedure, calendar, cf.state)
    }
    views = []
    for taken in cf.state.side_routes:
        route = cf.procedure.side_route(taken.route)
        deadline = due.get(route.id) if taken.is_open else None
        views.append(
            {
                "name": route.name,
                "stage": route.stage(taken.stage).name,
                "open": taken.is_open,
                "deadline": _deadline_view(deadline, cf) if deadline else None,
            }
        )
    return views


def deadline_summary(cf: CaseFile) -> dict[str, Any]:
    open_ones = [d for d in cf.deadlines if not d.is_met]
    binding = [d for d in open_ones if not d.advisory]
    upcoming = binding[0] if binding else (open_ones[0] if open_ones else None)
    overall = next((d for d in cf.deadlines if d.kind is planner.DeadlineKind.OVERALL), None)
    return {
        "next": _deadline_view(upcoming, cf) if upcoming else None,
        "overall": _deadline_view(overall, cf) if overall else None,
        "all": [_deadline_view(d, cf) for d in cf.deadlines],
        # A shorter limit set for this stage in this case ("whichever is less").
        "shortened": next(
            (d.shortened for d in cf.deadlines if d.kind is planner.DeadlineKind.STAGE), ""
        ),
    }


def documents(cf: CaseFile) -> list[dict[str, Any]]:
    """The procedure's forms for this case: a link to each that exists now (the same
    answer the download asks, forms_applying), and for each that may still come, a line
    saying when. A form the case can no longer need (the stage 2 proforma of a case
    resolved at stage 3) is left out."""
    applying = {a.template: a for a in forms_applying(cf.procedure, cf.state)}
    rows: list[dict[str, Any]] = []
    listed: set[str] = set()
    for form in cf.procedure.forms:
        if form.template in listed or form.template not in TEMPLATES:
            continue
        if form.from_stage and not cf.track.has_stage(form.from_stage):
            continue
        listed.add(form.template)
        if form.template in applying:
            rows.append({"id": form.template, "name": form.name, "ready": ""})
            continue
        if not cf.state.is_open:
            continue
        stage = cf.track.stage(form.from_stage).number if form.from_stage else None
        if form.when == "resolved-at":
            ready = (
                f"Ready if the disagreement is resolved at stage {stage}"
                if stage
                else "Ready when the disagreement is resolved"
            )
        else:
            ready = f"Ready when the disagreement reaches stage {stage}"
        rows.append({"id": form.template, "name": form.name, "ready": ready})
    outcome = applying.get(OUTCOME_TEMPLATE)
    if outcome is not None and OUTCOME_TEMPLATE not in listed:
        rows.append({"id": OUTCOME_TEMPLATE, "name": outcome.title, "ready": ""})
    elif (
        OUTCOME_TEMPLATE not in listed
        and cf.state.is_open
        and cf.procedure.outcome.written_confirmation
    ):
        rows.append(
            {
                "id": OUTCOME_TEMPLATE,
                "name": TEMPLATES[OUTCOME_TEMPLATE].title,
                "ready": "Ready when the disagreement is resolved",
            }
        )
    return rows


@login_required
@require_safe
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    cf = case_file(request, reference)
    audit_record(action="case.view", request=request, disagreement=cf.case)
    case = cf.case
    offered = [ACTION_BY_KIND[kind] for kind in cf.allowed if kind in offered_kinds(cf)]
    groups = [
        (heading, [a for a in offered if a.group == group]) for group, heading in ACTION_GROUPS
    ]
    status_words, status_class = STATUS_TAGS.get(case.status, (case.status, ""))
    return render(
        request,
        "parley/web/cases/detail.html",
        {
            "cf": cf,
            "case": case,
            "procedure": cf.procedure,
            "stage_label": cf.stage_label(case.stage),
            "status_words": status_words,
            "status_class": status_class,
            "category": cf.procedure.category_label(case.category) if case.category else "",
            "answers": engine.answers_shown(cf.procedure, cf.state.answers),
            "holders": holders(cf),
            "deadlines": deadline_summary(cf),
            "timeline": timeline(cf),
            "actions": offered,
            "action_groups": [(heading, actions) for heading, actions in groups if actions],
            "documents": documents(cf),
            "overdue": cf.overdue,
            "beyond": beyond_the_sides(cf),
            "side_routes": side_routes_view(cf),
        },
    )


def beyond_the_sides(cf: CaseFile) -> dict[str, Any]:
    """Those beyond the two sides, for the case page: whether the views of the person it
    is about are recorded (and the task, if due), the advisers asked, the agencies
    involved."""
    procedure, state = cf.procedure, cf.state
    names = dict(selectors.agency_names(cf.case.partnership_id, state.agencies_involved))
    return {
        "subject": procedure.subject,
        "views": len(state.views_recorded_at),
        "views_due": engine.views_due(procedure, state),
        "advisers": [procedure.role_label(role) for role in state.advisers_asked],
        "advice": state.advice_count,
        "agencies": [names.get(a, a) for a in state.agencies_involved],
    }


# --- action pages -----------------------------------------------------------------------


def _choices_for(action: ActionPage, cf: CaseFile) -> dict[str, Any]:
    procedure, state, actor = cf.procedure, cf.state, cf.actor
    choices: dict[str, Any] = {"label": action.label, "hint": action.hint}
    if action.required:
        choices["required"] = action.required
    if action.kind is EventKind.ESCALATED:
        reasons = engine.escalation_reasons(procedure, state, actor, at=cf.now, overdue=cf.overdue)
        choices["reasons"] = [(r.value, REASON_WORDS[r.value]) for r in reasons]
    elif action.kind is EventKind.BYPASSED:
        choices["stages"] = [
            (s, cf.stage_label(s)) for s in engine.bypass_targets(procedure, state)
        ]
    elif action.kind is EventKind.IMMEDIATE_RISK_DECLARED:
        risk = procedure.immediate_risk
        if risk is not None and risk.raiser_chooses:
            choices["stages"] = [
                (s, cf.stage_label(s)) for s in engine.immediate_targets(procedure, state)
            ]
    elif action.kind is EventKind.NOTE_ADDED:
        visibility = [(forms.VISIBILITY_ALL, "Everyone who can see this disagreement")]
        for value, side in VISIBLE_TO_SIDE.items():
            if actor.holds_on(side):
                visibility.append((value, _side_words(cf, value)))
        choices["visibility"] = visibility
    elif action.kind is EventKind.BODY_INFORMED:
        informs = procedure.track(state.track).stage(state.stage).informs
        choices["hint"] = f"The procedure says you may inform {informs}."
    elif action.kind is EventKind.FORM_ACKNOWLEDGED:
        choices["forms"] = [
            (form.id, form.name) for form in engine.forms_to_acknowledge(procedure, state, actor)
        ]
    elif action.kind is EventKind.LIMIT_SHORTENED:
        choices["hint"] = _shorten_hint(cf)
    elif action.kind is EventKind.PRIORITY_SET:
        given = cf.stage.priority(cf.state.priority)
        choices["priorities"] = [
            (p.id, f"{p.label}: within {p.within.describe()}")
            for p in cf.stage.priorities
            if given is None or p.id != given.id
        ]
    elif action.kind is EventKind.ADVICE_REQUESTED:
        choices["advisers"] = [(a.role, a.label) for a in procedure.advisers]
    elif action.kind is EventKind.AGENCY_INVOLVED:
        choices["agencies"] = selectors.agencies_to_add(cf.case, state)
    elif action.kind is EventKind.VIEWS_RECORDED and procedure.subject is not None:
        choices["hint"] = f"Record the views of {procedure.subject.label}."
    elif action.kind in engine.SIDE_ROUTE_EVENTS:
        choices["routes"] = [
            (route.id, route.name)
            for route, kind in engine.side_route_offers(procedure, state, actor)
            if kind is action.kind
        ]
    elif action.kind is EventKind.LEARNING_REFERRED and procedure.outcome.learning_to:
        choices["hint"] = f"It goes to the {procedure.outcome.learning_to}."
    return choices


def _priority_label(cf: CaseFile, stage_id: str, priority_id: str) -> str:
    try:
        found = cf.track.stage(stage_id).priority(priority_id)
    except KeyError:
        return priority_id
    return found.label if found is not None and found.id == priority_id else priority_id


def _shorten_hint(cf: CaseFile) -> str:
    """When the stage's limit ends now, which the new last day must come before."""
    ends = planner.stage_ends(cf.deadlines, cf.state.stage)
    if ends is None:
        return "For example, 23 12 2026"
    example = ends - timedelta(days=1)
    return (
        f"The time limit for this stage ends on {long_date(ends, weekday=True)}. The new "
        f"last day must be before then. For example, {example.day} {example.month} "
        f"{example.year}"
    )


def _refusal(action: ActionPage, cf: CaseFile) -> str:
    """Why this action is not open to this person now, in the engine's words."""
    probe = {"text": "-", "reason": "-", "outcome": "-", "outstanding": "-", "filename": "-"}
    probe["adviser"] = next((a.role for a in cf.procedure.advisers), "-")
    probe["agency"] = "-"
    if cf.procedure.side_routes:
        probe["route"] = cf.procedure.side_routes[0].id
    try:
        engine.take(
            cf.procedure,
            cf.state,
            action.kind,
            actor=cf.actor,
            at=cf.now,
            overdue=cf.overdue,
            **probe,
        )
    except Refused as refused:
        return refused.reason
    return "This is not possible on this disagreement now."


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    spec = ACTION_BY_SLUG.get(action)
    if spec is None:
        raise Http404("Page not found")
    cf = case_file(request, reference)
    context: dict[str, Any] = {"cf": cf, "case": cf.case, "action": spec}
    problems: list[str] = []
    if request.method == "POST":
        earlier = _posted_before(request, cf)
        if earlier is not None:
            return earlier
        if spec.kind not in cf.allowed:
            return _not_now(request, spec, cf, context)
        form = spec.form(request.POST, request.FILES, choices=_choices_for(spec, cf))
        if form.is_valid():
            version, key = form.acted_on
            try:
                _take(spec, cf, form, request=request, version=version, key=key)
            except services.Stale as stale:
                # Drawn again against the case as it is now: what was typed is kept, and
                # sending it again is a choice made knowing what has happened since.
                cf = case_file(request, reference)
                context.update({"cf": cf, "case": cf.case})
                if spec.kind not in cf.allowed:
                    context["refusal"] = stale.reason
                    audit_record(action="case.view", request=request, disagreement=cf.case)
                    return render(
                        request, "parley/web/cases/action_unavailable.html", context, status=409
                    )
                problems.append(stale.reason)
                form = _fresh(spec, cf, request.POST, request.FILES)
            except Refused as refused:
                problems.append(refused.reason)
            else:
                messages.success(request, spec.done or "Saved")
                return redirect("case_detail", reference=cf.case.reference)
    else:
        if spec.kind not in cf.allowed:
            context["refusal"] = _refusal(spec, cf)
            audit_record(action="case.view", request=request, disagreement=cf.case)
            return render(request, "parley/web/cases/action_unavailable.html", context, status=403)
        form = _fresh(spec, cf)
    audit_record(action="case.view", request=request, disagreement=cf.case)
    context.update({"form": form, "problems": problems, "choices": form.choices})
    return render(request, "parley/web/cases/action.html", context)


def _posted_before(request: HttpRequest, cf: CaseFile) -> HttpResponse | None:
    """A form sent again (a second press, or Back and send): the first result stands."""
    key = str(request.POST.get("submission") or "")
    if not key or not services.submitted(
        services.submission_key("web", cf.person, key), disagreement=cf.case
    ):
        return None
    messages.info(request, "That was saved already: it has not been saved twice.")
    return redirect("case_detail", reference=cf.case.reference)


def _not_now(
    request: HttpRequest, spec: ActionPage, cf: CaseFile, context: dict[str, Any]
) -> HttpResponse:
    """An action sent that this person may not take now: because the case moved on since
    their page was drawn (409), or because it is not theirs (403). Either way, said why."""
    posted = str(request.POST.get("version") or "")
    version = int(posted) if posted.isdigit() else None
    stale = version is not None and version != cf.case.version
    if stale and version is not None and version < len(cf.events):
        since = [selectors.core_event(e) for e in cf.events[version:]]
        stale = engine.moved_on(since)
    if stale:
        context["refusal"] = engine.moved_on_words(cf.procedure, cf.state)
    else:
        context["refusal"] = _refusal(spec, cf)
    audit_record(
        action="case.refused",
        request=request,
        disagreement=cf.case,
        detail={"action": spec.kind.value, "why": "moved-on" if stale else "not-allowed"},
    )
    status = 409 if stale else 403
    return render(request, "parley/web/cases/action_unavailable.html", context, status=status)


def _fresh(spec: ActionPage, cf: CaseFile, data: Any = None, files: Any = None) -> Any:
    """The action's form, drawn against the case's version now, with a new key."""
    initial = {"version": cf.case.version, "submission": uuid.uuid4().hex}
    if data is None:
        return spec.form(initial=initial, choices=_choices_for(spec, cf))
    typed = data.copy()
    typed.update({name: str(value) for name, value in initial.items()})
    return spec.form(typed, files, choices=_choices_for(spec, cf))


def _take(
    spec: ActionPage,
    cf: CaseFile,
    form: forms.ActionForm,
    *,
    request: HttpRequest,
    version: int,
    key: str,
) -> None:
    """Through the one door; the service refuses what the person may not do now."""
    submission = services.submission_key("web", cf.person, key)
    if spec.kind is EventKind.EVIDENCE_ATTACHED:
        upload = form.cleaned_data["file"]
        web_services.evidence_attach(
            disagreement=cf.case,
            person=cf.person,
            upload=upload,
            kind=upload.parley_type,
            description=form.cleaned_data.get("description", ""),
            version=version,
            request_key=submission,
            request=request,
        )
        return
    services.disagreement_act(
        disagreement=cf.case,
        person=cf.person,
        kind=spec.kind,
        version=version,
        request_key=submission,
        request=request,
        via="web",
        **form.fields_for_service(),
    )


# --- evidence downloads -----------------------------------------------------------------


@login_required
@require_safe
def evidence_download(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    cf = case_file(request, reference)
    evidence = EvidenceFile.objects.filter(disagreement=cf.case, token=token).first()
    if evidence is None:
        raise Http404("Page not found")
    path = web_services.evidence_path(evidence)
    if not path.is_file():
        raise Http404("Page not found")
    audit_record(
        action="case.download",
        request=request,
        disagreement=cf.case,
        detail={"file": evidence.original_name, "sha256": evidence.sha256},
    )
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
