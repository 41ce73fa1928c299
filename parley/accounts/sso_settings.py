"""Settings for single sign-on with Microsoft Entra ID, read from the environment.

Imported by ``parley.settings`` only when ``PARLEY_OIDC_ENABLED=1``; it imports nothing
of Parley's, so settings can load it before the apps are ready. docs/sign-in.md explains
each variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

ENTRA = "https://login.microsoftonline.com"
TENANT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when PARLEY_OIDC_ENABLED=1")
    return value


def oidc_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The OIDC_* settings mozilla-django-oidc reads, and Parley's own PARLEY_OIDC_* ones."""
    tenants = [t.strip().lower() for t in _required(environ, "PARLEY_OIDC_TENANTS").split(",")]
    tenants = [t for t in tenants if t]
    for tenant in tenants:
        if not TENANT_ID.match(tenant):
            raise ImproperlyConfigured(
                f"PARLEY_OIDC_TENANTS: {tenant!r} is not a tenant ID (a GUID such as "
                "72f988bf-86f1-41af-91ab-2d7cd011db47); find it on the tenant's Overview page"
            )
    host = environ.get("PARLEY_OIDC_AUTHORITY", ENTRA).strip().rstrip("/")
    # One tenant: its own endpoints. Several (a council and NHS trusts): the multi-tenant
    # "organizations" endpoints, and each token's tenant checked against the list.
    path = tenants[0] if len(tenants) == 1 else "organizations"
    require_mfa = environ.get("PARLEY_OIDC_REQUIRE_MFA_CLAIM", "1").strip().lower()
    return {
        "OIDC_RP_CLIENT_ID": _required(environ, "PARLEY_OIDC_CLIENT_ID"),
        "OIDC_RP_CLIENT_SECRET": _required(environ, "PARLEY_OIDC_CLIENT_SECRET"),
        "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{host}/{path}/oauth2/v2.0/authorize",
        "OIDC_OP_TOKEN_ENDPOINT": f"{host}/{path}/oauth2/v2.0/token",
        "OIDC_OP_JWKS_ENDPOINT": f"{host}/{path}/discovery/v2.0/keys",
        # Not called: the claims come from the verified ID token (Entra's user info
        # endpoint is Microsoft Graph, which has no tid or amr).
        "OIDC_OP_USER_ENDPOINT": f"{host}/oidc/userinfo",
        "OIDC_RP_SIGN_ALGO": "RS256",
        "OIDC_RP_SCOPES": "openid email profile",
        "OIDC_USE_PKCE": True,
        "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
        "OIDC_USE_NONCE": True,
        "OIDC_CREATE_USER": False,  # people come from Parley's directory, never from a token
        "OIDC_AUTHENTICATION_CALLBACK_URL": "accounts:sso-callback",
        "OIDC_TIMEOUT": 10,
        "OIDC_AUTH_REQUEST_EXTRA_PARAMS": {"prompt": "select_account"},
        "PARLEY_OIDC_TENANTS": tenants,
        "PARLEY_OIDC_ISSUER": f"{host}/{{tid}}/v2.0",
        "PARLEY_OIDC_LOGOUT_ENDPOINT": f"{host}/{path}/oauth2/v2.0/logout",
        "PARLEY_OIDC_REQUIRE_MFA_CLAIM": require_mfa not in {"0", "false", "no", "off"},
        "PARLEY_OIDC_BUTTON_LABEL": environ.get(
            "PARLEY_OIDC_BUTTON_LABEL", "Sign in with your work Microsoft account"
        ).strip(),
    }
