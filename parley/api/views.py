"""The API's views: parse, ask the one door (access or services), answer JSON.

The same rules as the pages: visibility through :mod:`parley.cases.access`, every change
through :mod:`parley.cases.services`, and the same audit entries.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from parley.api import schema
from parley.api.http import NOT_FOUND, ApiError, api_view, invalid, json_body
from parley.api.models import ApiToken
from parley.audit.services import audit_record, filter_names
from parley.cases import access, selectors, services
from parley.cases.models import Agency, Disagreement, Person, ProcedureVersion
from parley.core import engine
from parley.core.engine import EVENTS, EventKind, Refused
from parley.core.procedure import Procedure

# The list's filters and paging: the audit trail records which were used, never their
# values (docs/audit.md).
LIST_FILTERS = ("status", "procedure", "stage", "limit", "cursor")
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_ID = 2**31 - 1
# Evidence is a file: it is attached through the page, which checks what it is.
NOT_BY_API = frozenset({EventKind.EVIDENCE_ATTACHED})
ACTION_KINDS = sorted(
    kind.value
    for kind, spec in EVENTS.items()
    if not spec.system and kind is not EventKind.RAISED and kind not in NOT_BY_API
)


# --- reading input ----------------------------------------------------------------------


def clean(value: Any, name: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise invalid(name, f"{name} must be text")
    if "\x00" in value:
        raise invalid(name, f"{name} must not contain a null character")
    if len(value) > max_length:
        raise invalid(name, f"{name} must be {max_length} characters or fewer")
    return value.strip()


def text(body: dict[str, Any], name: str, max_length: int, *, required: bool = False) -> str:
    value = body.get(name)
    if value is None:
        value = ""
    result = clean(value, name, max_length)
    if required and not result:
        raise invalid(name, f"Enter {name}")
    return result


def whole_number(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise invalid(name, f"{name} must be a whole number from 1 to {MAX_ID}")
    return value


def yes_no(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise invalid(name, f"{name} must be true or false")
    return value


def reference_of(reference: str) -> str:
    if len(reference) > 40 or "\x00" in reference:
        raise ApiError("not_found", NOT_FOUND)
    return reference


def visible_case(token: ApiToken, reference: str) -> Disagreement:
    case = access.disagreement_get_visible(person=token.person, reference=reference_of(reference))
    if case is None:
        # Unknown and hidden answer alike, so the API cannot be used to probe references.
        raise ApiError("not_found", NOT_FOUND)
    return case


# --- shaping output ---------------------------------------------------------------------


def when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def person_ref(person: Person | None) -> dict[str, Any] | None:
    return None if person is None else {"id": person.pk, "name": person.name}


def agency_ref(agency: Agency) -> dict[str, Any]:
    return {"id": agency.pk, "name": agency.name}


def case_summary(case: Disagreement) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "procedure": {"id": case.procedure.procedure_id, "version": case.procedure.version},
        "track": case.track,
        "status": case.status,
        "route": case.route,
        "stage": case.stage,
        "stage_number": case.stage_number,
        "stage_entered_at": when(case.stage_entered_at),
        "raised_at": when(case.raised_at),
        "raised_by": person_ref(case.raised_by),
        "raising_agency": agency_ref(case.raising_agency),
        "other_agency": agency_ref(case.other_agency),
        "other_professional": person_ref(case.other_professional),
        "other_professional_name": case.other_professional_name,
        "category": case.category,
        "summary": case.summary,
        "next_due_at": when(case.next_due_at),
        "resolved_at": when(case.resolved_at),
        "closed_at": when(case.closed_at),
        "version": case.version,
    }


def case_detail(case: Disagreement) -> dict[str, Any]:
    return case_summary(case) | {
        "raised_on_behalf_of": case.raised_on_behalf_of,
        "evidence": case.evidence,
        "outcome_sought": case.outcome_sought,
        "outcome": case.outcome,
        "outstanding": case.outstanding,
        "subject": {
            "name": case.subject_name,
            "date_of_birth": when(case.subject_date_of_birth),
            "nhs_number": case.subject_nhs_number,
            "client_reference": case.subject_client_reference,
            "gp": case.subject_gp,
        },
        "raising_team": case.raising_team,
    }


def procedure_summary(version: ProcedureVersion) -> dict[str, Any]:
    return {"id": version.procedure_id, "version": version.version, "name": version.name}


def ladder(procedure: Procedure) -> list[dict[str, Any]]:
    return [
        {
            "id": track.id,
            "name": track.name,
            "description": track.description,
            "stages": [
                {
                    "id": stage.id,
                    "number": stage.number,
                    "name": stage.name,
                    "informal": stage.informal,
                    "within": stage.within.describe(),
                    "raising_side": list(stage.raising_side),
                    "other_side": list(stage.other_side),
                    "next": stage.next,
                    "description": stage.description,
                    "steps": [
                        {
                            "id": step.id,
                            "name": step.name,
                            "by": step.by.value,
                            "action": step.action.value,
                            "within": step.within.describe(),
                            "advisory": step.advisory,
                        }
                        for step in stage.steps
                    ],
                }
                for stage in track.stages
            ],
        }
        for track in procedure.tracks
    ]


# --- cursor pagination ------------------------------------------------------------------


def cursor_encode(pk: int) -> str:
    return base64.urlsafe_b64encode(str(pk).encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        pk = int(base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii"))
    except (ValueError, binascii.Error, UnicodeError):
        raise invalid("cursor", "cursor is not one this API gave out") from None
    if not 1 <= pk <= 2**63 - 1:
        raise invalid("cursor", "cursor is not one this API gave out")
    return pk


def page_size(request: HttpRequest) -> int:
    raw = request.GET.get("limit", str(PAGE_SIZE))
    # Digits only, and few of them: int() refuses a string of thousands of digits.
    if not raw.isdigit() or len(raw) > 3 or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise invalid("limit", f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(raw)


# --- views ------------------------------------------------------------------------------


def openapi(request: HttpRequest) -> HttpResponse:
    return JsonResponse(schema.document())


@api_view({"GET": "read", "POST": "write"})
def disagreements(request: HttpRequest, token: ApiToken) -> HttpResponse:
    if request.method == "POST":
        return disagreement_raise(request, token)
    cases = filtered(request, access.disagreement_list_visible_to(person=token.person))
    limit = page_size(request)
    cursor = request.GET.get("cursor")
    if cursor is not None:
        cases = cases.filter(pk__lt=cursor_decode(cursor))
    rows = list(
        cases.select_related(
            "procedure", "raising_agency", "other_agency", "raised_by", "other_professional"
        ).order_by("-pk")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    audit_record(
        action="register.view",
        request=request,
        person=token.person,
        detail={"filters": filter_names(request.GET, LIST_FILTERS), "api": True},
    )
    return JsonResponse(
        {
            "results": [case_summary(case) for case in rows],
            "next_cursor": cursor_encode(rows[-1].pk) if more else None,
        }
    )


def filtered(request: HttpRequest, cases: QuerySet[Disagreement]) -> QuerySet[Disagreement]:
    status = request.GET.get("status")
    if status is not None:
        if status not in Disagreement.Status.values:
            choices = ", ".join(Disagreement.Status.values)
            raise invalid("status", f"status must be one of: {choices}")
        cases = cases.filter(status=status)
    for name, field in (("procedure", "procedure__procedure_id"), ("stage", "stage")):
        value = request.GET.get(name)
        if value is not None:
            cases = cases.filter(**{field: clean(value, name, 80)})
    return cases


def disagreement_raise(request: HttpRequest, token: ApiToken) -> HttpResponse:
    person = token.person
    body = json_body(request)
    key = request.headers.get("Idempotency-Key", "")
    if len(key) > 200 or not key.isprintable():
        raise invalid(
            "Idempotency-Key", "Idempotency-Key must be printable, 200 characters or fewer"
        )
    # Keys are the client's own: namespaced by person so one caller's key never finds
    # another's disagreement.
    request_key = hashlib.sha256(f"api:{person.pk}:{key}".encode()).hexdigest() if key else None
    if request_key:
        earlier = Disagreement.objects.filter(request_key=request_key).first()
        if earlier is not None:
            return JsonResponse(case_detail(visible_case(token, earlier.reference)))
    inputs = raise_inputs(body, person)
    try:
        case = services.disagreement_raise(
            raised_by=person, request_key=request_key, request=request, via="api", **inputs
        )
    except Refused as refused:
        raise ApiError("refused", refused.reason) from None
    raised = visible_case(token, case.reference)
    return with_version(JsonResponse(case_detail(raised), status=201), raised)


def raise_inputs(body: dict[str, Any], person: Person) -> dict[str, Any]:
    procedure_id = text(body, "procedure", 80, required=True)
    version = (
        selectors.procedure_versions_to_raise_under(partnership_id=person.partnership_id)
        .filter(procedure_id=procedure_id)
        .first()
    )
    if version is None:
        raise invalid("procedure", "There is no such procedure in your partnership")
    partnership_agencies = Agency.objects.filter(partnership_id=person.partnership_id)
    # Whether this person may raise for this agency is the core's rule, checked when the
    # service raises it (parley.core.engine.check_raising).
    raising = partnership_agencies.filter(
        pk=whole_number(body.get("raising_agency"), "raising_agency")
    ).first()
    if raising is None:
        raise invalid("raising_agency", "Choose an agency of your partnership")
    # Under a single-agency procedure the other side is the raising agency itself.
    other = (
        raising
        if selectors.procedure_of(version).single_agency
        else partnership_agencies.filter(
            pk=whole_number(body.get("other_agency"), "other_agency")
        ).first()
    )
    if other is None:
        raise invalid("other_agency", "Choose an agency of your partnership")
    professional = None
    if body.get("other_professional") is not None:
        professional = Person.objects.filter(
            pk=whole_number(body["other_professional"], "other_professional"),
            roles__agency=other,
        ).first()
        if professional is None:
            raise invalid("other_professional", "Choose someone who works for the other agency")
    born = text(body, "subject_date_of_birth", 10)
    try:
        date_of_birth = date.fromisoformat(born) if born else None
    except ValueError:
        raise invalid("subject_date_of_birth", "subject_date_of_birth must be YYYY-MM-DD") from None
    return {
        "procedure": version,
        "raising_agency": raising,
        "other_agency": other,
        "other_professional": professional,
        "summary": text(body, "summary", 10000, required=True),
        "track": text(body, "track", 80) or None,
        "immediate_risk": yes_no(body, "immediate_risk"),
        "start_stage": text(body, "start_stage", 80) or None,
        "informal": yes_no(body, "informal"),
        "on_behalf_of": text(body, "on_behalf_of", 200),
        "other_professional_name": text(body, "other_professional_name", 200),
        "category": text(body, "category", 80),
        "evidence": text(body, "evidence", 10000),
        "outcome_sought": text(body, "outcome_sought", 10000),
        "subject_name": text(body, "subject_name", 200),
        "subject_date_of_birth": date_of_birth,
        "subject_nhs_number": text(body, "subject_nhs_number", 12),
        "subject_client_reference": text(body, "subject_client_reference", 60),
        "subject_gp": text(body, "subject_gp", 200),
        "raising_team": text(body, "raising_team", 200),
        "answers": _answers(body),
    }


def _answers(body: dict[str, Any]) -> dict[str, str]:
    """The answers to the procedure's questions, as ``{question id: text}``; the core
    checks them against the procedure (parley.core.engine.check_answers)."""
    answers = body.get("answers")
    if answers is None:
        return {}
    if not isinstance(answers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and len(v) <= 200 for k, v in answers.items()
    ):
        raise invalid("answers", "answers must map each question's id to an answer written as text")
    return dict(answers)


@api_view({"GET": "read"})
def disagreement(request: HttpRequest, token: ApiToken, reference: str) -> HttpResponse:
    case = visible_case(token, reference)
    audit_record(action="case.view", request=request, person=token.person, disagreement=case)
    return with_version(JsonResponse(case_detail(case) | standing(case, token.person)), case)


def standing(case: Disagreement, person: Person) -> dict[str, Any]:
    """What this person may do on the case now and who holds it: the same answers the
    case page gives (parley.cases.services.disagreement_now)."""
    now = services.disagreement_now(case, person, at=timezone.now())
    return {
        "your_actions": [kind.value for kind in now.allowed if kind.value in ACTION_KINDS],
        "holders": [
            {"side": h.side.value, "roles": list(h.roles), "steps": list(h.steps)}
            for h in now.holding
        ],
    }


def with_version(response: JsonResponse, case: Disagreement) -> JsonResponse:
    """The case's version as its entity tag: send it back in If-Match with an action."""
    response.headers["ETag"] = f'"{case.version}"'
    return response


@api_view({"GET": "read"})
def disagreement_events(request: HttpRequest, token: ApiToken, reference: str) -> HttpResponse:
    case = visible_case(token, reference)
    reader = services.actor_for(person=token.person, disagreement=case)
    # The one sight rule for the record: a note kept to one side is that side's alone.
    events = engine.readable(
        case.events.select_related("actor").order_by("sequence"), reader, lambda e: e.data
    )
    audit_record(action="case.view", request=request, person=token.person, disagreement=case)
    return JsonResponse(
        {
            "results": [
                {
                    "sequence": event.sequence,
                    "kind": event.kind,
                    "label": EVENTS[EventKind(event.kind)].label,
                    "at": when(event.at),
                    "actor": person_ref(event.actor),
                    "stage": event.stage,
                    "data": event.data,
                }
                for event in events
            ]
        }
    )


@api_view({"GET": "read"})
def disagreement_deadlines(request: HttpRequest, token: ApiToken, reference: str) -> HttpResponse:
    case = visible_case(token, reference)
    deadlines = selectors.disagreement_deadlines(case)
    audit_record(action="case.view", request=request, person=token.person, disagreement=case)
    return JsonResponse(
        {
            "results": [
                {
                    "key": d.key,
                    "kind": d.kind.value,
                    "label": d.label,
                    "stage": d.stage,
                    "step": d.step,
                    "due": when(d.due),
                    "by": d.by.value,
                    "advisory": d.advisory,
                    "met_at": when(d.met_at),
                    "rule": d.rule,
                    "explanation": d.explanation.sentence(),
                }
                for d in deadlines
            ]
        }
    )


@api_view({"POST": "write"})
def disagreement_actions(request: HttpRequest, token: ApiToken, reference: str) -> HttpResponse:
    case = visible_case(token, reference)
    body = json_body(request)
    kind = body.get("kind")
    if kind not in ACTION_KINDS:
        raise invalid("kind", f"kind must be one of: {', '.join(ACTION_KINDS)}")
    fields: dict[str, Any] = {
        name: text(body, name, 10000)
        for name in (
            "text",
            "reason",
            "to_stage",
            "outcome",
            "outstanding",
            "visibility",
            "chaired_by",
            "present",
            "form",
            "due",
            "priority",
            "by",
            "adviser",
            "agency",
        )
        if body.get(name) is not None
    }
    if body.get("agreed") is not None:
        fields["agreed"] = yes_no(body, "agreed")
    version = acted_on(request, body)
    key = request.headers.get("Idempotency-Key", "")
    if len(key) > 200 or not key.isprintable():
        raise invalid(
            "Idempotency-Key", "Idempotency-Key must be printable, 200 characters or fewer"
        )
    try:
        events = services.disagreement_act(
            disagreement=case,
            person=token.person,
            kind=EventKind(kind),
            version=version,
            request_key=services.submission_key("api", token.person, key) if key else None,
            request=request,
            via="api",
            **fields,
        )
    except services.Stale as stale:
        raise ApiError("conflict", stale.reason) from None
    except Refused as refused:
        raise ApiError("refused", refused.reason) from None
    now = visible_case(token, case.reference)
    return with_version(
        JsonResponse(
            {
                "disagreement": case_detail(now) | standing(now, token.person),
                "events": [
                    {"sequence": e.sequence, "kind": e.kind, "at": when(e.at), "stage": e.stage}
                    for e in events
                ],
            },
            status=201,
        ),
        now,
    )


def acted_on(request: HttpRequest, body: dict[str, Any]) -> int:
    """The version of the case the caller acted on: the ``If-Match`` header (the ETag a
    read of the case gave) or a ``version`` field. One or the other is required, so that
    nobody moves a case on without knowing where it stands."""
    header = request.headers.get("If-Match", "").strip()
    if header:
        digits = header.removeprefix("W/").strip('"')
        if not digits.isdigit() or len(digits) > 9:
            raise invalid("If-Match", 'If-Match must be the ETag a read of the case gave, e.g. "7"')
        return int(digits)
    if "version" in body:
        value = body["version"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
            raise invalid("version", "version must be the case's version, a whole number")
        return value
    raise ApiError(
        "precondition_required",
        "Say which version of the case you are acting on: send If-Match with the ETag a "
        'read of the case gave, or a "version" field',
    )


@api_view({"GET": "read"})
def procedures(request: HttpRequest, token: ApiToken) -> HttpResponse:
    versions = ProcedureVersion.objects.filter(
        partnership_id=token.person.partnership_id, is_current=True
    ).order_by("procedure_id")
    return JsonResponse({"results": [procedure_summary(v) for v in versions]})


@api_view({"GET": "read"})
def procedure(request: HttpRequest, token: ApiToken, procedure_id: str) -> HttpResponse:
    version = ProcedureVersion.objects.filter(
        partnership_id=token.person.partnership_id,
        procedure_id=procedure_id if len(procedure_id) <= 80 and "\x00" not in procedure_id else "",
        is_current=True,
    ).first()
    if version is None:
        raise ApiError("not_found", "There is no such procedure in your partnership")
    core = selectors.procedure_of(version)
    return JsonResponse(procedure_summary(version) | {"tracks": ladder(core)})


@api_view({"GET": "read"})
def directory_agencies(request: HttpRequest, token: ApiToken) -> HttpResponse:
    agencies = Agency.objects.filter(partnership_id=token.person.partnership_id).order_by("name")
    return JsonResponse({"results": [agency_ref(a) | {"kind": a.kind} for a in agencies]})


@api_view({"GET": "read"})
def directory_people(request: HttpRequest, token: ApiToken) -> HttpResponse:
    # As the directory pages allow: the roles table's directory column.
    if not access.has_page(token.person, "directory"):
        raise ApiError(
            "forbidden", "Only business managers and administrators can list the directory"
        )
    people = (
        Person.objects.filter(partnership_id=token.person.partnership_id)
        .prefetch_related("roles__agency")
        .order_by("name", "pk")
    )
    audit_record(
        action="directory.view", request=request, person=token.person, detail={"api": True}
    )
    return JsonResponse(
        {
            "results": [
                {
                    "id": p.pk,
                    "name": p.name,
                    "job_title": p.job_title,
                    "roles": [
                        {
                            "role": r.role,
                            "agency": agency_ref(r.agency) if r.agency else None,
                        }
                        for r in p.roles.all()
                    ],
                }
                for p in people
            ]
        }
    )
