"""A token stops the moment its person cannot sign in: deactivated, or locked out.

Before, an API token kept working after its person's account was deactivated (a raise
returned 201), and while the account was locked after too many wrong passwords.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from parley.accounts.lifecycle import account_deactivate, account_reactivate
from parley.accounts.models import SignInThrottle
from parley.api.models import ApiToken
from parley.api.tokens import api_token_create
from parley.audit.models import AuditEntry
from parley.cases import demo
from parley.cases.models import Agency, Disagreement, Partnership

URL = "/api/v1/disagreements"


def raise_body() -> dict[str, Any]:
    return {
        "procedure": "twsp",
        "raising_agency": Agency.objects.get(name="Demoshire NHS Foundation Trust").pk,
        "other_agency": Agency.objects.get(name="Demoshire Council Children's Services").pk,
        "summary": "Closed after one visit.",
    }


def raise_with(secret: str) -> Any:
    return Client().post(
        URL,
        raise_body(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )


@pytest.fixture
def nia_secret(demoshire: Partnership) -> str:
    return api_token_create(
        person=demo.person("nia.nurse"), name="case system", scopes=["read", "write"], days=30
    ).secret


def test_a_deactivated_persons_token_stops_at_once(nia_secret: str) -> None:
    assert raise_with(nia_secret).status_code == 201
    user = demo.person("nia.nurse").user
    user.is_active = False
    user.save(update_fields=["is_active"])
    before = Disagreement.objects.count()
    response = raise_with(nia_secret)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorised"
    assert Disagreement.objects.count() == before


def test_a_locked_out_persons_token_stops_while_the_lock_lasts(nia_secret: str) -> None:
    throttle = SignInThrottle.objects.create(
        scope=SignInThrottle.Scope.ACCOUNT,
        key="nia.nurse",
        locked_until=timezone.now() + timedelta(minutes=15),
    )
    assert raise_with(nia_secret).status_code == 401
    throttle.locked_until = timezone.now() - timedelta(seconds=1)
    throttle.save()
    assert raise_with(nia_secret).status_code == 201


def test_deactivating_ends_sessions_revokes_tokens_and_is_audited(
    nia_secret: str, signed_in: Any
) -> None:
    client = signed_in("nia.nurse")
    other = signed_in("nia.nurse")
    assert client.get("/").status_code == 200
    nia, ari = demo.person("nia.nurse"), demo.person("ari.admin")
    sessions = Session.objects.count()

    account_deactivate(person=nia, by=ari)

    assert Session.objects.count() == sessions - 2  # both of Nia's, nobody else's
    assert client.get("/").status_code == 302 and other.get("/").status_code == 302
    assert all(t.revoked_at is not None for t in ApiToken.objects.filter(person=nia))
    assert raise_with(nia_secret).status_code == 401
    entry = AuditEntry.objects.filter(action="account.deactivate").get()
    assert entry.person == ari
    assert entry.detail == {"account": "nia.nurse", "sessions_ended": 2, "tokens_revoked": 1}
    nia.user.refresh_from_db()
    assert not nia.user.is_active


def test_reactivating_lets_them_sign_in_again_but_not_with_old_tokens(nia_secret: str) -> None:
    nia, ari = demo.person("nia.nurse"), demo.person("ari.admin")
    account_deactivate(person=nia, by=ari)
    account_reactivate(person=nia, by=ari)
    nia.user.refresh_from_db()
    assert nia.user.is_active
    assert raise_with(nia_secret).status_code == 401  # revoked for good
    assert AuditEntry.objects.filter(action="account.reactivate", person=ari).exists()


def test_parley_account_deactivate_on_the_command_line(nia_secret: str, capsys: Any) -> None:
    from parley.accounts.cli import account_deactivate_command

    assert account_deactivate_command(["nia.nurse"]) == 0
    assert "nia.nurse" in capsys.readouterr().out
    assert raise_with(nia_secret).status_code == 401
