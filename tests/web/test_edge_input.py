"""A NUL character anywhere in a request is refused at the edge: 400, never a 500.

PostgreSQL refuses NUL in text, so before the check a NUL that reached a query was a
server error there (and on SQLite a search for nothing). Each request below was a 500 on
PostgreSQL, or (the register's CSV) a 200 that died after its header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from parley.api.tokens import api_token_create
from parley.audit.models import AuditEntry
from parley.cases import demo
from parley.cases.models import Disagreement
from tests.web.conftest import HEALTH, SOCIAL_CARE, agency, main_html, raise_case

pytestmark = pytest.mark.django_db

HOUSE_400 = "Sorry, Parley could not read that request"


@pytest.fixture
def case(partnership: Any) -> Disagreement:
    return raise_case()


def assert_house_400(response: Any) -> None:
    assert response.status_code == 400, response.status_code
    assert HOUSE_400 in response.content.decode()
    # The headers every page carries, on the refusal too.
    assert "Content-Security-Policy" in response


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("ben.business", "/register/?procedure=%00"),
        ("ben.business", "/register/?stage=%00"),
        ("ben.business", "/register/?%00=twsp"),
        ("ben.business", "/register.csv?procedure=%00"),
        ("ben.business", "/reports/twsp/cases/?figure=raised&category=%00"),
        ("nia.nurse", "/cases/{reference}/evidence/%00/"),
        ("nia.nurse", "/cases/{reference}%00/"),
        ("nia.nurse", "/?all=%00"),
        ("ari.admin", "/audit/?person=%00"),
        ("ari.admin", "/notifications/?status=%00"),
    ],
)
def test_a_nul_in_the_address_is_a_400_with_the_house_page(
    as_person: Callable[[str], Client], case: Disagreement, who: str, path: str
) -> None:
    response = as_person(who).get(path.format(reference=case.reference))
    assert_house_400(response)


def test_a_nul_in_a_form_is_a_400_and_nothing_is_saved(
    as_person: Callable[[str], Client], case: Disagreement
) -> None:
    before = case.events.count()
    response = as_person("sam.social").post(
        f"/cases/{case.reference}/respond/", {"text": "Reply\x00 with a NUL"}
    )
    assert_house_400(response)
    assert case.events.count() == before


def test_a_nul_in_a_form_field_name_is_a_400(as_person: Callable[[str], Client]) -> None:
    assert_house_400(as_person("nia.nurse").post("/raise/", {"x\x00": "1"}))


def test_a_nul_on_the_sign_in_page_is_a_400(partnership: Any) -> None:
    response = Client().post("/sign-in/", {"username": "nia\x00.nurse", "password": "x"})
    assert_house_400(response)
    assert not AuditEntry.objects.filter(action="signin.failed").exists()


def test_a_nul_in_a_header_is_a_400(as_person: Callable[[str], Client]) -> None:
    assert_house_400(as_person("nia.nurse").get("/", headers={"User-Agent": "Evil\x00Agent"}))


def test_a_nul_in_the_session_cookie_is_a_400(partnership: Any) -> None:
    client = Client(HTTP_COOKIE="sessionid=abc\x00def")
    assert_house_400(client.get("/"))


def test_a_nul_in_any_cookie_is_a_400(as_person: Callable[[str], Client]) -> None:
    client = as_person("nia.nurse")
    response = client.get("/", HTTP_COOKIE=f"{client.cookies.output(header='', sep=';')}; x=a\x00b")
    assert_house_400(response)


@pytest.mark.parametrize("character", [b"\x00", b"\x01", b"\x1b"])
def test_a_nul_or_control_character_in_uploaded_text_is_a_400_saying_where(
    as_person: Callable[[str], Client], character: bytes
) -> None:
    """An uploaded file is read as text by its own page, which refuses it with an error
    message: a file with a NUL may be a PDF or a picture, which the edge cannot tell."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = b"id: twsp\nname: x" + character + b"\n"
    upload = SimpleUploadedFile("twsp.yaml", data, content_type="text/yaml")
    response = as_person("ben.business").post("/reports/twsp/what-if/", {"file": upload})
    assert response.status_code == 400
    page = main_html(response)
    assert "There is a problem" in page
    assert "Line 2" in page and "a character a procedure file cannot contain" in page


# --- the API answers in its own error shape ---------------------------------------------


def api_error(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.status_code
    assert response["Content-Type"] == "application/json"
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == "validation_failed"
    return error


def test_a_bearer_token_with_a_nul_is_a_400_in_the_api_shape(partnership: Any) -> None:
    response = Client().get(
        "/api/v1/disagreements", headers={"Authorization": "Bearer parley_ab\x00cd_secret"}
    )
    assert "Authorization" in api_error(response)["fields"]


def test_a_nul_in_an_api_query_names_the_parameter(partnership: Any) -> None:
    secret = api_token_create(
        person=demo.person("ben.business"), name="t", scopes=["read"], days=1
    ).secret
    response = Client().get(
        "/api/v1/disagreements?procedure=%00", headers={"Authorization": f"Bearer {secret}"}
    )
    assert api_error(response)["fields"] == {
        "procedure": ["procedure must not contain a null character"]
    }


def test_a_nul_anywhere_in_a_json_body_is_a_400(partnership: Any) -> None:
    nia = demo.person("nia.nurse")
    secret = api_token_create(person=nia, name="t", scopes=["read", "write"], days=1).secret
    body = {
        "procedure": "twsp",
        "raising_agency": agency(HEALTH).pk,
        "other_agency": agency(SOCIAL_CARE).pk,
        "summary": "A summary",
        "extra": {"deep": ["fine", "not\x00fine"]},
    }
    response = Client().post(
        "/api/v1/disagreements",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    api_error(response)
    assert not Disagreement.objects.exists()


def test_ordinary_unicode_passes_the_edge(as_person: Callable[[str], Client]) -> None:
    response = as_person("ben.business").get("/register/?stage=Zo%C3%AB%20%F0%9F%91%A9")
    assert response.status_code == 200
    assert "Register" in main_html(response) or response.status_code == 200
