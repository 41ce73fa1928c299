"""The service navigation: the pages this person can use, the current one marked.

The menu is the list :data:`MENU`: one entry a page. Whether a person sees an entry is
asked of the roles table through :func:`parley.cases.access.has_page`, the same question
the page itself asks, so the menu never keeps its own list of roles. An entry whose page
is not there (its URL name does not resolve) is left out.

The context for parley/web/govuk/service_navigation.html; parley.web.jinja renders it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse


@dataclass(frozen=True)
class Entry:
    url_name: str
    words: str
    # The roles table's column that opens the page (parley.core.roles.PAGES); None: every
    # person of a partnership.
    page: str | None = None
    # The views (namespaced URL names) that count as being in this part of the service.
    section: tuple[str, ...] = ()


MENU: tuple[Entry, ...] = (
    Entry("home", "Your actions", None, ("home", "case_detail", "case_action")),
    Entry(
        "raise_start",
        "Raise a disagreement",
        None,
        ("raise_start", "raise_step", "raise_check", "raise_confirmation", "raise_signpost"),
    ),
    Entry("register", "Register", "register"),
    Entry(
        "reports:index",
        "Reports",
        "reports",
        ("reports:report", "reports:period", "reports:cases", "reports:what_if"),
    ),
    Entry(
        "reports:learning",
        "Learning log",
        "reports",
        ("reports:learning_item", "reports:learning_add"),
    ),
    Entry("notifications:list", "Notifications", "notifications"),
    Entry("audit:entries", "Audit", "audit", ("audit:refusals", "audit:case_viewers")),
    Entry("directory:list", "Directory", "directory", ("directory:person",)),
    Entry(
        "procedure_list",
        "Procedures",
        None,
        (
            "procedure_detail",
            "procedure_dates",
            "publishing_versions",
            "publishing_new",
            "publishing_publish",
            "publishing_download",
            "publishing_move",
        ),
    ),
    Entry("reports:settings", "Settings", "settings"),
    Entry("closure_list", "Closure days", "settings", ("closure_add", "closure_remove")),
)
# Sign-out asks "are you sure?" on GET and signs out on POST, so a link is enough.
SIGN_OUT = "accounts:sign-out"


def _url(name: str) -> str:
    """The address of a page without arguments: worked out once per process for each
    prefix and URL configuration, not on every page (docs/performance.md)."""
    return _address(name, get_script_prefix(), get_urlconf())


@functools.lru_cache(maxsize=256)
def _address(name: str, prefix: str, urlconf: Any) -> str:
    try:
        return reverse(name, urlconf=urlconf)
    except NoReverseMatch:
        return ""


def entries_for(person: Any) -> list[Entry]:
    """The menu's entries this person may open (a person of a partnership)."""
    from parley.cases.access import has_page

    return [e for e in MENU if e.page is None or has_page(person, e.page)]


def service_navigation(context: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return {"items": [], "sign_out": ""}
    from parley.cases.access import person_of

    person = person_of(request)
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    entries = entries_for(person) if person is not None else MENU[:1]
    items = []
    for entry in entries:
        href = _url(entry.url_name)
        if not href:
            continue
        here = current == entry.url_name
        items.append(
            {
                "href": href,
                "words": entry.words,
                "current": here,
                "active": here or current in entry.section,
            }
        )
    return {"items": items, "sign_out": _url(SIGN_OUT)}
