"""Procedures, readable: the list, each procedure's ladder and flowchart, and its dates.

Anyone signed in sees their own partnership's current procedures; a procedure is not
sensitive, so Channel procedures are shown to everyone in the partnership too. The dates
are the planner's (:func:`parley.core.planner.plan`), the same as ``parley timeline``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django import forms as django_forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from parley.cases import selectors
from parley.cases.access import has_page, person_of
from parley.cases.models import Partnership, ProcedureVersion
from parley.core import planner
from parley.core.calendar import FIRST_YEAR, LAST_YEAR
from parley.core.procedure import (
    CHOICE_WORDS,
    SETTING_WORDS,
    Cadence,
    Cap,
    Clock,
    ClockKind,
    Debrief,
    EscalationTrigger,
    Form,
    ImmediateRisk,
    NotifyWhen,
    Procedure,
    Scope,
    SignpostKind,
    Source,
    Stage,
    Step,
    StepAnchor,
    Track,
    choices_of,
    condition_words,
)
from parley.core.words import clock, long_date
from parley.govuk_fields import DateField
from parley.web import forms
from parley.web.documents.forms import TEMPLATES
from parley.web.documents.services import OUTCOME_TEMPLATE
from parley.web.documents.wording import SIDE_WORDS, role_list, stage_title
from parley.web.flowchart import flowchart_of, flowchart_sentences, flowchart_svg, route_words

# A date with no time: the start of a working day, as ``parley timeline`` assumes.
RAISED_AT = time(9, 0)
# The calendar covers FIRST_YEAR to LAST_YEAR; a plan runs a few months past the day raised.
LATEST_YEAR = LAST_YEAR - 1

SCOPE_WORDS = {
    Scope.CHILDREN: "Children",
    Scope.ADULTS: "Adults",
    Scope.CHANNEL: "Channel (Prevent)",
}
TRIGGER_WORDS = {
    EscalationTrigger.DEADLINE_PASSED: "the time limit passes with no response",
    EscalationTrigger.RESPONSE_UNSATISFACTORY: "a response is judged unsatisfactory",
    EscalationTrigger.NO_AGREEMENT: "there is no agreement",
}
SIGNPOST_WORDS = {
    SignpostKind.CONDUCT_COMPLAINT: "A complaint about a worker's conduct",
    SignpostKind.ALLEGATION_AGAINST_STAFF: "An allegation against someone who works with "
    "children or adults",
    SignpostKind.WHISTLEBLOWING: "Whistleblowing",
    SignpostKind.SINGLE_AGENCY: "A disagreement inside one agency",
    SignpostKind.SYSTEM_ISSUE: "A problem with a policy, procedure or system",
}
NOTIFY_WORDS = {
    NotifyWhen.RAISED: "when a disagreement is raised",
    NotifyWhen.ENTRY: "when a disagreement reaches this stage",
    NotifyWhen.OUTCOME: "when it is resolved",
    NotifyWhen.ESCALATED: "when it moves up from this stage",
    NotifyWhen.CLOSED: "when it is closed",
    NotifyWhen.EVERY_STAGE: "at every stage",
}
CADENCE_WORDS = {
    Cadence.MONTHLY: "Every month",
    Cadence.QUARTERLY: "Every quarter",
    Cadence.BI_ANNUAL: "Twice a year",
    Cadence.ANNUAL: "Every year",
}
DEBRIEF_WORDS = {
    Debrief.NONE: "No debrief.",
    Debrief.OPTIONAL: "A debrief for the people involved is optional.",
    Debrief.REQUIRED: "A debrief for the people involved is required.",
}


# --- finding the procedures -----------------------------------------------------------------


def _partnership(request: HttpRequest) -> Partnership | None:
    person = person_of(request)
    return person.partnership if person is not None else None


def procedures_current(*, partnership: Partnership | None) -> list[ProcedureVersion]:
    if partnership is None:
        return []
    return list(ProcedureVersion.objects.filter(partnership=partnership, is_current=True))


def _procedure_or_404(request: HttpRequest, procedure_id: str) -> tuple[Partnership, Procedure]:
    partnership = _partnership(request)
    version = (
        ProcedureVersion.objects.filter(
            partnership=partnership, procedure_id=procedure_id, is_current=True
        ).first()
        if partnership is not None
        else None
    )
    if partnership is None or version is None:
        raise Http404("Page not found")
    return partnership, selectors.procedure_of(version)


# --- the list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcedureRow:
    id: str
    name: str
    partnership: str
    version: str
    scope: str


@require_safe
@login_required
def procedure_list(request: HttpRequest) -> HttpResponse:
    rows = []
    for version in procedures_current(partnership=_partnership(request)):
        procedure = selectors.procedure_of(version)
        rows.append(
            ProcedureRow(
                id=procedure.id,
                name=procedure.name,
                partnership=procedure.partnership,
                version=procedure.version,
                scope=", ".join(SCOPE_WORDS[s] for s in Scope if s in procedure.scope),
            )
        )
    rows.sort(key=lambda row: row.name.lower())
    # The roles table's "procedures" column: who publishes the partnership's procedures.
    can_publish = has_page(person_of(request), "procedures")
    return render(
        request,
        "parley/web/procedures/list.html",
        {"procedures": rows, "can_publish": can_publish},
    )


# --- one procedure, readable ---------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    name: str
    who: str
    limit: str
    notes: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class StageView:
    id: str
    name: str
    title: str
    informal: bool
    description: str
    raising: str
    other: str
    kept_informed: str
    limit: str
    cumulative: str
    steps: tuple[StepView, ...]
    moves_up_when: str
    resolution: tuple[str, ...]
    forms: tuple[str, ...]
    notify: tuple[str, ...]
    next_title: str
    source: str


@dataclass(frozen=True)
class TrackView:
    name: str
    starts_at: str
    description: str
    stages: tuple[StageView, ...]
    caps: tuple[str, ...]


def _cite(source: Source) -> str:
    """The line under a rule: its passage, or that it is Parley's choice and why."""
    if source.chosen():
        return source.shown()
    return f"Source: {source.cite}" if source.cite else ""


def _setting_choices(source: Source) -> list[str]:
    """The settings of a rule that are Parley's choice, as one line, or none."""
    if source.choice is None or not source.choice.settings:
        return []
    names = [SETTING_WORDS.get(s, s.replace("_", " ")) for s in source.choice.settings]
    settings = " and ".join(filter(None, (", ".join(names[:-1]), names[-1])))
    return [f"{_cap_first(settings)}: {source.choice_words(source.choice.settings[0])}"]


def _cap_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _step_view(procedure: Procedure, stage: Stage, step: Step) -> StepView:
    if not step.within.is_limited:
        limit = "No fixed time limit"
    elif step.anchor is StepAnchor.STAGE_START or step is stage.steps[0]:
        limit = f"{_cap_first(step.within.describe())} from the start of the stage"
    elif step.anchor_event:
        limit = f"{_cap_first(step.within.describe())} after {step.anchor_event.replace('-', ' ')}"
    else:
        limit = f"{_cap_first(step.within.describe())} after the step before"
    notes = []
    if step.only_if_agreed:
        notes.append("Only when they have agreed.")
    if step.advisory:
        notes.append("A reminder, not a binding time limit.")
    if step.form:
        with contextlib.suppress(KeyError):  # the loader checks forms; belt and braces
            notes.append(f"Uses the {procedure.form(step.form).name}.")
    return StepView(step.name, SIDE_WORDS[step.by], limit, tuple(notes), _cite(step.source))


def _stage_view(procedure: Procedure, track: Track, stage: Stage) -> StageView:
    triggers = [TRIGGER_WORDS[t] for t in EscalationTrigger if t in stage.escalate_when]
    moves_up = ""
    if stage.next is not None and triggers:
        moves_up = "It moves up when " + " or ".join(triggers) + "."
    resolution = tuple(
        " ".join(
            part
            for part in (
                m.description,
                f"Chaired by: {procedure.role_label(m.chaired_by)}." if m.chaired_by else "",
                f"Convened within {m.convene_within.describe()}."
                if m.convene_within.is_limited
                else "",
                f"Decided within {m.decide_within.describe()}."
                if m.decide_within.is_limited
                else "",
                "The decision is binding." if m.binding else "",
            )
            if part
        )
        for m in stage.resolution
    )
    forms_used = []
    for form_id in stage.forms:
        try:
            forms_used.append(procedure.form(form_id).name)
        except KeyError:
            forms_used.append(form_id)
    notify = tuple(
        f"{procedure.role_label(n.who)}, {NOTIFY_WORDS[n.when]}"
        + (f", {condition_words(procedure, n.only_if)}" if n.only_if else "")
        + (f": {n.why}" if n.why else "")
        for n in stage.notify
    )
    next_stage = track.stage(stage.next) if stage.next else None
    routes = route_words(procedure, track, stage)
    return StageView(
        id=stage.id,
        name=stage.name,
        title=stage_title(stage.number, stage.name, informal=stage.informal),
        informal=stage.informal,
        description=stage.description,
        raising=role_list(procedure, stage.raising_side),
        other=role_list(procedure, stage.other_side),
        kept_informed=role_list(procedure, stage.kept_informed),
        limit=_cap_first(stage.within.describe())
        if stage.within.is_limited
        else "No fixed time limit",
        cumulative=stage.cumulative.describe() if stage.cumulative else "",
        steps=tuple(_step_view(procedure, stage, step) for step in stage.steps),
        moves_up_when=moves_up,
        resolution=resolution,
        forms=tuple(forms_used),
        notify=notify,
        next_title="; ".join(routes)
        if routes
        else stage_title(next_stage.number, next_stage.name, informal=next_stage.informal)
        if next_stage
        else "",
        source=_cite(stage.source),
    )


def _member_title(track: Track, titles: dict[str, str], member: str) -> str:
    """A cap's member in words: a stage's title, or a step's name and its stage's."""
    stage_id, _, step_id = member.partition(".")
    if not step_id:
        return titles.get(member, member)
    step = next((s for s in track.stage(stage_id).steps if s.id == step_id), None)
    return f"“{step.name if step else step_id}” ({titles.get(stage_id, stage_id)})"


def _track_view(procedure: Procedure, track: Track) -> TrackView:
    stages = tuple(_stage_view(procedure, track, s) for s in track.stages)
    titles = {s.id: s.title for s in stages}
    caps = tuple(
        f"{_cap_first(cap.within.describe())} across "
        + ", ".join(_member_title(track, titles, s) for s in cap.stages)
        + (" (a guide, not a binding limit)" if cap.advisory else "")
        for cap in track.caps
    )
    first = track.first_stage()
    starts_at = stage_title(first.number, first.name, informal=first.informal)
    return TrackView(track.name, starts_at, track.description, stages, caps)


def _risk_view(procedure: Procedure) -> dict[str, Any] | None:
    """The immediate-risk route in words, or None where the procedure has none."""
    risk = procedure.immediate_risk
    if risk is None:
        return None
    track = procedure.track()
    if risk.raiser_chooses:
        options = [track.stage(s) for s in risk.allowed_starts if track.has_stage(s)]
        start = "at the stage the person raising it judges right" + (
            ": " + "; ".join(stage_title(s.number, s.name, informal=s.informal) for s in options)
            if options
            else ""
        )
    elif track.has_stage(risk.start):
        stage = track.stage(risk.start)
        start = "at " + stage_title(stage.number, stage.name, informal=stage.informal)
    else:
        start = "at " + risk.start
    return {
        "limit": risk.within.describe(),
        "start": start,
        "guidance": risk.guidance,
        "notify": role_list(procedure, risk.notify),
        "source": _cite(risk.source),
        "choices": _setting_choices(risk.source),
    }


def _form_when(procedure: Procedure, form: Form) -> str:
    where = ""
    if form.from_stage:
        try:
            stage = procedure.track().stage(form.from_stage)
            where = stage_title(stage.number, stage.name, informal=stage.informal)
        except KeyError:
            where = form.from_stage
    if form.when == "resolved-at":
        return (
            f"When a disagreement is resolved at {where}"
            if where
            else ("When a disagreement is resolved")
        )
    return f"From {where}" if where else "At any stage"


def _forms_view(procedure: Procedure) -> list[dict[str, Any]]:
    """The forms the procedure sends, and when; the outcome letter where it asks for one."""
    outcome = procedure.outcome
    forms_view = [
        {
            "name": form.name,
            "when": _form_when(procedure, form),
            "within": form.within.describe() if form.within.is_limited else "",
            "send_to": role_list(procedure, form.send_to),
            "template": TEMPLATES[form.template].title if form.template in TEMPLATES else "",
            "source": _cite(form.source),
            "choices": _setting_choices(form.source),
        }
        for form in procedure.forms
    ]
    if outcome.written_confirmation and all(
        form.template != OUTCOME_TEMPLATE for form in procedure.forms
    ):
        # Offered for every resolved disagreement all the same (documents.services).
        forms_view.append(
            {
                "name": TEMPLATES[OUTCOME_TEMPLATE].title,
                "when": "When a disagreement is resolved",
                "within": "",
                "send_to": "",
                "template": TEMPLATES[OUTCOME_TEMPLATE].title,
                "source": outcome.source.choice_words("written_confirmation")
                or _cite(outcome.source),
                "choices": [],
            }
        )
    return forms_view


def _outcome_view(procedure: Procedure) -> dict[str, Any]:
    outcome = procedure.outcome
    return {
        "written": outcome.written_confirmation,
        "outstanding": outcome.outstanding_issues,
        "feedback": f"The person who raised it is told by {outcome.feedback_by}, "
        f"{NOTIFY_WORDS[outcome.feedback_to_raiser]}."
        if outcome.feedback_to_raiser is not None
        else "The person who raised it is not told as a step of the procedure.",
        "debrief": DEBRIEF_WORDS[outcome.debrief],
        "learning_to": outcome.learning_to,
        "records_kept_by": outcome.records_kept_by,
        "source": _cite(outcome.source),
        "choices": _setting_choices(outcome.source),
    }


def procedure_context(procedure: Procedure) -> dict[str, Any]:
    """Everything the procedure page shows, in words."""
    bypass = procedure.bypass
    chart = flowchart_of(procedure)
    return {
        "procedure": procedure,
        "scope": ", ".join(SCOPE_WORDS[s] for s in Scope if s in procedure.scope),
        "tracks": [_track_view(procedure, t) for t in procedure.tracks],
        "overall": procedure.overall.describe() if procedure.overall.is_limited else "",
        "informal": [
            _stage_view(procedure, t, t.stages[0]) for t in procedure.tracks if t.stages[0].informal
        ],
        "risk": _risk_view(procedure),
        "bypass": {
            "allowed": bypass.allowed,
            "by": role_list(procedure, bypass.by),
            "reason_required": bypass.reason_required,
            "source": _cite(bypass.source),
            "choices": _setting_choices(bypass.source),
        },
        "on_behalf": {
            "allowed": procedure.on_behalf.allowed,
            "by": role_list(procedure, procedure.on_behalf.by),
            "source": _cite(procedure.on_behalf.source),
        },
        "outcome": _outcome_view(procedure),
        "forms": _forms_view(procedure),
        "notify": [
            f"{procedure.role_label(n.who)}, {NOTIFY_WORDS[n.when]}"
            + (f": {n.why}" if n.why else "")
            for n in procedure.notify
        ],
        "reporting": [
            {
                "cadence": CADENCE_WORDS[r.cadence],
                "to": r.to,
                "by": procedure.role_label(r.by) if r.by else "",
                "includes": r.includes,
                "source": _cite(r.source),
            }
            for r in procedure.reporting
        ],
        "signposting": [
            {
                "kind": SIGNPOST_WORDS[s.kind],
                "advice": s.advice,
                "contact": s.contact,
                "source": _cite(s.source),
            }
            for s in procedure.signposting
        ],
        "contacts": procedure.contacts,
        "choices": [
            {"what": what, "reason": source.choice.reason.strip() if source.choice else ""}
            for what, source in choices_of(procedure)
        ],
        # Not "flowchart": that is the id of the heading the contents link to.
        "flowchart_svg": mark_safe(  # noqa: S308 - every text is escaped
            flowchart_svg(chart, element_id="flowchart-picture")
        ),
        "flowchart_sentences": flowchart_sentences(chart),
    }


@require_safe
@login_required
def procedure_detail(request: HttpRequest, procedure_id: str) -> HttpResponse:
    _, procedure = _procedure_or_404(request, procedure_id)
    context = procedure_context(procedure)
    zone = ZoneInfo(procedure.calendar.timezone)
    context["form"] = DatesForm(procedure=procedure, today=timezone.localdate(timezone=zone))
    return render(request, "parley/web/procedures/detail.html", context)


@require_safe
@login_required
def procedure_flowchart(request: HttpRequest, procedure_id: str) -> HttpResponse:
    _, procedure = _procedure_or_404(request, procedure_id)
    svg = '<?xml version="1.0" encoding="UTF-8"?>\n' + flowchart_svg(flowchart_of(procedure))
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    # The picture is drawn from the procedure alone; nothing in it is about a case.
    response["Content-Disposition"] = f'inline; filename="{procedure.id}-flowchart.svg"'
    return response


# --- "if raised today" ---------------------------------------------------------------------


def immediate_starts(risk: ImmediateRisk, track: Track) -> tuple[str, ...]:
    """The stages of ``track`` the immediate-risk route may start at."""
    if risk.raiser_chooses:
        options = risk.allowed_starts or tuple(s.id for s in track.stages)
        return tuple(s.id for s in track.stages if s.id in options)
    return (risk.start,) if track.has_stage(risk.start) else ()


class RaisedDateField(DateField):
    def clean(self, value: Any) -> date | None:
        try:
            return super().clean(value)
        except OverflowError:
            # A day, month or year too big for a computer's date (e.g. 20 nines).
            self.parts_in_error = ("day", "month", "year")
            raise django_forms.ValidationError(
                f"{self.what[0].upper()}{self.what[1:]} must be a real date"
            ) from None


class DatesForm(django_forms.Form):
    """The calculator's question: when is it raised, and by which route."""

    raised = RaisedDateField(
        what="the date raised",
        label="When is the disagreement raised?",
        help_text="For example, 21 12 2026. Dates are worked out as if it is raised at 9am.",
    )

    def __init__(self, *args: Any, procedure: Procedure, today: date, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"raised": today})
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        risk = procedure.immediate_risk
        if len(procedure.tracks) > 1:
            self.fields["track"] = forms.radios(
                [(t.id, t.name) for t in procedure.tracks],
                required_message="Select the kind of disagreement",
                label="What kind of disagreement is it?",
            )
        chosen = self.data.get("track")
        track = procedure.track(chosen if chosen in {t.id for t in procedure.tracks} else None)
        self.chosen_track = track
        self.show_informal = any(t.stages[0].informal for t in procedure.tracks)
        self.show_risk = risk is not None
        self.route_fields = self._route_fields(procedure)
        if risk is not None and risk.raiser_chooses:
            options = immediate_starts(risk, track)
            choices = [
                (s.id, stage_title(s.number, s.name, informal=s.informal))
                for s in track.stages
                if s.id in options
            ]
            self.fields["start_stage"] = forms.radios(
                choices,
                required_message="Select the stage the immediate-risk route starts at",
                label="Which stage does it start at?",
                help_text=f"{procedure.name} leaves this to the person raising it.",
                required=False,
            )

    def _route_fields(self, procedure: Procedure) -> list[str]:
        """A question for each answer that chooses a way up (a stage's ``next`` by the
        raiser's answers): the dates follow the way the answer given takes."""
        asked = dict.fromkeys(
            question_id
            for track in procedure.tracks
            for stage in track.stages
            for branch in stage.branches
            for question_id, _ in branch.when
        )
        names = []
        for question in procedure.questions:
            if question.id not in asked:
                continue
            options = [(o.id, o.label) for o in question.options] or [("yes", "Yes"), ("no", "No")]
            name = f"answer-{question.id}"
            self.fields[name] = forms.radios(
                options,
                required_message=f"Select an answer to “{question.text}”",
                label=question.text,
                help_text="The answer chooses the way up. Leave it for the way a case goes "
                "when it is not answered.",
                required=False,
            )
            names.append(name)
        return names

    def answers(self) -> dict[str, str]:
        """The answers given to the questions that choose a way up."""
        return {
            name.removeprefix("answer-"): str(self.cleaned_data[name])
            for name in self.route_fields
            if self.cleaned_data.get(name)
        }

    def clean_raised(self) -> date:
        raised: date = self.cleaned_data["raised"]
        if not FIRST_YEAR <= raised.year <= LATEST_YEAR:
            raise django_forms.ValidationError(
                f"The date raised must be between 1 January {FIRST_YEAR} and "
                f"31 December {LATEST_YEAR}"
            )
        return raised

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["immediate_risk"] = self.show_risk and self.data.get("immediate_risk") == "yes"
        cleaned["informal"] = self.show_informal and self.data.get("informal") == "yes"
        if (
            cleaned["immediate_risk"]
            and "start_stage" in self.fields
            and not cleaned.get("start_stage")
        ):
            self.add_error("start_stage", "Select the stage the immediate-risk route starts at")
        risk = self.procedure.immediate_risk
        if (
            cleaned["immediate_risk"]
            and risk is not None
            and not immediate_starts(risk, self.chosen_track)
        ):
            self.add_error(
                None,
                f"The immediate-risk route of {self.procedure.name} does not start anywhere in "
                f"{self.chosen_track.name}: untick it, or choose another kind of disagreement",
            )
        if cleaned["immediate_risk"] and cleaned["informal"]:
            self.add_error(
                None,
                "Choose the immediate-risk route or the informal stage, not both: someone at "
                "immediate risk is not left to an informal discussion",
            )
        return cleaned


@dataclass(frozen=True)
class DueView:
    label: str
    who: str
    day: str
    time: str
    explanation: str
    advisory: bool
    choice: str = ""  # where the limit is Parley's choice: the document does not say


@dataclass(frozen=True)
class PlannedStageView:
    title: str
    limit: str
    dated: bool
    deadlines: tuple[DueView, ...]
    ends: str
    cumulative: str


def _due_view(deadline: planner.Deadline, zone: ZoneInfo) -> DueView:
    local = deadline.due.astimezone(zone)
    # Working-day limits run to the end of a day: the date is the answer. Limits in hours
    # (and "the same working day") end at a time, which is then part of the answer.
    timed = isinstance(deadline.explanation.result, datetime)
    return DueView(
        label=deadline.label,
        who=SIDE_WORDS[deadline.by],
        day=long_date(local.date(), weekday=True),
        time=clock(local) if timed else "",
        explanation=deadline.explanation.sentence(),
        advisory=deadline.advisory,
        choice=deadline.source if deadline.source.startswith(CHOICE_WORDS) else "",
    )


def _limit_words(track: Track, stage: Stage) -> str:
    """A stage's limit in words, with the caps that bound it (the dates keep to them)."""
    words = (
        _cap_first(stage.within.describe()) if stage.within.is_limited else "No fixed time limit"
    )
    if stage.clock is not None and stage.within.is_limited:
        words += f", counted from {_clock_words(track, stage.clock)}"
    bounds = [
        f"{cap.within.describe()} across {_across_words(track, cap)}"
        for cap in track.caps
        if cap.covers(stage.id) and not cap.advisory
    ]
    return words + (f", within {' and '.join(bounds)}" if bounds else "")


def _across_words(track: Track, cap: Cap) -> str:
    numbers = [str(track.stage(s).number) for s in cap.stage_ids]
    if len(numbers) == 1:
        return f"stage {numbers[0]}"
    return f"stages {', '.join(numbers[:-1])} and {numbers[-1]}"


def _clock_words(track: Track, after: Clock) -> str:
    if after.kind is ClockKind.CAP:
        cap = next((c for c in track.caps if c.id == after.ref), None)
        return f"the end of the limit across {_across_words(track, cap)}" if cap else str(after)
    if after.kind is ClockKind.ANSWER:
        return "the date given when it was raised"
    return f"“{after.ref}”"


def plan_view(the_plan: planner.Plan) -> dict[str, Any]:
    zone = ZoneInfo(the_plan.procedure.calendar.timezone)
    stages = []
    for planned in the_plan.stages:
        stage = planned.stage
        steps = tuple(_due_view(d, zone) for d in planned.deadlines if d.kind.value == "step")
        ends = ""
        if planned.ends_at is not None:
            ends = long_date(planned.ends_at.astimezone(zone).date(), weekday=True)
        stages.append(
            PlannedStageView(
                title=stage_title(stage.number, stage.name, informal=stage.informal),
                limit=_limit_words(the_plan.track, stage),
                dated=planned.entered_at is not None,
                deadlines=steps,
                ends=ends,
                cumulative=(
                    f"{planned.cumulative_working_days} working day"
                    f"{'' if planned.cumulative_working_days == 1 else 's'}"
                    if planned.cumulative_working_days is not None
                    else ""
                ),
            )
        )
    raised = the_plan.raised_at.astimezone(zone)
    return {
        "raised": f"{clock(raised)} on {long_date(raised.date(), weekday=True)}",
        "immediate_risk": the_plan.immediate_risk,
        "track": the_plan.track.name if len(the_plan.procedure.tracks) > 1 else "",
        "stages": stages,
        "overall": _due_view(the_plan.overall, zone) if the_plan.overall else None,
    }


@require_safe
@login_required
def procedure_dates(request: HttpRequest, procedure_id: str) -> HttpResponse:
    partnership, procedure = _procedure_or_404(request, procedure_id)
    zone = ZoneInfo(procedure.calendar.timezone)
    today = timezone.localdate(timezone=zone)
    asked = any(key.startswith("raised") for key in request.GET)
    form = DatesForm(request.GET if asked else None, procedure=procedure, today=today)
    context: dict[str, Any] = {"procedure": procedure, "form": form, "plan": None}
    if not asked or form.is_valid():
        data = form.cleaned_data if asked else {"raised": today}
        informal = bool(data.get("informal"))
        track = procedure.track(data.get("track") or None)
        start = data.get("start_stage") or (track.stages[0].id if informal else None)
        raised_at = datetime.combine(data["raised"], RAISED_AT, tzinfo=zone)
        the_plan = planner.plan(
            procedure,
            selectors.calendar_of(partnership, procedure),
            raised_at,
            track=track.id,
            immediate_risk=bool(data.get("immediate_risk")),
            start_stage=start if (data.get("immediate_risk") or informal) else None,
            answers=form.answers() if asked else None,
        )
        context["plan"] = plan_view(the_plan)
    return render(request, "parley/web/procedures/dates.html", context)
