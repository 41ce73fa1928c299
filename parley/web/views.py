"""Home ("Your actions") and the pages shared by the whole service."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from parley.cases import access
from parley.cases.access import person_of
from parley.cases.models import Deadline, Disagreement, Person, RoleAssignment
from parley.core.procedure import Procedure
from parley.web.views_cases import STATUS_TAGS, not_set_up, stage_words
from parley.web.views_cases_register import has_register_sight, procedures_by_version

LIST_LIMIT = 50  # each list on the home page; the register has the rest
ENDED_LATELY = timedelta(days=30)  # ended disagreements stay on the home page this long


def _stage_words(procedures: dict[int, Procedure], case: Disagreement) -> str:
    procedure = procedures.get(case.procedure_id)
    if procedure is None:
        return case.stage
    try:
        stage = procedure.track(case.track).stage(case.stage)
    except KeyError:
        return case.stage
    return stage_words(stage)


def _deadline_source(procedures: dict[int, Procedure], deadline: Deadline) -> str:
    procedure = procedures.get(deadline.disagreement.procedure_id)
    if procedure is None:
        return ""
    try:
        stage = procedure.track(deadline.disagreement.track).stage(deadline.stage)
        step_id = deadline.key.split("/", 1)[1] if "/" in deadline.key else ""
        return (stage.step(step_id).source.cite if step_id else stage.source.cite) or ""
    except KeyError:
        return ""


def waiting_on(
    person: Person, roles: list[RoleAssignment], visible: QuerySet[Disagreement]
) -> QuerySet[Deadline]:
    """Open steps on a side this person is on, in open cases they can see (a superset:
    :func:`holds_step` then keeps the steps for a role they hold)."""
    agencies = [r.agency_id for r in roles if r.agency_id]
    raising = Q(disagreement__raised_by=person) | Q(disagreement__raising_agency__in=agencies)
    other = Q(disagreement__other_professional=person) | Q(disagreement__other_agency__in=agencies)
    mine = Q(side__in=("raising", "both")) & raising | Q(side__in=("other", "both")) & other
    if any(r.agency_id is None and r.role not in access.NOT_A_RUNG for r in roles):
        mine |= Q(side="partnership")
    return (
        Deadline.objects.filter(
            disagreement__in=visible.values("pk"),
            disagreement__status=Disagreement.Status.OPEN,
            met_at__isnull=True,
            kind="step",
        )
        .filter(mine)
        .select_related(
            "disagreement", "disagreement__raising_agency", "disagreement__other_agency"
        )
        .order_by("due_at")
    )


def holds_step(
    person: Person, roles: list[RoleAssignment], deadline: Deadline, procedure: Procedure | None
) -> bool:
    """Whether a step is this person's to take: they hold a role the stage names on that
    side, in that agency. The raiser and the named professional also hold their side of
    the stage the disagreement started at, whatever their role (it has not moved yet)."""
    case = deadline.disagreement
    if deadline.side == "partnership":
        return any(r.agency_id is None and r.role not in access.NOT_A_RUNG for r in roles)
    if procedure is None:
        return False
    try:
        stage = procedure.track(case.track).stage(deadline.stage)
    except KeyError:
        return False
    all_roles = {r.role for r in roles}
    sides = ("raising", "other") if deadline.side == "both" else (deadline.side,)
    for side in sides:
        named = set(stage.raising_side if side == "raising" else stage.other_side)
        agency_id = case.raising_agency_id if side == "raising" else case.other_agency_id
        party_id = case.raised_by_id if side == "raising" else case.other_professional_id
        is_party = person.pk == party_id
        held = {r.role for r in roles if r.agency_id == agency_id} | (
            all_roles if is_party else set()
        )
        if held & named or (is_party and case.stage_entered_at == case.raised_at):
            return True
    return False


def _case_rows(
    cases: QuerySet[Disagreement], procedures: dict[int, Procedure], now: datetime
) -> list[dict[str, Any]]:
    rows = []
    for case in cases[:LIST_LIMIT]:
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
    visible = access.disagreement_list_visible_to(person=person)
    related = ("raising_agency", "other_agency", "raised_by")
    deadlines = []
    for deadline in waiting_on(person, roles, visible)[: LIST_LIMIT * 10]:
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
    recent = (
        Q(status=Disagreement.Status.OPEN)
        | Q(resolved_at__gte=now - ENDED_LATELY)
        | Q(closed_at__gte=now - ENDED_LATELY)
    )
    mine = visible.filter(Q(raised_by=person) | Q(other_professional=person))
    earlier = 0 if show_all else mine.exclude(recent).count()
    listed = mine if show_all else mine.filter(recent)
    raised = listed.filter(raised_by=person).select_related(*related).order_by("-raised_at")
    received = (
        listed.filter(other_professional=person).select_related(*related).order_by("-raised_at")
    )
    agency_ids = [r.agency_id for r in roles if r.agency_id and r.role not in access.NOT_A_RUNG]
    agency_cases: list[dict[str, Any]] = []
    if agency_ids:
        agency_qs = (
            visible.filter(status=Disagreement.Status.OPEN)
            .filter(Q(raising_agency__in=agency_ids) | Q(other_agency__in=agency_ids))
            .select_related(*related)
            .order_by(F("next_due_at").asc(nulls_last=True), "-raised_at")
        )
        agency_cases = _case_rows(agency_qs, procedures, now)
    partnership = None
    if has_register_sight(person, roles):
        ongoing = visible.filter(status=Disagreement.Status.OPEN)
        partnership = {
            "ongoing": ongoing.count(),
            "overdue": ongoing.filter(next_due_at__lt=now).count(),
        }
    return render(
        request,
        "parley/web/home.html",
        {
            "person": person,
            "deadlines": deadlines,
            "raised": _case_rows(raised, procedures, now),
            "received": _case_rows(received, procedures, now),
            "agency_cases": agency_cases,
            "is_manager": bool(agency_ids),
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
