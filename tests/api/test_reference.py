from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from parley.api.reference import reference_markdown
from parley.api.schema import document
from parley.cases.models import Partnership, Person

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
