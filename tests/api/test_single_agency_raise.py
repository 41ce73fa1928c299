"""Raising through the API under a single-agency procedure: no other agency is needed,
the other side is the raiser's own agency."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from parley.cases import services
from parley.cases.models import Disagreement, Partnership, Person, RoleAssignment

from .conftest import Api

pytestmark = pytest.mark.django_db
FILE = Path(__file__).resolve().parents[1] / "procedures" / "iro-alerts.yaml"


def test_a_reviewing_officer_raises_without_naming_another_agency(
    api: Api, demoshire: Partnership
) -> None:
    services.procedure_publish(
        partnership=demoshire, text=FILE.read_text(encoding="utf-8"),
        source_name=FILE.name, by=None, via="command",
    )  # fmt: skip
    council = demoshire.agencies.get(name="Demoshire Council Children's Services")
    user = get_user_model().objects.create_user("ira.iro", "ira@example.org", "x")
    officer = Person.objects.create(
        user=user, partnership=demoshire, name="Ira", email="ira@example.org"
    )
    RoleAssignment.objects.create(person=officer, agency=council, role="reviewing-officer")
    body = {"procedure": "iro-alerts", "raising_agency": council.pk, "summary": "Plan drift."}

    response = api(officer, "post", "/api/v1/disagreements", json=body)

    assert response.status_code == 201, response.json()
    case = Disagreement.objects.get(reference=response.json()["reference"])
    assert case.raising_agency == case.other_agency == council
    assert response.json()["other_agency"]["id"] == council.pk
