"""Home ("Your actions") and the pages shared by the whole service."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from parley.audit.services import audit_record
from parley.cases import access, reads
from parley.cases.access import person_of
from parley.cases.acknowledgements import forms_to_acknowledge
from parley.cases.models import Deadline, Disagreement, Person, RoleAssignment
from parley.core.procedure import CHOICE_WORDS, Procedure, Side
from parley.core.roles import (
    Sight,
    actor_of,
    partnership_side_roles,
    role_anywhere,
    stand_ins,
)
from parley.core.roles import holds_step as roles_holds_step
from parley.web.views_cases import STATUS_TAGS, not_set_up, stage_words
from parley.web.views_cases_register import (
    CaseRow,
    has_register_sight,
    procedures_by_version,
)

LIST_LIMIT = reads.LIST_LIMIT
ENDED_LATELY = timedelta(days=30)  # ended disagreements stay on the home page this long


def _stage_words(procedures: dict[int, Procedure], case: Disagreement | CaseRow) -> str:
    procedure = procedures.get(case.procedure_id)
    if procedure is None:
        return case.stage
    try:
        stage = procedure.track(case.track).stage(case.stage)
    except KeyError:
        return case.stage
    return stage_words(stage)


def _deadline_source(procedures: dict[int, Procedure], deadline: Deadline) -> str:
    """The line under a deadline: the document's passage, or that the limit is Parley's
    choice and why, as the planner worked it out when the deadline was stored."""
    source = deadline.source or _stored_before(procedures, deadline)
    if not source or source.startswith(CHOICE_WORDS):
        return source
    return f"Source: {source}."


def _stored_before(procedures: dict[int, Procedure], deadline: Deadline) -> str:
    """A deadline stored before its source was kept: its step's or stage's citation."""
    procedure = procedures.get(deadline.disagreement.procedure_id)
    if procedure is None:
        return ""
    try:
        stage = procedure.track(deadline.disagreement.track).stage(deadline.stage)
        step_id = deadline.key.split("/", 1)[1] if "/" in deadline.key else ""
        return (stage.step(step_id).source.shown() if step_id else stage.source.shown()) or ""
    except KeyError:
        return ""


def holds_step(
    person: Person, roles: list[RoleAssignment], deadline: Deadline, procedure: Procedure | None
) -> bool:
    """Whether a step is this person's to take: the roles table's answer
    (:func:`parley.core.roles.holds_step`) for who they are on that case."""
    if procedure is None:
        return False
    case = deadline.disagreement
    try:
        stage = procedure.track(case.track).stage(deadline.stage)
    except KeyError:
        return False
    own, proxies = access.core_roles(roles, procedure.id)
    actor = actor_of(
        person_id=str(person.pk),
        assignments=own,
        proxies=proxies,
        raising_agency=str(case.raising_agency_id),
        other_agency=str(case.other_agency_id),
        raised_by=str(case.raised_by_id),
        other_professional=str(case.other_professional_id or ""),
        stand_in_for_other=stand_ins(procedure) if case.other_professional_id is None else (),
    )
    return roles_holds_step(procedure, stage, Side(deadline.side), actor)


def _case_rows(
    found: list[tuple[Any, ...]], procedures: dict[int, Procedure], now: datetime
) -> list[dict[str, Any]]:
    rows = []
    for case in map(CaseRow.of, found):
        words, tag_class = STATUS_TAGS.get(case.status, (case.status, ""))
        rows.append(
            {
                "case": case,
                "stage": _stage_words(procedures, case),
                "status": words,
                "status_class": tag_class,
                "overdue": case.status == "open"
                and case.next_due_at is not None
                and case.next_due_at < now,
            }
        )
    return rows


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    person = person_of(request)
    if person is None:
        return not_set_up(request)
    roles = access.roles_of(person)
    procedures = procedures_by_version(person)
    agencies = sorted({r.agency_id for r in roles if r.agency_id})
    # Steps for the partnership are looked for only if a procedure names one of this
    # person's partnership-wide roles to act for it (not a business manager who looks).
    for_partnership = frozenset().union(*map(partnership_side_roles, procedures.values()))
    partnership_side = any(r.agency_id is None and r.role in for_partnership for r in roles)
    deadlines = []
    for deadline in reads.home_steps_waiting(
        person, agencies=agencies, partnership_side=partnership_side
    ):
        procedure = procedures.get(deadline.disagreement.procedure_id)
        if not holds_step(person, roles, deadline, procedure):
            continue
        if len(deadlines) == LIST_LIMIT:
            break
        deadlines.append(
            {
                "deadline": deadline,
                "case": deadline.disagreement,
                "overdue": not deadline.advisory and deadline.due_at < now,
                "source": _deadline_source(procedures, deadline),
            }
        )
    # Open disagreements and those that ended lately; the rest on asking ("?all=yes").
    show_all = request.GET.get("all") == "yes"
    since = now - ENDED_LATELY
    raised = reads.home_cases(person, "raised", since=None if show_all else since)
    received = reads.home_cases(person, "received", since=None if show_all else since)
    earlier = 0 if show_all else reads.home_earlier(person, since=since)
    rung_agencies = sorted(
        {r.agency_id for r in roles if r.agency_id and role_anywhere(r.role).sight is Sight.REACHED}
    )
    agency_cases: list[dict[str, Any]] = []
    if rung_agencies:
        found = reads.home_agency_cases(person, rung_agencies)
        agency_cases = _case_rows(found, procedures, now)
    partnership = None
    if has_register_sight(person):
        ongoing, overdue = reads.home_ongoing(person, now)
        partnership = {"ongoing": ongoing, "overdue": overdue}
    audit_record(action="home.view", request=request)
    return render(
        request,
        "parley/web/home.html",
        {
            "person": person,
            "deadlines": deadlines,
            "forms": forms_to_acknowledge(person=person),
            "raised": _case_rows(raised, procedures, now),
            "received": _case_rows(received, procedures, now),
            "agency_cases": agency_cases,
            "is_manager": bool(rung_agencies),
            "agencies": sorted({r.agency.name for r in roles if r.agency_id and r.agency}),
            "partnership": partnership,
            "earlier": earlier,
            "ended_lately_days": ENDED_LATELY.days,
            "now": now,
        },
    )


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
