"""In development (DEBUG on) a missing or hidden page is the house's "Page not found",
as in production, never Django's debug page listing every address of the service."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from tests.web.conftest import raise_case

DEBUG_PAGE = "Using the URLconf defined in"


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    "address", ["/no-such-page/", "/cases/TWSP-999999/", "/reports/no-such-procedure/"]
)
def test_a_missing_page_is_the_house_page_in_development_and_production(
    signed_in: Any, partnership: Any, debug: bool, address: str
) -> None:
    with override_settings(DEBUG=debug):
        response = signed_in("nia.nurse").get(address)
    assert response.status_code == 404
    html = response.content.decode()
    assert DEBUG_PAGE not in html
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in html


@pytest.mark.parametrize("debug", [True, False])
def test_a_case_you_may_not_see_is_the_house_page_not_found(
    signed_in: Any, partnership: Any, debug: bool
) -> None:
    case = raise_case()
    with override_settings(DEBUG=debug):
        response = signed_in("pat.police").get(f"/cases/{case.reference}/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "urlpatterns" not in response.content.decode()


@pytest.mark.parametrize("debug", [True, False])
def test_a_page_for_other_roles_is_the_house_page(
    signed_in: Any, partnership: Any, debug: bool
) -> None:
    with override_settings(DEBUG=debug):
        response = signed_in("nia.nurse").get("/audit/")
    assert response.status_code in (403, 404)
    html = response.content.decode()
    assert DEBUG_PAGE not in html and "Traceback" not in html
    assert "govuk-heading-l" in html


def test_an_address_without_its_last_slash_still_leads_to_the_page(
    signed_in: Any, partnership: Any
) -> None:
    with override_settings(DEBUG=True):
        response = signed_in("nia.nurse").get("/procedures")
    assert response.status_code == 301
    assert response["Location"] == "/procedures/"
