"""The skeleton pages answer, with the GOV.UK page template."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.views.defaults import bad_request, permission_denied, server_error

pytestmark = pytest.mark.django_db


def test_home_page(signed_in: Any, partnership: Any) -> None:
    response = signed_in("nia.nurse").get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Parley" in html
    assert '<h1 class="govuk-heading-l">Your actions</h1>' in html
    assert 'class="govuk-skip-link"' in html
    assert '<link rel="stylesheet" href="/assets/parley/parley.css">' in html
    assert '<script type="module" src="/assets/parley/init.js">' in html


def test_healthz(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")


def test_page_not_found(signed_in: Any, partnership: Any) -> None:
    response = signed_in("nia.nurse").get("/no-such-page")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "govuk-template__body" in html


def test_server_error_page() -> None:
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


def test_no_inline_scripts_or_styles(signed_in: Any, partnership: Any) -> None:
    # A strict Content-Security-Policy: every <script> has a src, and no style= or <style>.
    html = signed_in("nia.nurse").get("/").content.decode()
    assert "<style" not in html and " style=" not in html
    assert html.count("<script") == html.count("<script src=") + html.count(
        '<script type="module" src='
    )


def test_a_form_sent_without_its_security_token_gets_a_plain_page(
    signed_in: Any, partnership: Any
) -> None:
    client = signed_in("nia.nurse")
    client.handler.enforce_csrf_checks = True
    response = client.post("/raise/", {})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Sorry, that form could not be sent" in html
    assert "govuk-template__body" in html


@pytest.mark.parametrize(
    ("view", "status", "words"),
    [
        (bad_request, 400, "Sorry, Parley could not read that request"),
        (permission_denied, 403, "You do not have access to this page"),
    ],
)
def test_the_other_error_pages_are_in_the_house_style(view: Any, status: int, words: str) -> None:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    response = view(request, exception=Exception())
    assert response.status_code == status
    html = response.content.decode()
    assert words in html and "govuk-template__body" in html
