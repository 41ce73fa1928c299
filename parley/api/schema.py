"""The OpenAPI 3.1 document of the API, written as Python data.

Served at ``/api/openapi.json``; ``docs/api.md`` is generated from it by
``manage.py api_reference``, and a test checks the two agree.
"""

from __future__ import annotations

from typing import Any

from parley.core.engine import EVENTS, EventKind
from parley.core.procedure import Side, StepAction

TEXT = {"type": "string"}
MAYBE_TEXT = {"type": ["string", "null"]}
WHEN = {"type": "string", "format": "date-time"}
MAYBE_WHEN = {"type": ["string", "null"], "format": "date-time"}
ID = {"type": "integer", "minimum": 1}
ERROR_CODES = [
    "validation_failed",
    "unauthorised",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "too_large",
    "conflict",
    "refused",
    "precondition_required",
    "server_error",
]
ACTION_KINDS = sorted(
    kind.value
    for kind, spec in EVENTS.items()
    if not spec.system and kind not in (EventKind.RAISED, EventKind.EVIDENCE_ATTACHED)
)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], *, required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


def closed(properties: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly these properties, all present."""
    return {**obj(properties), "additionalProperties": False}


def listing(item: str, *, paged: bool = False) -> dict[str, Any]:
    properties: dict[str, Any] = {"results": {"type": "array", "items": ref(item)}}
    if paged:
        properties["next_cursor"] = {
            "type": ["string", "null"],
            "description": "Pass as `cursor` for the next page; null on the last page.",
        }
    return obj(properties)


PERSON_REF = {"oneOf": [obj({"id": ID, "name": TEXT}), {"type": "null"}]}
AGENCY_REF = obj({"id": ID, "name": TEXT})

SUMMARY_PROPERTIES: dict[str, Any] = {
    "reference": TEXT,
    "procedure": obj({"id": TEXT, "version": TEXT}),
    "track": TEXT,
    "status": {"type": "string", "enum": ["open", "resolved", "closed", "withdrawn"]},
    "route": {"type": "string", "enum": ["standard", "immediate-risk"]},
    "stage": TEXT,
    "stage_number": {"type": "integer"},
    "stage_entered_at": WHEN,
    "raised_at": WHEN,
    "raised_by": PERSON_REF,
    "raising_agency": AGENCY_REF,
    "other_agency": AGENCY_REF,
    "other_professional": PERSON_REF,
    "other_professional_name": TEXT,
    "category": TEXT,
    "summary": TEXT,
    "next_due_at": MAYBE_WHEN,
    "resolved_at": MAYBE_WHEN,
    "closed_at": MAYBE_WHEN,
    "version": {
        "type": "integer",
        "minimum": 0,
        "description": "How many entries its record has: send it back with an action.",
    },
}

SCHEMAS: dict[str, Any] = {
    "Error": obj(
        {
            "error": obj(
                {
                    "code": {"type": "string", "enum": ERROR_CODES},
                    "message": {"type": "string", "description": "Plain English."},
                    "fields": {
                        "type": "object",
                        "description": "For validation_failed: each field's problems.",
                        "additionalProperties": {"type": "array", "items": TEXT},
                    },
                }
            )
        }
    ),
    "DisagreementSummary": obj(SUMMARY_PROPERTIES),
    "Disagreement": obj(
        SUMMARY_PROPERTIES
        | {
            "your_actions": {
                "type": "array",
                "items": {"type": "string", "enum": ACTION_KINDS},
                "description": "The actions you may take on it now (the case page's offer).",
            },
            "holders": {
                "type": "array",
                "description": (
                    "Who holds it now: for each side the stage names, its roles and the "
                    "steps that side still owes."
                ),
                "items": obj(
                    {
                        "side": {"type": "string", "enum": ["raising", "other", "partnership"]},
                        "roles": {"type": "array", "items": TEXT},
                        "steps": {"type": "array", "items": TEXT},
                    }
                ),
            },
            "raised_on_behalf_of": TEXT,
            "evidence": TEXT,
            "outcome_sought": TEXT,
            "outcome": TEXT,
            "outstanding": TEXT,
            "subject": obj(
                {
                    "name": TEXT,
                    "date_of_birth": {"type": ["string", "null"], "format": "date"},
                    "nhs_number": TEXT,
                    "client_reference": TEXT,
                    "gp": TEXT,
                }
            ),
            "raising_team": TEXT,
        }
    ),
    "Event": obj(
        {
            "sequence": {"type": "integer"},
            "kind": TEXT,
            "label": TEXT,
            "at": WHEN,
            "actor": PERSON_REF,
            "stage": TEXT,
            "data": {"type": "object"},
        }
    ),
    "Deadline": obj(
        {
            "key": TEXT,
            "kind": {"type": "string", "enum": ["step", "stage", "cap", "overall"]},
            "label": TEXT,
            "stage": TEXT,
            "step": TEXT,
            "due": WHEN,
            "by": TEXT,
            "advisory": {"type": "boolean"},
            "met_at": MAYBE_WHEN,
            "rule": {"type": "string", "description": "The procedure's rule, as it words it."},
            "explanation": {
                "type": "string",
                "description": "How the date was worked out, naming any holidays skipped.",
            },
        }
    ),
    "ActionTaken": obj(
        {
            "disagreement": ref("Disagreement"),
            "events": {
                "type": "array",
                "items": obj(
                    {"sequence": {"type": "integer"}, "kind": TEXT, "at": WHEN, "stage": TEXT}
                ),
            },
        }
    ),
    "Procedure": obj({"id": TEXT, "version": TEXT, "name": TEXT}),
    "ProcedureLadder": obj(
        {
            "id": TEXT,
            "version": TEXT,
            "name": TEXT,
            "tracks": {"type": "array", "items": ref("Track")},
        }
    ),
    # A procedure's ladder as its file gives it (docs/procedure-format.md): typed, so that
    # a generated client has a class for each part rather than a dictionary.
    "Track": closed(
        {
            "id": TEXT,
            "name": TEXT,
            "description": TEXT,
            "stages": {"type": "array", "items": ref("Stage")},
        }
    ),
    "Stage": closed(
        {
            "id": TEXT,
            "number": {
                "type": "integer",
                "minimum": 0,
                "description": "As the procedure numbers it; an informal stage is 0.",
            },
            "name": TEXT,
            "informal": {"type": "boolean"},
            "within": {"type": "string", "description": "The stage's time limit, in words."},
            "raising_side": {
                "type": "array",
                "items": TEXT,
                "description": "The roles that act for the agency that raised it.",
            },
            "other_side": {
                "type": "array",
                "items": TEXT,
                "description": "The roles that act for the agency it was raised with.",
            },
            "next": {"type": ["string", "null"], "description": "The stage it escalates to."},
            "description": TEXT,
            "steps": {"type": "array", "items": ref("Step")},
        }
    ),
    "Step": closed(
        {
            "id": TEXT,
            "name": TEXT,
            "by": {"type": "string", "enum": [side.value for side in Side]},
            "action": {"type": "string", "enum": [action.value for action in StepAction]},
            "within": {"type": "string", "description": "The step's time limit, in words."},
            "advisory": {
                "type": "boolean",
                "description": "Good practice the procedure recommends, not a deadline.",
            },
        }
    ),
    "Agency": obj({"id": ID, "name": TEXT, "kind": TEXT}),
    "Person": obj(
        {
            "id": ID,
            "name": TEXT,
            "job_title": TEXT,
            "roles": {
                "type": "array",
                "items": obj({"role": TEXT, "agency": {"oneOf": [AGENCY_REF, {"type": "null"}]}}),
            },
        }
    ),
    "RaiseRequest": obj(
        {
            "procedure": {"type": "string", "description": "A procedure id from /procedures."},
            "raising_agency": ID | {"description": "An agency you work for."},
            "other_agency": ID
            | {
                "description": "The agency you disagree with; not asked under a single-agency"
                " procedure, where it is your own."
            },
            "summary": {"type": "string", "minLength": 1, "maxLength": 10000},
            "track": TEXT,
            "immediate_risk": {"type": "boolean"},
            "start_stage": TEXT,
            "informal": {"type": "boolean"},
            "on_behalf_of": {"type": "string", "maxLength": 200},
            "other_professional": ID | {"description": "Someone in the other agency."},
            "other_professional_name": {"type": "string", "maxLength": 200},
            "category": {"type": "string", "maxLength": 80},
            "evidence": {"type": "string", "maxLength": 10000},
            "outcome_sought": {"type": "string", "maxLength": 10000},
            "subject_name": {"type": "string", "maxLength": 200},
            "subject_date_of_birth": {"type": "string", "format": "date"},
            "subject_nhs_number": {"type": "string", "maxLength": 12},
            "subject_client_reference": {"type": "string", "maxLength": 60},
            "subject_gp": {"type": "string", "maxLength": 200},
            "raising_team": {
                "type": "string",
                "maxLength": 200,
                "description": "Your team, where the procedure's form asks for it.",
            },
            "answers": {
                "type": "object",
                "additionalProperties": {"type": "string", "maxLength": 200},
                "description": "The procedure's questions answered: each question's id and "
                "its answer (a date as YYYY-MM-DD, yes or no, or a choice's option id).",
            },
        },
        required=["procedure", "raising_agency", "summary"],
    ),
    "ActionRequest": obj(
        {
            "kind": {"type": "string", "enum": ACTION_KINDS},
            "text": {"type": "string", "description": "What happened (most actions)."},
            "reason": {
                "type": "string",
                "description": "Escalating, bypassing, withdrawing, shortening a time limit.",
            },
            "due": {
                "type": "string",
                "format": "date",
                "description": (
                    "Shortening the current stage's time limit (limit-shortened): its new "
                    "last day, YYYY-MM-DD, before the day it ends now."
                ),
            },
            "to_stage": {"type": "string", "description": "Bypassing; some immediate-risk routes."},
            "form": {"type": "string", "description": "Acknowledging a form sent to you: its id."},
            "priority": {
                "type": "string",
                "description": "Setting the priority (priority-set): the id of one of the stage's.",
            },
            "outcome": {"type": "string", "description": "Resolving: the written outcome."},
            "outstanding": {
                "type": "string",
                "description": "Resolving: how outstanding issues will be pursued.",
            },
            "agreed": {"type": "boolean", "description": "Discussions, responses, meetings."},
            "chaired_by": {"type": "string", "description": "Meetings: who chaired it."},
            "by": {
                "type": "string",
                "description": "Views recorded: who gave them (the person, or a representative).",
            },
            "adviser": {
                "type": "string",
                "description": "Asking an adviser: the adviser's role, such as designated-doctor.",
            },
            "agency": {
                "type": "string",
                "description": "Adding an agency involved: the agency's id, from the directory.",
            },
            "present": {"type": "string", "description": "Meetings: who was there."},
            "visibility": {
                "type": "string",
                "enum": ["all", "raising", "other"],
                "description": "Notes: everyone who sees the case, or your own side only.",
            },
            "version": {
                "type": "integer",
                "minimum": 0,
                "description": (
                    "The version of the case you are acting on (its `version`, or the ETag "
                    "of a read). Give this or an If-Match header."
                ),
            },
        },
        required=["kind"],
    ),
}

ERRORS = {
    "default": {
        "description": "Any error, in the one error shape.",
        "content": {"application/json": {"schema": ref("Error")}},
    }
}


def answer(description: str, schema: str, status: str = "200") -> dict[str, Any]:
    return {
        status: {
            "description": description,
            "content": {"application/json": {"schema": ref(schema)}},
        }
    } | ERRORS


def query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or TEXT,
    }


def in_path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": TEXT,
    }


REFERENCE = in_path("reference", "The disagreement's reference, e.g. TWSP-000012.")


def body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}


PATHS: dict[str, Any] = {
    "/api/v1/disagreements": {
        "get": {
            "operationId": "disagreements_list",
            "summary": "The disagreements you can see, newest first.",
            "description": "The same disagreements as the register page shows you. Scope: read.",
            "parameters": [
                query(
                    "status",
                    "Only these.",
                    {"type": "string", "enum": ["open", "resolved", "closed", "withdrawn"]},
                ),
                query("procedure", "Only this procedure's (its id)."),
                query("stage", "Only those now at this stage (its id)."),
                query(
                    "limit",
                    "How many to a page, 1 to 100 (25 if not given).",
                    {"type": "integer", "minimum": 1, "maximum": 100},
                ),
                query("cursor", "The next_cursor of the previous page."),
            ],
            "responses": answer("A page of disagreements.", "DisagreementList"),
        },
        "post": {
            "operationId": "disagreements_raise",
            "summary": "Raise a disagreement.",
            "description": (
                "The same questions as the raise pages. Send an `Idempotency-Key` header to "
                "make a repeated request return the disagreement the first one raised "
                "(200 instead of 201). Scope: write."
            ),
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "Printable text, up to 200 characters, one per disagreement.",
                    "schema": {"type": "string", "maxLength": 200},
                }
            ],
            "requestBody": body("RaiseRequest"),
            "responses": answer("Raised.", "Disagreement", "201")
            | answer("Raised earlier with this Idempotency-Key.", "Disagreement", "200"),
        },
    },
    "/api/v1/disagreements/{reference}": {
        "get": {
            "operationId": "disagreement_get",
            "summary": "One disagreement.",
            "description": "Not found whether it does not exist or you cannot see it. Scope: read.",
            "parameters": [REFERENCE],
            "responses": answer("The disagreement.", "Disagreement"),
        }
    },
    "/api/v1/disagreements/{reference}/events": {
        "get": {
            "operationId": "disagreement_events",
            "summary": "Its record: every event, oldest first.",
            "description": "Scope: read.",
            "parameters": [REFERENCE],
            "responses": answer("The events.", "EventList"),
        }
    },
    "/api/v1/disagreements/{reference}/deadlines": {
        "get": {
            "operationId": "disagreement_deadlines",
            "summary": "Its deadlines, each with how it was worked out.",
            "description": "Scope: read.",
            "parameters": [REFERENCE],
            "responses": answer("The deadlines.", "DeadlineList"),
        }
    },
    "/api/v1/disagreements/{reference}/actions": {
        "post": {
            "operationId": "disagreement_act",
            "summary": "Take an action: record a discussion, escalate, resolve, close …",
            "description": (
                "The same rules as the case pages. Say which version of the case you are "
                "acting on, with an If-Match header (the ETag a read gave) or a `version` "
                "field: without either the call is refused (428); if the case has moved on "
                "since (someone escalated it, say), it is refused (409) saying where it is "
                "now. An action the procedure does not allow you now is refused (422) with "
                "the reason. Send an `Idempotency-Key` header to make a retry safe: the "
                "same key returns the first result and records nothing twice. Evidence "
                "files are attached through the page. Scope: write."
            ),
            "parameters": [
                REFERENCE,
                {
                    "name": "If-Match",
                    "in": "header",
                    "required": False,
                    "description": 'The ETag of the case as you read it, e.g. "7".',
                    "schema": {"type": "string", "maxLength": 20},
                },
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "Your own key for this action; a retry sends it again.",
                    "schema": {"type": "string", "maxLength": 200},
                },
            ],
            "requestBody": body("ActionRequest"),
            "responses": answer("Done.", "ActionTaken", "201"),
        }
    },
    "/api/v1/procedures": {
        "get": {
            "operationId": "procedures_list",
            "summary": "Your partnership's procedures.",
            "description": "Scope: read.",
            "responses": answer("The procedures.", "ProcedureList"),
        }
    },
    "/api/v1/procedures/{id}": {
        "get": {
            "operationId": "procedure_get",
            "summary": "One procedure's ladder: tracks, stages, steps and time limits.",
            "description": "Scope: read.",
            "parameters": [in_path("id", "The procedure's id, e.g. twsp.")],
            "responses": answer("The procedure.", "ProcedureLadder"),
        }
    },
    "/api/v1/directory/agencies": {
        "get": {
            "operationId": "agencies_list",
            "summary": "Your partnership's agencies.",
            "description": "Scope: read.",
            "responses": answer("The agencies.", "AgencyList"),
        }
    },
    "/api/v1/directory/people": {
        "get": {
            "operationId": "people_list",
            "summary": "Your partnership's people and their roles.",
            "description": "Business managers and administrators only. Scope: read.",
            "responses": answer("The people.", "PersonList"),
        }
    },
}

LISTS = {
    "DisagreementList": listing("DisagreementSummary", paged=True),
    "EventList": listing("Event"),
    "DeadlineList": listing("Deadline"),
    "ProcedureList": listing("Procedure"),
    "AgencyList": listing("Agency"),
    "PersonList": listing("Person"),
}

DESCRIPTION = """\
Connect your agency's case system to Parley. Every call sees and changes exactly what
you could through the pages, under the same rules, and is recorded in the same audit
trail.

**Tokens.** Send a personal access token: `Authorization: Bearer parley_…`. Tokens have
scopes (`read`, `write`), expire within a year, and can be revoked at any time. A missing,
unknown, expired or revoked token gets 401; a token without the scope a call needs gets
403.

**Errors.** Every error has the same shape:
`{"error": {"code": "...", "message": "...", "fields": {"name": ["..."]}}}`. Codes:
`validation_failed` (400), `unauthorised` (401), `forbidden` (403), `not_found` (404),
`method_not_allowed` (405), `conflict` (409: the case has moved on since the version
you acted on, and where it is now), `too_large` (413: a body over 2.5 MB), `refused` (422:
the procedure does not allow it, with the reason), `precondition_required` (428: an action
sent without the version it acts on), `server_error` (500). A body that is not a JSON
object, is nested more than 20 deep, or holds a null character is `validation_failed`.

**Versions.** A case's `version` is how many entries its record has; a read of one case
also gives it as the ETag. Every action says which version it acts on, so two people (or
two retries) can never move a case on twice without knowing.
"""


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Parley API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "security": [{"token": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal access token.",
                }
            },
            "schemas": SCHEMAS | LISTS,
        },
    }
