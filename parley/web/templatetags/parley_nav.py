"""The service navigation: the pages this person can use, the current one marked.

The context for parley/web/govuk/service_navigation.html; parley.web.jinja renders it.
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

# (URL name, words, the URL names that count as being in that section)
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("home", "Your actions", ("home", "case_detail", "case_action")),
    (
        "raise_start",
        "Raise a disagreement",
        ("raise_start", "raise_step", "raise_check", "raise_confirmation", "raise_signpost"),
    ),
    ("register", "Register", ("register",)),
)
# Pages other parts of Parley add, if they are there (looked up by name, in order).
OPTIONAL = ((("procedure_list", "procedures"), "Procedures"),)
# Sign-out asks "are you sure?" on GET and signs out on POST, so a link is enough.
SIGN_OUT = ("accounts:sign-out",)


def _first_url(names: tuple[str, ...]) -> str:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def service_navigation(context: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return {"items": [], "sign_out": ""}
    from parley.cases.access import person_of
    from parley.web.views_cases_register import has_register_sight

    person = person_of(request)
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match else ""
    items = []
    for name, words, section in SECTIONS:
        if name == "register" and not has_register_sight(person):
            continue
        if person is None and name != "home":
            continue
        items.append({"href": reverse(name), "words": words, "active": current in section,
                      "current": current == name})  # fmt: skip
    for names, words in OPTIONAL:
        href = _first_url(names)
        if href:
            items.append({"href": href, "words": words, "active": False, "current": False})
    return {
        "items": items,
        "sign_out": _first_url(SIGN_OUT),
    }
