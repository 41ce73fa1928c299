"""Personal access tokens: created, checked and revoked here and nowhere else.

A token reads ``parley_<prefix>_<secret>``. The prefix finds the row; the secret is 32
random bytes, shown once when the token is made and kept only as its SHA-256, so a copy
of the database gives no one a working token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from parley.accounts.services import account_locked_until
from parley.api.models import ApiToken
from parley.cases.models import Person

SCOPES = frozenset(ApiToken.Scope.values)
MAX_DAYS = 365
TOKEN_START = "parley_"


class TokenError(ValueError):
    """A token that cannot be made as asked, with the reason in plain English."""


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole bearer value: shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *,
    person: Person,
    name: str,
    scopes: list[str],
    days: int,
    now: datetime | None = None,
) -> NewToken:
    now = now or timezone.now()
    name = name.strip()
    if not name:
        raise TokenError("Enter a name for the token, such as the system that will use it")
    unknown = sorted(set(scopes) - SCOPES)
    if unknown or not scopes:
        raise TokenError(f"Scopes must be some of: {', '.join(sorted(SCOPES))}")
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"A token must expire within 1 to {MAX_DAYS} days")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        person=person,
        name=name[:100],
        scopes=sorted(set(scopes)),
        prefix=prefix,
        secret_sha256=_digest(secret),
        expires_at=now + timedelta(days=days),
    )
    return NewToken(token=token, secret=f"{TOKEN_START}{prefix}_{secret}")


@transaction.atomic
def api_token_revoke(*, token: ApiToken, now: datetime | None = None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_check(*, bearer: str, now: datetime | None = None) -> ApiToken | None:
    """The live token this bearer value belongs to, or None: unknown, expired, revoked, or
    its person's account deactivated or locked."""
    now = now or timezone.now()
    if not bearer.startswith(TOKEN_START):
        return None
    prefix, _, secret = bearer.removeprefix(TOKEN_START).partition("_")
    if not prefix or not secret or len(prefix) > 16:
        return None
    token = ApiToken.objects.select_related("person__user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_sha256, _digest(secret)):
        return None
    if token.revoked_at is not None or token.expires_at <= now:
        return None
    # A token acts as its person signed in: it stops the moment they could not sign in,
    # deactivated or locked out (docs/sign-in.md), not when someone remembers to revoke it.
    user = token.person.user
    if user is None or not user.is_active:
        return None
    if account_locked_until(username=user.get_username()) is not None:
        return None
    # Once a minute is enough to say whether a token is still in use.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
