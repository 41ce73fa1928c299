"""Pages that showed people or cases without a trace are now recorded before they are shown.

Before: the home page, the directory, the API's list of people, the notification pages
and a change to the reports' small-number threshold wrote no audit entry.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from parley.api.tokens import api_token_create
from parley.audit.models import AuditEntry
from parley.cases.demo import person

pytestmark = pytest.mark.django_db


def last(action: str) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action).order_by("sequence").last()
    assert entry is not None, f"no {action} entry"
    return entry


@pytest.mark.parametrize(
    ("username", "path", "action"),
    [
        ("nia.nurse", "/", "home.view"),
        ("ari.admin", "/directory/", "directory.view"),
        ("ari.admin", "/notifications/", "notifications.view"),
        ("nia.nurse", "/notifications/mine/", "notifications.view"),
    ],
)
def test_a_page_is_recorded_when_shown(
    signed_in: Any, partnership: Any, username: str, path: str, action: str
) -> None:
    response = signed_in(username).get(path)
    assert response.status_code == 200
    entry = last(action)
    assert entry.person == person(username)
    assert entry.path == path


def test_the_api_list_of_people_is_recorded(partnership: Any) -> None:
    secret = api_token_create(
        person=person("ben.business"), name="t", scopes=["read"], days=1
    ).secret
    response = Client().get(
        "/api/v1/directory/people", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    entry = last("directory.view")
    assert entry.person == person("ben.business")
    assert entry.detail == {"api": True}


def test_changing_the_small_number_threshold_is_recorded(signed_in: Any, partnership: Any) -> None:
    response = signed_in("ben.business").post("/reports/settings/", {"suppression_threshold": "7"})
    assert response.status_code == 302
    entry = last("report.settings")
    assert entry.person == person("ben.business")
    assert entry.detail == {"suppression_threshold": {"from": 5, "to": 7}}
