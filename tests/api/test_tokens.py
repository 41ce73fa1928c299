from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from parley.api.models import ApiToken
from parley.api.tokens import TokenError, api_token_create, api_token_revoke
from parley.cases import demo
from parley.cases.models import Partnership

URL = "/api/v1/procedures"


def get(client: Client, secret: str) -> int:
    return client.get(URL, headers={"Authorization": f"Bearer {secret}"}).status_code


def test_the_secret_is_kept_only_as_its_sha256(demoshire: Partnership) -> None:
    made = api_token_create(
        person=demo.person("nia.nurse"), name="case system", scopes=["read"], days=30
    )
    row = ApiToken.objects.get(pk=made.token.pk)
    secret = made.secret.split("_", 2)[2]
    assert row.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.values().get(pk=row.pk).values()]
    assert not any(secret in value for value in stored)
    assert len(secret) >= 43  # 32 random bytes


def test_a_live_token_signs_in_and_is_marked_used(demoshire: Partnership, client: Client) -> None:
    made = api_token_create(person=demo.person("nia.nurse"), name="x", scopes=["read"], days=30)
    assert get(client, made.secret) == 200
    made.token.refresh_from_db()
    assert made.token.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer parley_abc_def"],
)
def test_missing_or_unknown_tokens_are_unauthorised(
    demoshire: Partnership, client: Client, header: str
) -> None:
    response = client.get(URL, headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorised"


def test_a_wrong_secret_with_a_real_prefix_is_unauthorised(
    demoshire: Partnership, client: Client
) -> None:
    made = api_token_create(person=demo.person("nia.nurse"), name="x", scopes=["read"], days=30)
    assert get(client, made.secret[:-2] + "xx") == 401


def test_an_expired_token_is_unauthorised(demoshire: Partnership, client: Client) -> None:
    made = api_token_create(
        person=demo.person("nia.nurse"),
        name="x",
        scopes=["read"],
        days=1,
        now=timezone.now() - timedelta(days=2),
    )
    assert get(client, made.secret) == 401


def test_a_revoked_token_is_unauthorised(demoshire: Partnership, client: Client) -> None:
    made = api_token_create(person=demo.person("nia.nurse"), name="x", scopes=["read"], days=30)
    api_token_revoke(token=made.token)
    assert get(client, made.secret) == 401


def test_a_read_only_token_cannot_change_anything(demoshire: Partnership, client: Client) -> None:
    made = api_token_create(person=demo.person("nia.nurse"), name="x", scopes=["read"], days=30)
    response = client.post(
        "/api/v1/disagreements",
        {},
        content_type="application/json",
        headers={"Authorization": f"Bearer {made.secret}"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("scopes", "days"), [(["read"], 0), (["read"], 366), ([], 30), (["admin"], 30)]
)
def test_tokens_expire_within_a_year_and_have_known_scopes(
    demoshire: Partnership, scopes: list[str], days: int
) -> None:
    with pytest.raises(TokenError):
        api_token_create(person=demo.person("nia.nurse"), name="x", scopes=scopes, days=days)


def test_the_commands_create_and_revoke_a_token(demoshire: Partnership, client: Client) -> None:
    out = StringIO()
    call_command(
        "api_token_create", "--user", "nia.nurse", "--name", "EMIS", "--scopes", "read,write",
        "--days", "90", stdout=out,
    )  # fmt: skip
    secret = out.getvalue().strip().splitlines()[-1]
    assert get(client, secret) == 200
    token = ApiToken.objects.get(name="EMIS")
    assert token.scopes == ["read", "write"]
    call_command("api_token_revoke", token.prefix, stdout=StringIO())
    assert get(client, secret) == 401


def test_the_create_command_refuses_an_unknown_user(demoshire: Partnership) -> None:
    with pytest.raises(CommandError, match="no one"):
        call_command("api_token_create", "--user", "nobody", "--name", "x", stdout=StringIO())
