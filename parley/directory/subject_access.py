"""Everything Parley holds about one person, for a subject access request.

Two kinds of person: the *subject* of disagreements (the child or adult a case is about),
found by name and date of birth, NHS number or client reference; and a *professional* in
the directory. The export is for the partnership's data protection officer, who reviews
it (third parties, exemptions such as those for Prevent referrals) before anything is
released. Every export is audited, naming the cases it covers but never the search terms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from parley.audit.models import AuditEntry
from parley.audit.services import ACTIONS, audit_record
from parley.cases.models import (
    Deadline,
    Disagreement,
    Event,
    Partnership,
    Person,
    RoleAssignment,
)
from parley.cases.selectors import procedure_of
from parley.core.engine import EVENTS, EventKind
from parley.directory.csv_io import tidy
from parley.directory.models import DirectoryUpload, RetentionPurge

FORMAT_VERSION = 1
REVIEW_NOTE = (
    "For the data protection officer: review before release. It may name other people "
    "(professionals, family members) and, for Prevent (Channel) cases, information an "
    "exemption may apply to."
)
# Rows linked to a case that are listed elsewhere in the export, or are not about it.
LISTED_ELSEWHERE: tuple[type[models.Model], ...] = (Event, Deadline, AuditEntry, RetentionPurge)


class SearchError(ValueError):
    """The search does not say who the person is; the message says what to give."""


@dataclass(frozen=True)
class SubjectSearch:
    name: str = ""
    date_of_birth: date | None = None
    nhs_number: str = ""
    client_reference: str = ""

    def check(self) -> str:
        """Which way the person is found, or SearchError."""
        ways = [
            way
            for way, given in (
                ("name and date of birth", bool(self.name or self.date_of_birth)),
                ("NHS number", bool(self.nhs_number)),
                ("client reference", bool(self.client_reference)),
            )
            if given
        ]
        if len(ways) != 1:
            raise SearchError(
                "Give one of: the name and date of birth, the NHS number, or the client reference"
            )
        if ways[0] == "name and date of birth" and not (self.name and self.date_of_birth):
            raise SearchError("Give both the name and the date of birth")
        return ways[0]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def subject_cases(*, partnership: Partnership, search: SubjectSearch) -> list[Disagreement]:
    search.check()
    cases = Disagreement.objects.filter(partnership=partnership).select_related(
        "procedure", "raising_agency", "other_agency", "raised_by", "other_professional"
    )
    if search.date_of_birth:
        wanted = tidy(search.name).casefold()
        found = [
            c
            for c in cases.filter(subject_date_of_birth=search.date_of_birth)
            if tidy(c.subject_name).casefold() == wanted
        ]
    elif search.nhs_number:
        wanted = _digits(search.nhs_number)
        found = [
            c
            for c in cases.exclude(subject_nhs_number="")
            if _digits(c.subject_nhs_number) == wanted
        ]
    else:
        found = list(cases.filter(subject_client_reference__iexact=search.client_reference.strip()))
    return sorted(found, key=lambda c: (c.raised_at, c.pk))


# --- turning rows into JSON -------------------------------------------------------------


def _json(value: object) -> object:
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


def _row(row: models.Model) -> dict[str, object]:
    return {f.attname: _json(getattr(row, f.attname)) for f in row._meta.concrete_fields}


def _name(person: Person | None) -> str:
    return person.name if person is not None else ""


def _event_label(kind: str) -> str:
    try:
        return EVENTS[EventKind(kind)].label
    except (ValueError, KeyError):
        return kind


def _case(case: Disagreement) -> dict[str, Any]:
    procedure = procedure_of(case.procedure)
    events = list(case.events.select_related("actor").order_by("sequence"))
    purge = RetentionPurge.objects.filter(disagreement=case).first()
    other: dict[str, list[dict[str, object]]] = {}
    for relation in Disagreement._meta.related_objects:
        model = relation.related_model
        if model in LISTED_ELSEWHERE or relation.many_to_many:
            continue
        rows = model._base_manager.filter(**{relation.field.name: case}).order_by("pk")
        if listed := [_row(row) for row in rows]:
            other[model._meta.label] = listed
    looked = AuditEntry.objects.filter(disagreement=case).select_related("person")
    return {
        "reference": case.reference,
        "procedure": {"id": procedure.id, "name": procedure.name, "version": procedure.version},
        "prevent_channel": procedure.is_channel,
        "status": case.get_status_display(),
        "route": case.get_route_display(),
        "stage": case.stage,
        "stage_number": case.stage_number,
        "raised_at": _json(case.raised_at),
        "resolved_at": _json(case.resolved_at),
        "closed_at": _json(case.closed_at),
        "raising_agency": case.raising_agency.name,
        "other_agency": case.other_agency.name,
        "raised_by": _name(case.raised_by),
        "raised_on_behalf_of": case.raised_on_behalf_of,
        "other_professional": _name(case.other_professional) or case.other_professional_name,
        "subject": {
            "name": case.subject_name,
            "date_of_birth": _json(case.subject_date_of_birth),
            "nhs_number": case.subject_nhs_number,
            "client_reference": case.subject_client_reference,
            "gp": case.subject_gp,
        },
        "category": procedure.category_label(case.category) if case.category else "",
        "summary": case.summary,
        "evidence": case.evidence,
        "outcome_sought": case.outcome_sought,
        "outcome": case.outcome,
        "outstanding": case.outstanding,
        "record": [
            {
                "sequence": e.sequence,
                "at": _json(e.at),
                "what": _event_label(e.kind),
                "stage": e.stage,
                "by": _name(e.actor),
                "details": e.data,
            }
            for e in events
        ],
        "deadlines": [
            {"what": d.label, "due": _json(d.due_at), "met": _json(d.met_at)}
            for d in case.deadlines.all()
        ],
        "other_records": other,
        "who_has_seen_it": [
            {"at": _json(a.at), "what": ACTIONS.get(a.action, a.action), "who": _name(a.person)}
            for a in looked
        ],
        "removed_after_retention_period": _json(purge.purged_at) if purge else None,
    }


def subject_access_export(
    *,
    partnership: Partnership,
    search: SubjectSearch,
    by: Person | None = None,
    request: HttpRequest | None = None,
) -> dict[str, Any]:
    """Everything held about the person a set of disagreements is about, as JSON-ready data."""
    searched_by = search.check()
    cases = subject_cases(partnership=partnership, search=search)
    export = {
        "format": FORMAT_VERSION,
        "kind": "subject",
        "partnership": partnership.name,
        "generated_at": _json(timezone.now()),
        "found_by": searched_by,
        "note": REVIEW_NOTE,
        "disagreements": [_case(case) for case in cases],
    }
    audit_record(
        action="subject-access.export",
        request=request,
        person=by,
        detail={
            "kind": "subject",
            "found_by": searched_by,
            "references": [case.reference for case in cases],
        },
    )
    return export


def professional_access_export(
    *, person: Person, by: Person | None = None, request: HttpRequest | None = None
) -> dict[str, Any]:
    """Everything held about a professional: their entry, roles, cases and audit entries.

    Cases are listed by reference and what the professional did on them, not their text:
    that text is about the case's subject, and is released, if at all, through theirs.
    """
    roles = RoleAssignment.objects.filter(person=person).select_related("agency", "team_link__team")
    raised = Disagreement.objects.filter(raised_by=person).order_by("raised_at")
    received = Disagreement.objects.filter(other_professional=person).order_by("raised_at")
    acted = person.events.select_related("disagreement").order_by("at", "pk")
    done = AuditEntry.objects.filter(person=person).order_by("sequence")
    about = AuditEntry.objects.filter(action="role.change", detail__person_id=person.pk)
    user = person.user
    export: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "kind": "professional",
        "partnership": person.partnership.name,
        "generated_at": _json(timezone.now()),
        "note": REVIEW_NOTE,
        "directory_entry": {
            "name": person.name,
            "email": person.email,
            "job_title": person.job_title,
            "phone": person.phone,
            "username": user.get_username() if user is not None else "",
        },
        "roles": [
            {
                "role": r.role,
                "agency": r.agency.name if r.agency else "the whole partnership",
                "team": link.team.name if (link := getattr(r, "team_link", None)) else "",
                "procedures": r.procedure_ids or "every procedure",
            }
            for r in roles
        ],
        "disagreements_raised": [
            {"reference": c.reference, "raised_at": _json(c.raised_at)} for c in raised
        ],
        "disagreements_raised_with_them": [
            {"reference": c.reference, "raised_at": _json(c.raised_at)} for c in received
        ],
        "actions_on_disagreements": [
            {"reference": e.disagreement.reference, "at": _json(e.at), "what": e.kind}
            for e in acted
        ],
        "audit_entries_by_them": [
            {
                "at": _json(a.at),
                "what": ACTIONS.get(a.action, a.action),
                "reference": a.reference,
                "address": a.ip_address,
                "page": a.path,
            }
            for a in done
        ],
        "changes_to_their_roles": [{"at": _json(a.at), "detail": a.detail} for a in about],
        # Notices are written to name no one (parley.notifications); other rows that point
        # at the professional, such as evidence they attached, are counted, not copied:
        # what they hold is about a case's subject.
        "notifications_to_them": _notices(person),
        "other_records": _other_records(person),
    }
    audit_record(
        action="subject-access.export",
        request=request,
        person=by,
        detail={"kind": "professional", "person_id": person.pk},
    )
    return export


def _notices(person: Person) -> list[dict[str, object]]:
    relation = next(
        (r for r in Person._meta.related_objects if r.get_accessor_name() == "notifications"),
        None,
    )
    if relation is None:
        return []
    rows = relation.related_model._base_manager.filter(**{relation.field.name: person})
    return [
        {
            "at": _json(getattr(row, "created_at", None)),
            "subject": getattr(row, "subject", ""),
            "reference": getattr(getattr(row, "disagreement", None), "reference", ""),
        }
        for row in rows.order_by("pk")
    ]


# Relations of a Person listed above, or holding someone else's upload in transit.
LISTED_FOR_A_PROFESSIONAL = ("roles", "raised", "received", "events", "audit_entries")


def _other_records(person: Person) -> dict[str, int]:
    counts: dict[str, int] = {}
    for relation in Person._meta.related_objects:
        model = relation.related_model
        if relation.many_to_many or model is DirectoryUpload:
            continue
        if relation.get_accessor_name() in (*LISTED_FOR_A_PROFESSIONAL, "notifications"):
            continue
        if count := model._base_manager.filter(**{relation.field.name: person}).count():
            counts[model._meta.label] = counts.get(model._meta.label, 0) + count
    return counts


# --- a readable summary -----------------------------------------------------------------


def subject_access_text(export: dict[str, Any]) -> str:
    """The export as plain text, for reading before the JSON is released."""
    lines = [
        f"Subject access export — {export['partnership']}",
        f"Made {export['generated_at']}",
        export["note"],
        "",
    ]
    if export["kind"] == "professional":
        entry = export["directory_entry"]
        lines += [
            f"{entry['name']} <{entry['email']}>, {entry['job_title']}",
            "Roles: " + "; ".join(f"{r['role']} ({r['agency']})" for r in export["roles"]),
            f"Raised {len(export['disagreements_raised'])} disagreements; "
            f"{len(export['disagreements_raised_with_them'])} raised with them; "
            f"{len(export['actions_on_disagreements'])} actions; "
            f"{len(export['audit_entries_by_them'])} audit entries.",
        ]
        return "\n".join(lines) + "\n"
    cases = export["disagreements"]
    lines.append(f"Found by {export['found_by']}: {len(cases)} disagreement(s).")
    for case in cases:
        subject = case["subject"]
        lines += [
            "",
            f"{case['reference']} — {case['procedure']['name']}",
            f"  About: {subject['name'] or '(not recorded)'}, born {subject['date_of_birth']}",
            f"  {case['raising_agency']} with {case['other_agency']}; {case['status']}, "
            f"stage {case['stage_number']}",
            f"  Raised {case['raised_at']}; closed {case['closed_at'] or '—'}",
            f"  Summary: {case['summary']}",
        ]
        if case["prevent_channel"]:
            lines.append("  Prevent (Channel) case: check exemptions before release.")
        for event in case["record"]:
            text = event["details"].get("text") or event["details"].get("reason") or ""
            lines.append(f"  - {event['at']} {event['what']} ({event['by'] or 'Parley'}) {text}")
    return "\n".join(lines) + "\n"
