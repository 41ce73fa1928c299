"""Single sign-on with Microsoft Entra ID, against a local stand-in (tests/accounts/fake_entra.py).

The live test server serves the stand-in's keys and token endpoint; Parley's own pages
are driven with the test client, which fetches them over HTTP as it would from Entra.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

pytest.importorskip("mozilla_django_oidc")
import requests  # noqa: E402

from parley.accounts.models import SingleSignOnDevice  # noqa: E402
from parley.accounts.sso_settings import oidc_settings  # noqa: E402
from tests.accounts import fake_entra  # noqa: E402

pytestmark = pytest.mark.urls("tests.accounts.fake_entra")

TENANT = "0b1e5a4c-1f2d-4c3b-8a9e-7d6c5b4a3f21"  # the council's
OTHER_TENANT = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
NIA = {
    "oid": "aaaaaaaa-0000-4000-8000-000000000001",
    "email": "Nia.Nurse@demoshire.example",
    "preferred_username": "nia.nurse@demoshire.example",
    "name": "Nia Evans",
    "amr": ["pwd", "mfa"],
}


@pytest.fixture
def entra(settings: Any, live_server: Any, demo: Any) -> str:
    """Single sign-on switched on, pointing at the stand-in. Returns the stand-in's address."""
    authority = f"{live_server.url}{fake_entra.PREFIX}"
    settings.PARLEY_OIDC_ENABLED = True
    for name, value in oidc_settings(
        {
            "PARLEY_OIDC_TENANTS": TENANT,
            "PARLEY_OIDC_CLIENT_ID": fake_entra.CLIENT_ID,
            "PARLEY_OIDC_CLIENT_SECRET": fake_entra.CLIENT_SECRET,
            "PARLEY_OIDC_AUTHORITY": authority,
        }
    ).items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "parley.accounts.sso_backend.EntraBackend",
    ]
    settings.PARLEY_PUBLIC_PATHS = [*settings.PARLEY_PUBLIC_PATHS, fake_entra.PREFIX + "/"]
    fake_entra.token_requests.clear()
    return authority


def sign_in_through_entra(client: Client, identity: dict[str, Any], tenant: str = TENANT) -> Any:
    """Parley's button, the organisation's sign-in page, and back to Parley."""
    fake_entra.next_identity.clear()
    fake_entra.next_identity.update(identity)
    start = client.get("/sign-in/organisation/?next=/account/")
    assert start.status_code == 302
    location = start["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["scope"] == ["openid email profile"]
    # The stand-in's tenant is in the path: sign in at the tenant asked for.
    location = location.replace(f"/{TENANT}/", f"/{tenant}/")
    back = requests.get(location, allow_redirects=False, timeout=10)
    assert back.status_code == 302
    callback = urlsplit(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def test_sign_in_with_entra_needs_no_parley_code(entra: str) -> None:
    client = Client()
    response = sign_in_through_entra(client, NIA)
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert client.get("/account/").status_code == 200
    # PKCE: the token request carried the verifier the stand-in checked.
    assert len(fake_entra.token_requests[0]["code_verifier"]) >= 43
    link = SingleSignOnDevice.objects.get(user__username="nia.nurse")
    assert link.subject == NIA["oid"]
    assert link.issuer == f"{entra}/{TENANT}/v2.0"


def test_linked_person_is_found_by_entra_id_after_an_email_change(entra: str) -> None:
    sign_in_through_entra(Client(), NIA)
    renamed = {**NIA, "email": "nia.evans@new.example", "preferred_username": "nia.evans@new"}
    client = Client()
    assert sign_in_through_entra(client, renamed)["Location"] == "/account/"
    assert "Nia Evans" in client.get("/account/").content.decode()


def test_entra_sign_in_without_mfa_is_refused(entra: str) -> None:
    client = Client()
    response = sign_in_through_entra(client, {**NIA, "amr": ["pwd"]})
    assert response.status_code == 403
    assert "You could not be signed in" in response.content.decode()
    assert client.get("/account/").status_code == 302


def test_another_tenant_is_refused(entra: str) -> None:
    client = Client()
    response = sign_in_through_entra(client, NIA, tenant=OTHER_TENANT)
    assert response.status_code == 403
    assert client.get("/account/").status_code == 302


def test_someone_not_in_the_directory_is_refused_and_no_account_made(entra: str) -> None:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.count()
    stranger = {**NIA, "oid": "bbbbbbbb-0000-4000-8000-000000000002", "email": "x@council.example"}
    response = sign_in_through_entra(Client(), stranger)
    assert response.status_code == 403
    assert get_user_model().objects.count() == users


def test_a_replayed_callback_is_refused_plainly(entra: str) -> None:
    client = Client()
    fake_entra.next_identity.update(NIA)
    response = client.get("/sign-in/organisation/callback/?code=made-up&state=made-up")
    assert response.status_code == 403
    assert "You could not be signed in" in response.content.decode()


def test_signing_out_signs_out_of_entra_too(entra: str) -> None:
    client = Client()
    sign_in_through_entra(client, NIA)
    response = client.post("/sign-out/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"{entra}/{TENANT}/oauth2/v2.0/logout?")
    assert "post_logout_redirect_uri=http%3A%2F%2Ftestserver%2Fsign-in%2F" in response["Location"]
    assert client.get("/account/").status_code == 302


def test_sign_in_page_offers_the_organisation_button_only_when_switched_on(
    entra: str, settings: Any
) -> None:
    page = Client().get("/sign-in/").content.decode()
    assert "Sign in with your work Microsoft account" in page
    settings.PARLEY_OIDC_ENABLED = False
    page = Client().get("/sign-in/").content.decode()
    assert "Microsoft" not in page
    assert Client().get("/sign-in/organisation/").status_code == 404


GOOD = {
    "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0",
    "aud": fake_entra.CLIENT_ID,
    "exp": 2_000_000_000,
    "tid": TENANT,
    **NIA,
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({}, None),
        ({"tid": OTHER_TENANT}, "is not one this partnership allows"),
        ({"iss": f"https://login.microsoftonline.com/{OTHER_TENANT}/v2.0"}, "issuer"),
        ({"aud": "someone-elses-app"}, "another application"),
        ({"aud": ["someone-elses-app", fake_entra.CLIENT_ID]}, None),
        ({"exp": None}, "no expiry"),
        ({"amr": ["pwd"]}, "multi-factor"),
        ({"amr": None}, "multi-factor"),
        ({"oid": ""}, "object id"),
        ({"email": "", "preferred_username": ""}, "email"),
    ],
)
def test_claims_are_checked_before_anyone_is_signed_in(
    settings: Any, change: dict[str, Any], problem: str | None
) -> None:
    from parley.accounts.sso import sso_claims_problem

    for name, value in oidc_settings(
        {
            "PARLEY_OIDC_TENANTS": f"{TENANT}, {TENANT.upper()}",
            "PARLEY_OIDC_CLIENT_ID": fake_entra.CLIENT_ID,
            "PARLEY_OIDC_CLIENT_SECRET": "secret",
        }
    ).items():
        setattr(settings, name, value)
    claims = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    found = sso_claims_problem(claims)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_mfa_claim_can_be_left_to_conditional_access(settings: Any) -> None:
    from parley.accounts.sso import sso_claims_problem

    environ = {
        "PARLEY_OIDC_TENANTS": TENANT,
        "PARLEY_OIDC_CLIENT_ID": fake_entra.CLIENT_ID,
        "PARLEY_OIDC_CLIENT_SECRET": "secret",
        "PARLEY_OIDC_REQUIRE_MFA_CLAIM": "0",
    }
    for name, value in oidc_settings(environ).items():
        setattr(settings, name, value)
    assert sso_claims_problem({**GOOD, "amr": ["pwd"]}) is None


def test_several_tenants_use_the_organizations_endpoints() -> None:
    found = oidc_settings(
        {
            "PARLEY_OIDC_TENANTS": f"{TENANT},{OTHER_TENANT}",
            "PARLEY_OIDC_CLIENT_ID": "id",
            "PARLEY_OIDC_CLIENT_SECRET": "secret",
        }
    )
    assert found["OIDC_OP_AUTHORIZATION_ENDPOINT"] == (
        "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize"
    )
    assert found["PARLEY_OIDC_TENANTS"] == [TENANT, OTHER_TENANT]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PARLEY_OIDC_CLIENT_ID": "id", "PARLEY_OIDC_CLIENT_SECRET": "s"}, "PARLEY_OIDC_TENANTS"),
        (
            {
                "PARLEY_OIDC_TENANTS": "demoshire.example",
                "PARLEY_OIDC_CLIENT_ID": "id",
                "PARLEY_OIDC_CLIENT_SECRET": "s",
            },
            "is not a tenant ID",
        ),
        ({"PARLEY_OIDC_TENANTS": TENANT, "PARLEY_OIDC_CLIENT_ID": "id"}, "CLIENT_SECRET"),
    ],
)
def test_missing_or_wrong_settings_are_named(environ: dict[str, str], message: str) -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match=message):
        oidc_settings(environ)
