"""Bodies the API cannot use are refused in its one error shape, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from parley.cases.models import Disagreement, Partnership
from tests.api.conftest import Api

LIST = "/api/v1/disagreements"


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:200])
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    return body["error"]


def _raw(api: Api, who: str, data: bytes, path: str = LIST):
    """A POST of these bytes as the body, with a fresh token of ``who``."""
    from parley.api.tokens import api_token_create
    from parley.cases import demo

    secret = api_token_create(
        person=demo.person(who), name="t", scopes=["read", "write"], days=1
    ).secret
    return Client().post(
        path, data, content_type="application/json", headers={"Authorization": f"Bearer {secret}"}
    )


def test_json_nested_a_hundred_thousand_deep_is_a_400(api: Api, demoshire: Partnership) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    error = error_of(_raw(api, "nia.nurse", deep), 400, "validation_failed")
    assert "nested" in error["message"]


def test_a_deep_object_is_a_400_too(api: Api, demoshire: Partnership) -> None:
    body: dict = {}
    inner = body
    for _ in range(200):
        inner["a"] = {}
        inner = inner["a"]
    error = error_of(_raw(api, "nia.nurse", json.dumps(body).encode()), 400, "validation_failed")
    assert "nested" in error["message"]


def test_a_body_over_the_limit_is_a_413(api: Api, demoshire: Partnership, settings) -> None:
    big = json.dumps({"summary": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}).encode()
    error = error_of(_raw(api, "nia.nurse", big), 413, "too_large")
    assert "2.5 MB" in error["message"] or "MB" in error["message"]
    assert not Disagreement.objects.filter(summary__startswith="xxxx").exists()


def test_an_action_body_over_the_limit_is_a_413(api: Api, demoshire: Partnership, settings) -> None:
    case = Disagreement.objects.get(raised_by__user__username="nia.nurse")
    big = b'{"kind": "note-added", "text": "' + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b'"}'
    error_of(_raw(api, "nia.nurse", big, f"{LIST}/{case.reference}/actions"), 413, "too_large")


@pytest.mark.parametrize(
    "data",
    [b"{", b"\xff\xfe", b"[1, 2", b'{"a": NaN}', b'"just text"', b"null", b"1e999999"],
)
def test_malformed_json_is_a_400(api: Api, demoshire: Partnership, data: bytes) -> None:
    error_of(_raw(api, "nia.nurse", data), 400, "validation_failed")


def test_the_error_codes_are_documented(demoshire: Partnership) -> None:
    from parley.api.http import STATUS
    from parley.api.schema import ERROR_CODES

    assert set(ERROR_CODES) == set(STATUS)
