from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from parley.api.tokens import api_token_create
from parley.cases import demo
from parley.cases.models import Disagreement, Partnership, Person, RoleAssignment


@pytest.fixture
def demoshire(db: None) -> Partnership:
    return demo.demo_load()


@pytest.fixture
def nia_case(demoshire: Partnership) -> Disagreement:
    """Nia (health) raised it against children's social care; Sam has responded."""
    return Disagreement.objects.get(raised_by__user__username="nia.nurse")


@pytest.fixture
def outsider(demoshire: Partnership) -> Person:
    """The business manager of another partnership: sees all of theirs, none of ours."""
    other = Partnership.objects.create(name="Otherside Partnership", slug="otherside")
    user = get_user_model().objects.create_user(username="olu.other", password="x" * 16)
    person = Person.objects.create(
        user=user, partnership=other, name="Olu Other", email="olu@otherside.example"
    )
    RoleAssignment.objects.create(person=person, agency=None, role="business-manager")
    return person


Api = Callable[..., Any]


def bearer(person: Person, scopes: tuple[str, ...] = ("read", "write")) -> str:
    return api_token_create(person=person, name="test", scopes=list(scopes), days=30).secret


@pytest.fixture
def api(client: Client) -> Api:
    """``api("nia.nurse", "get", "/api/v1/...", json=...)``: a call with a fresh token."""

    def call(
        who: str | Person,
        method: str,
        path: str,
        json: Any = None,
        scopes: tuple[str, ...] = ("read", "write"),
        **headers: str,
    ) -> Any:
        person = who if isinstance(who, Person) else demo.person(who)
        send = getattr(client, method)
        extra = {"headers": {"Authorization": f"Bearer {bearer(person, scopes)}", **headers}}
        if json is not None:
            return send(path, json, content_type="application/json", **extra)
        return send(path, **extra)

    return call
