"""Helpers for the audit tests: requests as the views see them, and attacks on the trail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpRequest
from django.test import RequestFactory

from parley.cases.demo import person


def web_request(
    username: str | None,
    *,
    path: str = "/",
    method: str = "get",
    ip: str = "192.0.2.10",
    agent: str = "Mozilla/5.0 (test)",
    **meta: str,
) -> HttpRequest:
    """A request as the views see it: signed in as ``username``, or anonymous."""
    request = getattr(RequestFactory(), method)(path, REMOTE_ADDR=ip, HTTP_USER_AGENT=agent, **meta)
    request.user = person(username).user if username else AnonymousUser()
    return request


@contextmanager
def triggers_off() -> Iterator[None]:
    """Act as someone with rights over the database: go round the append-only triggers.

    Inside the test's transaction, so the triggers are back for the next test.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in ("audit_entry", "audit_checkpoint"):
                cursor.execute(f"DROP TRIGGER {name}_no_update")
                cursor.execute(f"DROP TRIGGER {name}_no_delete")
        else:
            # Django's foreign keys are checked at commit; ALTER TABLE refuses while
            # checks are pending, so run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
            cursor.execute(
                "ALTER TABLE audit_auditcheckpoint DISABLE TRIGGER audit_checkpoint_append_only"
            )
    yield


def sql(statement: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
