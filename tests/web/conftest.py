"""Fixtures for the case-work pages: the demo partnership, signed-in clients, cases."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from parley.cases import demo, services
from parley.cases.models import Agency, Disagreement, Partnership, ProcedureVersion
from parley.core.engine import EventKind

HEALTH = "Demoshire NHS Foundation Trust"
SOCIAL_CARE = "Demoshire Council Children's Services"
POLICE = "Demoshire Police"
SCHOOL = "Demoshire Academy"


_checked: dict[tuple[str, str], Any] = {}


@pytest.fixture(autouse=True)
def _procedure_files_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test loads the demo's five procedure files; parsing their YAML again every
    time is most of a test's run. The result of checking a given text never changes."""
    from parley.cases import services as case_services

    check = case_services.check_text

    def check_once(text: str, name: str = "<procedure>", **more: Any) -> Any:
        if more:  # a file that may extend another: read as it is
            return check(text, name, **more)
        key = (text, name)
        if key not in _checked:
            _checked[key] = check(text, name)
        return _checked[key]

    monkeypatch.setattr(case_services, "check_text", check_once)


@pytest.fixture
def partnership(db: None) -> Partnership:
    """Demoshire: six agencies, twenty people in every role, the five procedures."""
    return demo.demo_load(with_cases=False)


@pytest.fixture
def as_person(
    partnership: Partnership, signed_in: Callable[[str], Client]
) -> Callable[[str], Client]:
    """``as_person("nia.nurse")``: a test client signed in (both factors) as that person."""
    return signed_in


def agency(name: str) -> Agency:
    return Agency.objects.get(name=name)


def version(procedure_id: str) -> ProcedureVersion:
    return ProcedureVersion.objects.get(procedure_id=procedure_id, is_current=True)


def raise_case(
    procedure_id: str = "twsp",
    *,
    raiser: str = "nia.nurse",
    raising: str = HEALTH,
    other: str = SOCIAL_CARE,
    professional: str | None = "sam.social",
    at: datetime | None = None,
    **fields: Any,
) -> Disagreement:
    """A disagreement raised through the real service, by default health with social care."""
    fields.setdefault("summary", "The case was closed after one visit despite bruising.")
    return services.disagreement_raise(
        procedure=version(procedure_id),
        raised_by=demo.person(raiser),
        raising_agency=agency(raising),
        other_agency=agency(other),
        other_professional=demo.person(professional) if professional else None,
        at=at or timezone.now(),
        **fields,
    )


def act(case: Disagreement, username: str, kind: EventKind, **fields: Any) -> None:
    services.disagreement_act(disagreement=case, person=demo.person(username), kind=kind, **fields)


@pytest.fixture
def audited(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Every audit_record call the case-work pages make, in order: their own, and those
    the one door's audit hook makes for the changes they ask for."""
    calls: list[dict[str, Any]] = []

    def record(**kwargs: Any) -> None:
        calls.append(kwargs)

    for module in (
        "parley.web.views_cases",
        "parley.web.views_cases_register",
        "parley.audit.services",
    ):
        monkeypatch.setattr(f"{module}.audit_record", record)
    yield calls


HIDDEN = re.compile(r'<input type="hidden" name="(version|submission)"[^>]*value="([^"]*)"')


def drawn(client: Client, path: str) -> dict[str, str]:
    """The hidden fields an action page draws: the case's version and the page's key."""
    return dict(HIDDEN.findall(client.get(path).content.decode()))


def submit(client: Client, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """Open an action page and send its form, as a browser does: with the version of the
    case the page was drawn against and the key made for it."""
    return client.post(path, {**drawn(client, path), **(data or {})}, **kwargs)


def main_html(response: Any) -> str:
    """The page's <main>, to assert on what the page says rather than its chrome."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]
