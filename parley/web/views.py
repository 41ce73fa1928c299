"""Home ("Your actions") and the pages shared by the whole service."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from parley.audit.services import audit_record
from parley.cases import access
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
from parley.dbprepared import Prepared
from parley.web.views_cases import STATUS_TAGS, not_set_up, stage_words
from parley.web.views_cases_register import (
    CASE_ROW,
    CaseRow,
    has_register_sight,
    procedures_by_version,
)

LIST_LIMIT = 50  # each list on the home page; the register has the rest
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


def _mine(person_id: int, agencies: list[int], partnership_side: bool) -> Q:
    """Open steps on a side this person is on: theirs as a party, or their agencies'."""
    raising = Q(disagreement__raised_by_id=person_id) | Q(
        disagreement__raising_agency_id__in=agencies
    )
    other = Q(disagreement__other_professional_id=person_id) | Q(
        disagreement__other_agency_id__in=agencies
    )
    mine = Q(side__in=("raising", "both")) & raising | Q(side__in=("other", "both")) & other
    if partnership_side:
        mine |= Q(side="partnership")
    return mine


# The home page's reads, compiled once per process for each shape of a person's sight
# (parley.dbprepared, access.Sight.shape): its versions, agencies and stages are values.
_WAITING_ON = Prepared(
    lambda layout, person_id, partnership_id, agencies, **sight: (
        Deadline.objects.filter(
            disagreement__partnership_id=partnership_id,
            disagreement__status=Disagreement.Status.OPEN,
            met_at__isnull=True,
            kind="step",
        )
        .filter(access.Sight.q_of(layout[0], person_id, "disagreement__", **sight))
        .filter(_mine(person_id, agencies, layout[1]))
        .select_related(
            "disagreement", "disagreement__raising_agency", "disagreement__other_agency"
        )
        .order_by("due_at")[: LIST_LIMIT * 10]
    )
)


def _recent(since: datetime) -> Q:
    return Q(status=Disagreement.Status.OPEN) | Q(resolved_at__gte=since) | Q(closed_at__gte=since)


def _theirs(
    layout: tuple[str, bool], person_id: int, partnership_id: int, since: datetime | None = None
) -> Any:
    """The disagreements a person raised or received (a party always sees them)."""
    which, show_all = layout
    cases = Disagreement.objects.filter(partnership_id=partnership_id)
    cases = cases.filter(
        **{"raised_by_id" if which == "raised" else "other_professional_id": person_id}
    )
    if since is not None:
        cases = cases.filter(_recent(since))
    return cases.order_by("-raised_at").values_list(*CASE_ROW)[:LIST_LIMIT]


_THEIRS = Prepared(_theirs)
_EARLIER = Prepared(
    lambda person_id, partnership_id, since: (
        Disagreement.objects.filter(
            Q(raised_by_id=person_id) | Q(other_professional_id=person_id),
            partnership_id=partnership_id,
        )
        .exclude(_recent(since))
        .values("partnership_id")
        .annotate(count=Count("pk"))
        .values_list("count")
    )
)
_AGENCY_CASES = Prepared(
    lambda shape, person_id, partnership_id, agencies, **sight: (
        Disagreement.objects.filter(partnership_id=partnership_id, status=Disagreement.Status.OPEN)
        .filter(access.Sight.q_of(shape, person_id, **sight))
        .filter(Q(raising_agency_id__in=agencies) | Q(other_agency_id__in=agencies))
        .order_by(F("next_due_at").asc(nulls_last=True), "-raised_at")
        .values_list(*CASE_ROW)[:LIST_LIMIT]
    )
)
_ONGOING = Prepared(
    lambda shape, person_id, partnership_id, now, **sight: (
        Disagreement.objects.filter(partnership_id=partnership_id, status=Disagreement.Status.OPEN)
        .filter(access.Sight.q_of(shape, person_id, **sight))
        .values("partnership_id")
        .annotate(ongoing=Count("pk"), overdue=Count("pk", filter=Q(next_due_at__lt=now)))
        .values_list("ongoing", "overdue")
    )
)


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
    sight = access.sight_of(person)
    agencies = sorted({r.agency_id for r in roles if r.agency_id})
    # Steps for the partnership are looked for only if a procedure names one of this
    # person's partnership-wide roles to act for it (not a business manager who looks).
    for_partnership = frozenset().union(*map(partnership_side_roles, procedures.values()))
    partnership_side = any(r.agency_id is None and r.role in for_partnership for r in roles)
    deadlines = []
    for deadline in _WAITING_ON(
        layout=(sight.shape(), partnership_side),
        person_id=person.pk,
        partnership_id=person.partnership_id,
        agencies=agencies,
        **sight.values(),
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
    theirs: dict[str, Any] = {"person_id": person.pk, "partnership_id": person.partnership_id}
    if not show_all:
        theirs["since"] = since
    raised = _THEIRS(layout=("raised", show_all), **theirs)
    received = _THEIRS(layout=("received", show_all), **theirs)
    earlier = 0 if show_all else sum(n for (n,) in _EARLIER(**theirs))
    rung_agencies = sorted(
        {r.agency_id for r in roles if r.agency_id and role_anywhere(r.role).sight is Sight.REACHED}
    )
    agency_cases: list[dict[str, Any]] = []
    if rung_agencies:
        found = _AGENCY_CASES(
            layout=sight.shape(),
            person_id=person.pk,
            partnership_id=person.partnership_id,
            agencies=rung_agencies,
            **sight.values(),
        )
        agency_cases = _case_rows(found, procedures, now)
    partnership = None
    if has_register_sight(person):
        counted = _ONGOING(
            layout=sight.shape(),
            person_id=person.pk,
            partnership_id=person.partnership_id,
            now=now,
            **sight.values(),
        )
        ongoing, overdue = counted[0] if counted else (0, 0)
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
