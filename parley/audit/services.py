"""The audit trail's one door: every view, download, export, sign-in and change is recorded here.

Interface fixed for other apps; the hash-chained implementation lands with the audit app.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from parley.cases.models import Disagreement, Person


def audit_record(
    *,
    action: str,
    request: HttpRequest | None = None,
    person: Person | None = None,
    disagreement: Disagreement | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Record who did what, when, from where. ``action`` is one of ``ACTIONS``."""
    return None


ACTIONS = {
    "case.view": "Looked at a disagreement",
    "case.download": "Downloaded a document of a disagreement",
    "case.change": "Changed a disagreement",
    "case.raise": "Raised a disagreement",
    "case.refused": "Was refused access to a disagreement",
    "register.view": "Looked at the register",
    "register.export": "Exported the register",
    "report.view": "Looked at a report",
    "report.export": "Exported a report",
    "signin": "Signed in",
    "signin.failed": "Failed to sign in",
    "signin.locked": "Was locked out",
    "signout": "Signed out",
    "role.change": "Changed a person's roles",
    "directory.import": "Imported the directory",
    "directory.export": "Exported the directory",
    "audit.view": "Looked at who has looked at a disagreement",
    "retention.purge": "Removed data past its retention period",
    "subject-access.export": "Exported everything held about a person",
}
