"""The skeleton pages answer, with the GOV.UK page template."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_home_page(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Parley" in html
    assert '<h1 class="govuk-heading-l">Procedures</h1>' in html
    assert 'class="govuk-skip-link"' in html
    assert "/assets/govuk-frontend/govuk-frontend.min.css" in html
    assert '<script type="module" src="/assets/parley/init.js">' in html


def test_home_page_lists_procedures(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from parley.web import views

    row = views.ProcedureRow(
        name="Child protection conference",
        partnership="Example Safeguarding Partnership",
        version="2.1",
        scope="Children",
    )
    monkeypatch.setattr(views, "loaded_procedures", lambda: [row])
    html = client.get("/").content.decode()
    assert "Child protection conference" in html
    assert "Example Safeguarding Partnership" in html
    assert 'class="govuk-table"' in html


def test_healthz(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")


def test_page_not_found(client: Client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "govuk-template__body" in html


def test_server_error_page() -> None:
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


def test_no_inline_scripts(client: Client) -> None:
    # A strict Content-Security-Policy is coming: every <script> has a src.
    html = client.get("/").content.decode()
    assert html.count("<script") == html.count("<script src=") + html.count(
        '<script type="module" src='
    )
