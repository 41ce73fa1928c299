"""A small stand-in for Microsoft Entra ID, served by the live test server.

Just enough OpenID Connect for Parley's single sign-on: discovery, an authorize page
that signs in whoever the test names, a token endpoint that checks the client secret
and the PKCE verifier, and the signing keys. Tokens are RS256 with a key made here.
Use it as the URLconf (``@pytest.mark.urls("tests.accounts.fake_entra")``): Parley's
own pages are all there too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from parley.urls import urlpatterns as parley_urlpatterns

PREFIX = "/fake-entra"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KID = "fake-entra-key-1"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "fake-entra-client-secret"

# Who the next visit to the authorize page signs in: claims the test sets.
next_identity: dict[str, Any] = {}
# Codes handed out, waiting to be swapped for tokens.
_codes: dict[str, dict[str, Any]] = {}
token_requests: list[dict[str, str]] = []


def issuer(host: str, tenant: str) -> str:
    return f"{host}{PREFIX}/{tenant}/v2.0"


def discovery(request: HttpRequest, tenant: str) -> JsonResponse:
    base = f"{request.scheme}://{request.get_host()}{PREFIX}/{tenant}"
    return JsonResponse(
        {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
    )


def authorize(request: HttpRequest, tenant: str) -> HttpResponse:
    """Entra's sign-in page, with the person already signed in and through MFA."""
    params = request.GET
    assert params["response_type"] == "code"
    assert params["code_challenge_method"] == "S256"
    code = secrets.token_urlsafe(16)
    _codes[code] = {
        "client_id": params["client_id"],
        "redirect_uri": params["redirect_uri"],
        "nonce": params["nonce"],
        "code_challenge": params["code_challenge"],
        # The tenant the person signed in at: their organisation's.
        "tenant": tenant,
        "claims": dict(next_identity),
    }
    query = urlencode({"code": code, "state": params["state"]})
    return HttpResponseRedirect(f"{params['redirect_uri']}?{query}")


@csrf_exempt
def token(request: HttpRequest, tenant: str) -> JsonResponse:
    form = request.POST.dict()
    token_requests.append(form)
    grant = _codes.pop(form.get("code", ""), None)
    if grant is None:
        return JsonResponse({"error": "invalid_grant"}, status=400)
    if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
        return JsonResponse({"error": "invalid_client"}, status=401)
    if form.get("redirect_uri") != grant["redirect_uri"]:
        return JsonResponse({"error": "invalid_grant"}, status=400)
    verifier = form.get("code_verifier", "")
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    if challenge != grant["code_challenge"]:
        return JsonResponse({"error": "invalid_grant", "error_description": "PKCE"}, status=400)
    now = int(time.time())
    host = f"{request.scheme}://{request.get_host()}"
    tenant = grant["tenant"]
    claims = {
        "iss": issuer(host, tenant),
        "aud": CLIENT_ID,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "tid": tenant,
        "nonce": grant["nonce"],
        "ver": "2.0",
        **grant["claims"],
    }
    id_token = jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": KID})
    return JsonResponse(
        {"token_type": "Bearer", "id_token": id_token, "access_token": "fake", "expires_in": 3600}
    )


def keys(request: HttpRequest, tenant: str) -> JsonResponse:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    jwk.update({"kid": KID, "alg": "RS256", "use": "sig"})
    return JsonResponse({"keys": [jwk]})


fake_patterns = [
    path("<str:tenant>/v2.0/.well-known/openid-configuration", discovery),
    path("<str:tenant>/oauth2/v2.0/authorize", authorize),
    path("<str:tenant>/oauth2/v2.0/token", token),
    path("<str:tenant>/discovery/v2.0/keys", keys),
]

urlpatterns = [path(PREFIX.strip("/") + "/", include(fake_patterns)), *parley_urlpatterns]
