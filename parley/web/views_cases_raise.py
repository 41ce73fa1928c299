"""Raising a disagreement: question pages, one thing per page, then "Check your answers".

The pages are a table (:data:`STEPS`): each has its form, a rule saying whether it applies
given the answers so far, and, for the triage, a rule for leaving the journey. Answers are
kept in the session as typed and checked again whenever they are used, so an answer that
an earlier change has made wrong (a category of another procedure) is asked again.

A journey carries a random ``request_key``: submitting "Check your answers" twice (a
double click, the back button) gives back the disagreement the first submission raised.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property, wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from parley.cases import access, selectors, services
from parley.cases.access import person_of
from parley.cases.models import Agency, Person, ProcedureVersion
from parley.core.engine import Refused
from parley.core.procedure import Procedure, SignpostKind, Stage, Track
from parley.govuk_fields import DateField
from parley.notifications.selectors import notifications_waiting_for_case
from parley.web import forms
from parley.web.views_cases import not_set_up, stage_words

SESSION_KEY = "parley.raise"
# The pages asking the procedure's own questions are "question-<question id>".
QUESTION_PREFIX = "question-"

# The person's details each document template needs, beyond a name and a reference
# (TWSP Appendix 3 asks for all of them; Wirral's proformas give the child's age).
SUBJECT_FIELDS_FOR_FORM: dict[str, tuple[str, ...]] = {
    "twsp-referral": ("subject_date_of_birth", "subject_nhs_number", "subject_gp"),
    "wirral-resolved-stage-2": ("subject_date_of_birth",),
    "wirral-resolved-stage-3": ("subject_date_of_birth",),
}
ALWAYS_ASKED = ("subject_name", "subject_client_reference")
# The templates that print the raiser's team beside their agency (TWSP Appendix 3,
# "Agency/Team"): the journey asks for the team only where the procedure uses one.
TEAM_FOR_FORM = frozenset({"twsp-referral"})


class Journey:
    """One person's answers so far, and what follows from them."""

    def __init__(self, request: HttpRequest, person: Person) -> None:
        self.request = request
        self.person = person
        self.now = timezone.now()
        self.today: date = timezone.localdate(self.now)
        stored = request.session.get(SESSION_KEY)
        self.stored: dict[str, Any] = stored if isinstance(stored, dict) else {}
        self._forms: dict[str, forms.JourneyForm] = {}

    # --- the session -------------------------------------------------------------------

    @classmethod
    def start(cls, request: HttpRequest) -> None:
        request.session[SESSION_KEY] = {"key": secrets.token_hex(16), "answers": {}}

    @property
    def key(self) -> str:
        return str(self.stored.get("key") or "")

    @property
    def answers(self) -> dict[str, dict[str, str]]:
        return self.stored.setdefault("answers", {})

    @property
    def raised(self) -> str:
        return str(self.stored.get("raised") or "")

    def save_answer(self, step: Step, data: dict[str, str]) -> None:
        if not self.key:
            self.stored["key"] = secrets.token_hex(16)
        self.answers[step.slug] = data
        self.request.session[SESSION_KEY] = self.stored
        self._forms.clear()
        self.__dict__.pop("procedure_version", None)

    def mark_raised(self, reference: str) -> None:
        self.request.session[SESSION_KEY] = {"key": self.key, "answers": {}, "raised": reference}

    # --- answers, checked --------------------------------------------------------------

    def form(self, step: Step) -> forms.JourneyForm:
        """The step's form bound to the stored answer (valid or not)."""
        if step.slug not in self._forms:
            self._forms[step.slug] = step.form(data=self.answers.get(step.slug), journey=self)
        return self._forms[step.slug]

    def value(self, slug: str, name: str) -> Any:
        step = STEP_BY_SLUG.get(slug) or self.step(slug)
        if step is None:
            return None
        if slug not in self.answers or not step.applies(self):
            return None
        form = self.form(step)
        return form.cleaned_data.get(name) if form.is_valid() else None

    def complete(self, step: Step) -> bool:
        return step.slug in self.answers and self.form(step).is_valid()

    def applicable(self) -> list[Step]:
        return [step for step in self.steps if step.applies(self)]

    @property
    def steps(self) -> tuple[Step, ...]:
        """The pages: the table's, with a page for each of the procedure's own questions
        before the summary."""
        procedure = self.procedure
        if procedure is None or not procedure.questions:
            return STEPS
        asked = tuple(
            Step(f"{QUESTION_PREFIX}{q.id}", forms.question_form(q.id)) for q in procedure.questions
        )
        at = next(i for i, step in enumerate(STEPS) if step.slug == "summary")
        return (*STEPS[:at], *asked, *STEPS[at:])

    def step(self, slug: str) -> Step | None:
        return next((step for step in self.steps if step.slug == slug), None)

    def question_answers(self) -> dict[str, str]:
        """The answers to the procedure's questions, as the core keeps them."""
        answers = {}
        for step in self.applicable():
            if step.slug.startswith(QUESTION_PREFIX) and self.complete(step):
                form = self.form(step)
                assert isinstance(form, forms.QuestionForm)
                if form.answer():
                    answers[form.question_id] = form.answer()
        return answers

    def first_incomplete(self) -> Step | None:
        for step in self.applicable():
            if not self.complete(step):
                return step
        return None

    def exit_url(self) -> str | None:
        """Where the triage sends this person instead, if it does."""
        for step in self.applicable():
            if not self.complete(step):
                return None
            url = step.leave(self)
            if url:
                return url
        return None

    # --- what the answers mean ---------------------------------------------------------

    @cached_property
    def versions(self) -> list[ProcedureVersion]:
        return list(
            selectors.procedure_versions_to_raise_under(
                partnership_id=self.person.partnership_id
            ).order_by("name")
        )

    def procedure_hint(self, version: ProcedureVersion) -> str:
        procedure = selectors.procedure_of(version)
        return f"{procedure.partnership}. {procedure.summary}".strip()

    @cached_property
    def procedure_version(self) -> ProcedureVersion | None:
        if len(self.versions) == 1:
            return self.versions[0]
        chosen = self.answers.get("procedure", {}).get("procedure")
        return next((v for v in self.versions if v.procedure_id == chosen), None)

    @property
    def procedure(self) -> Procedure | None:
        version = self.procedure_version
        return selectors.procedure_of(version) if version else None

    @property
    def track(self) -> Track | None:
        procedure = self.procedure
        if procedure is None:
            return None
        chosen = self.value("route", "track") if len(procedure.tracks) > 1 else None
        try:
            return procedure.track(chosen)
        except KeyError:
            return procedure.track()

    @property
    def at_risk(self) -> bool:
        return self.value("immediate-risk", "at_risk") == "yes"

    def stage_words(self, stage: Stage) -> str:
        return stage_words(stage)

    @property
    def immediate_start_choices(self) -> list[tuple[str, str]]:
        procedure, track = self.procedure, self.track
        if procedure is None or track is None or procedure.immediate_risk is None:
            return []
        risk = procedure.immediate_risk
        if not risk.raiser_chooses:
            return []
        allowed = risk.allowed_starts or tuple(s.id for s in track.stages)
        return [(s.id, self.stage_words(s)) for s in track.stages if s.id in allowed]

    @property
    def immediate_start(self) -> Stage | None:
        procedure, track = self.procedure, self.track
        if procedure is None or track is None or procedure.immediate_risk is None:
            return None
        risk = procedure.immediate_risk
        chosen = self.value("immediate-risk-route", "start_stage") if risk.raiser_chooses else None
        stage_id = chosen or (None if risk.raiser_chooses else risk.start)
        return track.stage(stage_id) if stage_id and track.has_stage(stage_id) else None

    @property
    def route_start_words(self) -> str:
        stage = self.immediate_start
        return self.stage_words(stage) if stage else ""

    @property
    def route_words(self) -> str:
        stage = self.immediate_start
        where = f", starting at {self.stage_words(stage)}" if stage else ""
        return f"Immediate risk: escalated the same working day{where}"

    @property
    def has_informal_stage(self) -> bool:
        track = self.track
        return bool(track and track.stages[0].informal and any(track.formal_stages()))

    @property
    def informal_and_formal_stages(self) -> tuple[Stage, Stage]:
        track = self.track
        assert track is not None
        return track.stages[0], track.first_stage()

    @cached_property
    def own_agencies(self) -> list[Agency]:
        return list(Agency.objects.filter(roles__person=self.person).distinct().order_by("name"))

    @cached_property
    def partnership_agencies(self) -> list[Agency]:
        return list(Agency.objects.filter(partnership_id=self.person.partnership_id))

    @property
    def own_agency_choices(self) -> list[Agency]:
        # Someone who holds only partnership-wide roles (a Channel chair) raises it for
        # whichever agency they act for.
        return self.own_agencies or self.partnership_agencies

    @property
    def raising_agency(self) -> Agency | None:
        choices = self.own_agency_choices
        if len(choices) == 1:
            return choices[0]
        chosen = self.value("your-agency", "agency")
        return next((a for a in choices if str(a.pk) == chosen), None)

    @property
    def other_agency_choices(self) -> list[Agency]:
        mine = self.raising_agency
        # The partnership's business unit keeps the procedure; it is not a party to
        # disagree with (the door refuses it too).
        return [
            a
            for a in self.partnership_agencies
            if (mine is None or a.pk != mine.pk) and a.kind != Agency.Kind.PARTNERSHIP
        ]

    @property
    def other_agency(self) -> Agency | None:
        chosen = self.value("other-agency", "agency")
        return next((a for a in self.other_agency_choices if str(a.pk) == chosen), None)

    @cached_property
    def _people_by_agency(self) -> dict[int, list[Person]]:
        people: dict[int, list[Person]] = {}
        rows = Person.objects.filter(
            partnership_id=self.person.partnership_id, roles__agency__isnull=False
        ).values_list("roles__agency_id", "pk")
        by_pk = {p.pk: p for p in Person.objects.filter(partnership_id=self.person.partnership_id)}
        for agency_id, person_pk in rows:
            bucket = people.setdefault(agency_id, [])
            if by_pk[person_pk] not in bucket:
                bucket.append(by_pk[person_pk])
        return people

    @property
    def other_agency_people(self) -> list[Person]:
        agency = self.other_agency
        if agency is None:
            return []
        people = self._people_by_agency.get(agency.pk, [])
        return sorted((p for p in people if p.pk != self.person.pk), key=lambda p: p.name)

    @property
    def needs_team(self) -> bool:
        procedure = self.procedure
        return procedure is not None and any(f.template in TEAM_FOR_FORM for f in procedure.forms)

    @property
    def subject_fields(self) -> tuple[str, ...]:
        procedure = self.procedure
        wanted = list(ALWAYS_ASKED)
        for form in procedure.forms if procedure else ():
            for name in SUBJECT_FIELDS_FOR_FORM.get(form.template, ()):
                if name not in wanted:
                    wanted.append(name)
        order = list(forms.PersonForm.base_fields)
        return tuple(sorted(wanted, key=order.index))

    @property
    def may_raise_on_behalf(self) -> bool:
        procedure = self.procedure
        if procedure is None or not procedure.on_behalf.allowed:
            return False
        if not procedure.on_behalf.by:
            return True
        roles = set(self.person.roles.values_list("role", flat=True))
        return bool(roles & set(procedure.on_behalf.by))

    @property
    def about(self) -> str:
        return str(self.value("about", "about") or "")


# --- the steps, as data -----------------------------------------------------------------


def _always(journey: Journey) -> bool:
    return True


def _stay(journey: Journey) -> str | None:
    return None


def _signposted(journey: Journey) -> str | None:
    about = journey.about
    if about and about != forms.NOT_SIGNPOSTED:
        return reverse("raise_signpost", kwargs={"kind": about})
    return None


@dataclass(frozen=True)
class Step:
    slug: str
    form: type[forms.JourneyForm]
    title: str = ""  # the page heading where a page asks more than one thing
    applies: Callable[[Journey], bool] = _always
    leave: Callable[[Journey], str | None] = _stay


STEPS: tuple[Step, ...] = (
    Step("immediate-risk", forms.ImmediateRiskForm),
    Step("about", forms.AboutForm, leave=_signposted),
    Step("procedure", forms.ProcedureForm, applies=lambda j: len(j.versions) > 1),
    Step(
        "route",
        forms.RouteForm,
        applies=lambda j: j.procedure is not None and len(j.procedure.tracks) > 1,
    ),
    Step(
        "immediate-risk-route",
        forms.RiskRouteForm,
        title="Someone is at immediate risk: escalate it today",
        applies=lambda j: j.at_risk and j.procedure is not None,
    ),
    Step("start", forms.StartForm, applies=lambda j: not j.at_risk and j.has_informal_stage),
    Step("your-agency", forms.YourAgencyForm, applies=lambda j: len(j.own_agency_choices) > 1),
    Step("your-team", forms.YourTeamForm, applies=lambda j: j.needs_team),
    Step("on-behalf", forms.OnBehalfForm, applies=lambda j: j.may_raise_on_behalf),
    Step("person", forms.PersonForm, title="Who is the disagreement about?"),
    Step("other-agency", forms.OtherAgencyForm),
    Step("other-professional", forms.OtherProfessionalForm),
    Step(
        "category",
        forms.CategoryForm,
        applies=lambda j: j.procedure is not None and bool(j.procedure.categories),
    ),
    Step("summary", forms.SummaryForm),
    Step("evidence", forms.EvidenceForm),
    Step("outcome", forms.OutcomeForm),
)
STEP_BY_SLUG = {step.slug: step for step in STEPS}


def _step_url(step: Step | None) -> str:
    if step is None:
        return reverse("raise_check")
    return reverse("raise_step", kwargs={"slug": step.slug})


def _previous_url(journey: Journey, step: Step) -> str:
    before = None
    for candidate in journey.applicable():
        if candidate.slug == step.slug:
            break
        before = candidate
    return _step_url(before) if before else reverse("raise_start")


def _initial(form: forms.JourneyForm, stored: dict[str, str] | None) -> dict[str, Any]:
    """A stored answer as a form's initial values, so a page shows it without errors."""
    initial: dict[str, Any] = {}
    for name, field in form.fields.items():
        if isinstance(field, DateField):
            initial[name] = [
                (stored or {}).get(f"{name}_{p}", "") for p in ("day", "month", "year")
            ]
        elif stored and name in stored:
            initial[name] = stored[name]
    return initial


def _typed(form: forms.JourneyForm, post: Any) -> dict[str, str]:
    """What was typed for this form's fields, as text, to keep in the session."""
    names = set(form.fields)
    return {
        key: forms.clean_typed(str(value))
        for key, value in post.items()
        if key in names or key.rsplit("_", 1)[0] in names
    }


class NotSetUp(Exception):
    pass


def _journey(request: HttpRequest) -> Journey:
    person = person_of(request)
    if person is None:
        raise NotSetUp
    return Journey(request, person)


def journey_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, and a person in a partnership: else the "not set up" page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotSetUp:
            return not_set_up(request)

    return login_required(wrapped)


# --- views ------------------------------------------------------------------------------


@journey_page
@require_http_methods(["GET", "HEAD", "POST"])
def raise_start(request: HttpRequest) -> HttpResponse:
    journey = _journey(request)
    in_progress = bool(journey.answers) and not journey.raised
    if request.method == "POST":
        if request.POST.get("again") or not in_progress:
            Journey.start(request)
            journey = Journey(request, journey.person)
        return redirect(_step_url(journey.first_incomplete()))
    return render(request, "parley/web/raise/start.html", {"in_progress": in_progress})


@journey_page
@require_http_methods(["GET", "HEAD", "POST"])
def raise_step(request: HttpRequest, slug: str) -> HttpResponse:
    journey = _journey(request)
    step = journey.step(slug)
    if step is None:
        raise Http404("Page not found")
    if journey.raised:
        return redirect("raise_confirmation")
    if not journey.key:
        Journey.start(request)
        journey = Journey(request, journey.person)
    applicable = journey.applicable()
    if step not in applicable:
        return redirect(_step_url(journey.first_incomplete()))
    # Earlier questions first: a page is shown only once those before it are answered.
    for earlier in applicable[: applicable.index(step)]:
        if not journey.complete(earlier):
            return redirect(_step_url(earlier))
        leave = earlier.leave(journey)
        if leave:
            return redirect(leave)
    changing = request.GET.get("change") == "1"
    if request.method == "POST":
        form = step.form(data=request.POST, journey=journey)
        if form.is_valid():
            journey.save_answer(step, _typed(form, request.POST))
            leave = step.leave(journey)
            if leave:
                return redirect(leave)
            if changing:
                return redirect(_step_url(journey.first_incomplete()))
            following = journey.applicable()
            after = following[following.index(step) + 1 :] if step in following else []
            return redirect(_step_url(after[0] if after else journey.first_incomplete()))
    else:
        unbound = step.form(journey=journey)
        form = step.form(initial=_initial(unbound, journey.answers.get(slug)), journey=journey)
    # A field revealed by a radio answer is drawn inside that radio, not on its own.
    revealed = {
        name for f in form.fields.values() for name in getattr(f, "conditional", {}).values()
    }
    visible = [f for f in form if not f.is_hidden and f.name not in revealed]
    return render(
        request,
        "parley/web/raise/step.html",
        {
            "step": step,
            "form": form,
            "journey": journey,
            "title": step.title or (visible[0].label if visible else ""),
            # With no title of its own, a page's first question is its heading, asked once.
            "as_heading": visible[0] if visible and not step.title else None,
            "back_url": reverse("raise_check") if changing else _previous_url(journey, step),
            "visible_fields": visible,
            "hidden_fields": [f for f in form if f.is_hidden],
        },
    )


@journey_page
@require_http_methods(["GET", "HEAD", "POST"])
def raise_check(request: HttpRequest) -> HttpResponse:
    journey = _journey(request)
    if journey.raised:
        return redirect("raise_confirmation")
    leave = journey.exit_url()
    if leave:
        return redirect(leave)
    missing = journey.first_incomplete()
    if missing is not None:
        return redirect(_step_url(missing))
    problems: list[str] = []
    if request.method == "POST":
        try:
            case = _raise(journey, request)
        except Refused as refused:
            problems.append(refused.reason)
        else:
            journey.mark_raised(case.reference)
            return redirect("raise_confirmation")
    sections = []
    for step in journey.applicable():
        form = journey.form(step)
        change = f"{_step_url(step)}?change=1"
        for key, value in form.rows():
            sections.append({"key": key, "value": value, "change": change, "slug": step.slug})
    return render(
        request,
        "parley/web/raise/check.html",
        {"rows": sections, "problems": problems, "journey": journey},
    )


def _raise(journey: Journey, request: HttpRequest) -> Any:
    version, procedure, track = journey.procedure_version, journey.procedure, journey.track
    raising, other = journey.raising_agency, journey.other_agency
    if version is None or procedure is None or track is None or raising is None or other is None:
        raise Refused("Some answers are missing: go back and answer every question")
    immediate = journey.at_risk and procedure.immediate_risk is not None
    chosen = journey.value("other-professional", "professional")
    professional = next((p for p in journey.other_agency_people if str(p.pk) == chosen), None)
    category = journey.value("category", "category") or ""
    person_answers = {name: journey.value("person", name) for name in forms.PersonForm.base_fields}
    return services.disagreement_raise(
        procedure=version,
        raised_by=journey.person,
        raising_agency=raising,
        other_agency=other,
        summary=journey.value("summary", "summary") or "",
        at=journey.now,
        track=track.id,
        immediate_risk=immediate,
        start_stage=(
            journey.immediate_start.id
            if immediate
            and journey.immediate_start
            and procedure.immediate_risk
            and procedure.immediate_risk.raiser_chooses
            else None
        ),
        informal=not immediate and journey.value("start", "start") == "informal",
        on_behalf_of=journey.value("on-behalf", "on_behalf_name") or "",
        other_professional=professional,
        other_professional_name=journey.value("other-professional", "professional_name") or "",
        category="" if category == forms.OTHER_CATEGORY else category,
        evidence=journey.value("evidence", "evidence") or "",
        outcome_sought=journey.value("outcome", "outcome_sought") or "",
        subject_name=person_answers["subject_name"] or "",
        subject_date_of_birth=person_answers["subject_date_of_birth"],
        subject_nhs_number=person_answers["subject_nhs_number"] or "",
        subject_client_reference=person_answers["subject_client_reference"] or "",
        subject_gp=person_answers["subject_gp"] or "",
        raising_team=journey.value("your-team", "raising_team") or "",
        answers=journey.question_answers(),
        request_key=journey.key,
        request=request,
        via="web",
    )


@journey_page
@require_safe
def raise_confirmation(request: HttpRequest) -> HttpResponse:
    journey = _journey(request)
    case = access.disagreement_get_visible(person=journey.person, reference=journey.raised)
    if case is None:
        return redirect("raise_start")
    deadlines = selectors.disagreement_deadlines(case)
    upcoming = next((d for d in deadlines if not d.is_met and not d.advisory), None)
    procedure = selectors.procedure_of(case.procedure)
    stage = procedure.track(case.track).stage(case.stage)
    return render(
        request,
        "parley/web/raise/confirmation.html",
        {
            "case": case,
            "upcoming": upcoming,
            "stage_label": stage_words(stage),
            "procedure": procedure,
            # Who is told, and when: a newcomer raising at a weekend otherwise sees
            # nothing happen until Monday and is not told why.
            "told": notifications_waiting_for_case(case),
        },
    )


# Where to go instead, when a procedure says nothing about it.
GENERAL_SIGNPOSTING = {
    SignpostKind.CONDUCT_COMPLAINT: (
        "Raise a complaint about a worker's conduct",
        "Tell the worker's line manager, who will deal with it under their agency's "
        "policy, or use that agency's complaints procedure.",
    ),
    SignpostKind.ALLEGATION_AGAINST_STAFF: (
        "Report an allegation against a member of staff",
        "If someone who works with children may have harmed a child or may pose a risk to "
        "children, contact the Local Authority Designated Officer (LADO) today. For adults, "
        "use the employing agency's procedure for allegations against staff.",
    ),
    SignpostKind.WHISTLEBLOWING: (
        "Use your agency's whistleblowing policy",
        "Concerns about wrongdoing or danger at work are raised under your own agency's "
        "whistleblowing policy.",
    ),
    SignpostKind.SINGLE_AGENCY: (
        "Use your own agency's procedure",
        "A disagreement inside one agency goes through that agency's own escalation or "
        "complaints procedure, not a multi-agency one.",
    ),
    SignpostKind.SYSTEM_ISSUE: (
        "Raise it as a system or service issue",
        "Problems with a system or service, rather than one person's case, go to your "
        "partnership's business manager so they can be looked at as policy or practice.",
    ),
}


@journey_page
@require_safe
def raise_signpost(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        signpost_kind = SignpostKind(kind)
    except ValueError:
        raise Http404("Page not found") from None
    journey = _journey(request)
    heading, general = GENERAL_SIGNPOSTING[signpost_kind]
    advice = []
    for version in journey.versions:
        procedure = selectors.procedure_of(version)
        for signpost in procedure.signposting:
            if signpost.kind is signpost_kind:
                advice.append(
                    {
                        "procedure": procedure.name,
                        "partnership": procedure.partnership,
                        "advice": signpost.advice,
                        "contact": signpost.contact,
                        "source": signpost.source.choice_words()
                        or (f"Source: {signpost.source.cite}" if signpost.source.cite else ""),
                    }
                )
    return render(
        request,
        "parley/web/raise/signpost.html",
        {
            "heading": heading,
            "general": general,
            "advice": advice,
            "at_risk": journey.at_risk,
            "change_url": reverse("raise_step", kwargs={"slug": "about"}) + "?change=1",
        },
    )
