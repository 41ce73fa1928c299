"""Which partnership pages a role opens: its column of the roles table (pure)."""

from __future__ import annotations

import pytest

from parley.core.roles import PAGES, opens_page
from parley.core.roletable import STANDARD_ROLES


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", sorted(STANDARD_ROLES))
def test_a_standard_role_opens_the_pages_its_columns_give(role: str, page: str) -> None:
    assert opens_page(role, page) is getattr(STANDARD_ROLES[role], page)


def test_the_business_manager_opens_reports_and_the_administrator_the_trail() -> None:
    assert opens_page("business-manager", "reports")
    assert {p for p in PAGES if opens_page("administrator", p)} == {
        "directory",
        "accounts",
        "audit",
        "notifications",
    }


def test_a_procedures_own_role_opens_the_register_only() -> None:
    assert {p for p in PAGES if opens_page("twsp-executive", p)} == {"register"}


def test_an_unknown_page_is_opened_by_nobody() -> None:
    assert not opens_page("business-manager", "anything")
