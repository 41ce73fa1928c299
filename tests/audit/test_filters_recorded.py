"""Lists record the names of the filters used, never their values (docs/audit.md).

Before, ``GET /api/v1/disagreements?child_name=…`` wrote its whole query string into the
permanent trail, and the register wrote the values of its filters.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from parley.api.tokens import api_token_create
from parley.audit.models import AuditEntry
from parley.cases.demo import person

pytestmark = pytest.mark.django_db

NAME = "Jane Secretchild"


def entry_text(action: str) -> tuple[AuditEntry, str]:
    entry = AuditEntry.objects.filter(action=action).order_by("sequence").last()
    assert entry is not None
    return entry, " ".join(str(v) for v in (entry.path, entry.detail, entry.user_agent))


def test_the_api_list_records_filter_names_only(partnership: Any) -> None:
    secret = api_token_create(person=person("ben.business"), name="t", scopes=["read"], days=1)
    response = Client().get(
        "/api/v1/disagreements",
        {"child_name": NAME, "procedure": "twsp", "status": "open", "limit": "5"},
        headers={"Authorization": f"Bearer {secret.secret}"},
    )
    assert response.status_code == 200
    entry, text = entry_text("register.view")
    assert "Jane" not in text and "Secretchild" not in text and "twsp" not in text
    assert entry.detail == {"filters": ["limit", "procedure", "status"], "api": True}


@pytest.mark.parametrize(
    ("path", "action"), [("/register/", "register.view"), ("/register.csv", "register.export")]
)
def test_the_register_records_filter_names_only(
    signed_in: Any, partnership: Any, path: str, action: str
) -> None:
    response = signed_in("ben.business").get(
        path, {"procedure": "twsp", "stage": NAME, "overdue": "yes", "q": NAME}
    )
    assert response.status_code == 200
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    entry, text = entry_text(action)
    assert "Jane" not in text and "twsp" not in text
    assert entry.detail == {"filters": ["overdue", "procedure", "stage"]}
