"""Single sign-on with Microsoft Entra ID: OpenID Connect, authorization code flow with PKCE.

Built on mozilla-django-oidc, which sends the person to Entra, swaps the code for tokens
(with the PKCE verifier) and checks the ID token's signature (RS256, Entra's published
keys) and nonce. Parley then checks what the token says (``sso_claims_problem``): the
tenant is one the partnership allows, the issuer and audience are right, and Entra did
multi-factor authentication. The person must already be in Parley's directory: a token
never creates an account, and roles always come from Parley.

Off unless ``PARLEY_OIDC_ENABLED=1`` (docs/sign-in.md). Nothing imports mozilla-django-oidc
until single sign-on is used: ``sso_views`` imports ``sso_backend``, which holds the parts
built on it, only when a person starts or comes back from signing in there.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

SIGN_IN_METHOD_SESSION_KEY = "parley_sign_in_method"
SSO = "single-sign-on"


def sso_enabled() -> bool:
    return bool(getattr(settings, "PARLEY_OIDC_ENABLED", False))


def sso_claims_problem(claims: dict[str, Any]) -> str | None:
    """Why these (signature-checked) ID token claims must not sign anyone in, or None."""
    tenant = str(claims.get("tid", "")).lower()
    if tenant not in settings.PARLEY_OIDC_TENANTS:
        return f"tenant {tenant or '(none)'} is not one this partnership allows"
    if claims.get("iss") != settings.PARLEY_OIDC_ISSUER.format(tid=tenant):
        return "the issuer is not the tenant's"
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if settings.OIDC_RP_CLIENT_ID not in audiences:
        return "the token is for another application"
    if "exp" not in claims:
        return "the token has no expiry"
    if settings.PARLEY_OIDC_REQUIRE_MFA_CLAIM and "mfa" not in (claims.get("amr") or []):
        return "the organisation did not do multi-factor authentication (no mfa in amr)"
    if not claims.get("oid"):
        return "the token has no object id (oid)"
    if not (claims.get("email") or claims.get("preferred_username")):
        return "the token has no email address"
    return None


def sso_logout_url(request: HttpRequest) -> str | None:
    """Where to send someone who signed in through Entra, so Entra signs them out too."""
    if not sso_enabled() or request.session.get(SIGN_IN_METHOD_SESSION_KEY) != SSO:
        return None
    back = request.build_absolute_uri(reverse("accounts:sign-in"))
    return f"{settings.PARLEY_OIDC_LOGOUT_ENDPOINT}?{urlencode({'post_logout_redirect_uri': back})}"
