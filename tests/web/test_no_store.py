"""Every response to someone signed in, and every API response, says Cache-Control: no-store.

Before, only documents, evidence and the register's CSV did: the case page, the register,
reports, home, the report downloads and the API's JSON could be kept by a browser or a
cache on the way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from parley.api.tokens import api_token_create
from parley.cases import demo
from parley.cases.models import Disagreement
from tests.web.conftest import raise_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(partnership: Any) -> Disagreement:
    return raise_case()


def assert_no_store(response: Any) -> None:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert "no-store" in directives, (response.status_code, response.get("Cache-Control"))
    assert "private" in directives


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("nia.nurse", "/"),
        ("nia.nurse", "/cases/{reference}/"),
        ("nia.nurse", "/cases/{reference}/note/"),
        ("nia.nurse", "/cases/NO-SUCH-CASE/"),
        ("ben.business", "/register/"),
        ("ben.business", "/register.csv"),
        ("ben.business", "/reports/"),
        ("ben.business", "/reports/twsp/"),
        ("ben.business", "/reports/twsp/report.csv"),
        ("ben.business", "/reports/twsp/report.xlsx"),
        ("ari.admin", "/audit/"),
        ("ari.admin", "/directory/"),
        ("nia.nurse", "/account/"),
        ("nia.nurse", "/procedures/"),
    ],
)
def test_every_signed_in_response_is_not_stored(
    as_person: Callable[[str], Client], case: Disagreement, who: str, path: str
) -> None:
    response = as_person(who).get(path.format(reference=case.reference))
    assert response.status_code in (200, 404)
    assert_no_store(response)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/disagreements",
        "/api/v1/disagreements/{reference}",
        "/api/v1/procedures",
        "/api/v1/nothing",
    ],
)
def test_every_api_response_is_not_stored(case: Disagreement, path: str) -> None:
    secret = api_token_create(
        person=demo.person("nia.nurse"), name="t", scopes=["read"], days=1
    ).secret
    response = Client().get(
        path.format(reference=case.reference), headers={"Authorization": f"Bearer {secret}"}
    )
    assert_no_store(response)
    assert_no_store(Client().get(path.format(reference=case.reference)))  # no token: 401


def test_static_files_and_the_health_check_may_be_cached(partnership: Any) -> None:
    response = Client().get("/healthz")
    assert "no-store" not in response.get("Cache-Control", "")
