"""How the audit pages write times and actions: the ``when`` and ``action_label`` filters."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from parley.audit.services import ACTIONS


def when(value: datetime | None) -> str:
    """GOV.UK style, to the second: "27 March 2026 at 2:05:31pm"."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    hour = local.hour % 12 or 12
    half = "am" if local.hour < 12 else "pm"
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M:%S}{half}"


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)
