"""The skeleton pages answer, with the GOV.UK page template."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_home_page(signed_in: Any, partnership: Any) -> None:
    response = signed_in("nia.nurse").get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Parley" in html
    assert '<h1 class="govuk-heading-l">Your actions</h1>' in html
    assert 'class="govuk-skip-link"' in html
    assert "/assets/govuk-frontend/govuk-frontend.min.css" in html
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
