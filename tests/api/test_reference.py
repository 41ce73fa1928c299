from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from django.conf import settings
from django.test import Client
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from parley.api.reference import reference_markdown
from parley.api.schema import document
from parley.cases.models import Partnership, Person
from parley.core.procedure import Side, StepAction

from .conftest import Api


def test_the_committed_reference_matches_the_schema() -> None:
    committed = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text(encoding="utf-8")
    assert committed == reference_markdown(), "run: python manage.py api_reference"


def test_the_schema_is_served_without_a_token(client: Client, db: None) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json() == document()


def test_procedures_list_and_ladder(api: Api, demoshire: Partnership) -> None:
    ids = [p["id"] for p in api("nia.nurse", "get", "/api/v1/procedures").json()["results"]]
    assert "twsp" in ids
    ladder = api("nia.nurse", "get", "/api/v1/procedures/twsp").json()
    stages = ladder["tracks"][0]["stages"]
    assert [s["number"] for s in stages] == sorted(s["number"] for s in stages)
    assert api("nia.nurse", "get", "/api/v1/procedures/nope").status_code == 404


def test_another_partnership_sees_no_procedures_of_ours(api: Api, outsider: Person) -> None:
    assert api(outsider, "get", "/api/v1/procedures").json()["results"] == []
    assert api(outsider, "get", "/api/v1/procedures/twsp").status_code == 404
    assert api(outsider, "get", "/api/v1/directory/agencies").json()["results"] == []


@pytest.mark.parametrize(
    ("who", "status"),
    [("ben.business", 200), ("ari.admin", 200), ("nia.nurse", 403), ("drew.director", 403)],
)
def test_only_business_managers_and_administrators_list_people(
    api: Api, demoshire: Partnership, who: str, status: int
) -> None:
    response = api(who, "get", "/api/v1/directory/people")
    assert response.status_code == status
    if status == 200:
        names = {p["name"] for p in response.json()["results"]}
        assert "Nia Evans" in names


def test_everyone_lists_the_agencies(api: Api, demoshire: Partnership) -> None:
    agencies = api("nia.nurse", "get", "/api/v1/directory/agencies").json()["results"]
    assert len(agencies) == 6


def test_unknown_addresses_and_methods_answer_in_the_error_shape(
    api: Api, demoshire: Partnership
) -> None:
    missing = api("nia.nurse", "get", "/api/v2/anything")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = api("nia.nurse", "delete", "/api/v1/procedures")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_a_post_needs_no_csrf_token_but_a_bearer_token(demoshire: Partnership) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/v1/disagreements", {}, content_type="application/json")
    assert response.status_code == 401


def resolved(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_the_document_is_valid_openapi_3_1_and_each_schema_valid_json_schema() -> None:
    spec = document()
    OPENAPI_31_VALIDATOR.validate(spec)  # the OpenAPI 3.1 document schema, as Schemathesis has it
    for name, schema in spec["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name  # JSON Schema 2020-12


def test_a_procedures_tracks_stages_and_steps_are_typed_not_loose_objects() -> None:
    schemas = document()["components"]["schemas"]
    ladder = schemas["ProcedureLadder"]
    track = resolved(ladder["properties"]["tracks"]["items"], schemas)
    stage = resolved(track["properties"]["stages"]["items"], schemas)
    step = resolved(stage["properties"]["steps"]["items"], schemas)
    assert stage["type"] == "object" and stage["additionalProperties"] is False
    assert {name: part.get("type") for name, part in stage["properties"].items()} == {
        "id": "string", "number": "integer", "name": "string", "informal": "boolean",
        "within": "string", "raising_side": "array", "other_side": "array",
        "next": ["string", "null"], "description": "string", "steps": "array",
    }  # fmt: skip
    assert set(stage["required"]) == set(stage["properties"])
    assert step["properties"]["by"]["enum"] == [side.value for side in Side]
    assert step["properties"]["action"]["enum"] == [action.value for action in StepAction]
    assert step["properties"]["advisory"]["type"] == "boolean"
    assert step["additionalProperties"] is False


def test_every_procedures_ladder_matches_its_typed_schema(api: Api, demoshire: Partnership) -> None:
    spec = document()
    validator = jsonschema_rs.Draft202012Validator(
        {"$ref": "#/components/schemas/ProcedureLadder", "components": spec["components"]}
    )
    for procedure in api("ben.business", "get", "/api/v1/procedures").json()["results"]:
        ladder = api("ben.business", "get", f"/api/v1/procedures/{procedure['id']}").json()
        errors = [str(error) for error in validator.iter_errors(ladder)]
        assert not errors, (procedure["id"], errors[:3])


def test_raising_through_the_api_keeps_the_team_for_the_referral_form(
    api: Api, demoshire: Partnership
) -> None:
    from parley.cases.models import Agency, Disagreement

    health = Agency.objects.get(name="Demoshire NHS Foundation Trust")
    social = Agency.objects.get(name="Demoshire Council Children's Services")
    response = api(
        "nia.nurse",
        "post",
        "/api/v1/disagreements",
        {
            "procedure": "twsp",
            "raising_agency": health.pk,
            "other_agency": social.pk,
            "summary": "Closed after one visit.",
            "raising_team": "0-19 Health Visiting Team",
        },
    )
    assert response.status_code == 201, response.content
    reference = response.json()["reference"]

    assert Disagreement.objects.get(reference=reference).raising_team == (
        "0-19 Health Visiting Team"
    )
    detail = api("nia.nurse", "get", f"/api/v1/disagreements/{reference}").json()
    assert detail["raising_team"] == "0-19 Health Visiting Team"
