"""The parts of single sign-on built on mozilla-django-oidc: the backend and the callback."""

from __future__ import annotations

import logging
from typing import Any

import jwt
import requests
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView

from parley.accounts.models import SingleSignOnDevice
from parley.accounts.services import session_mark_signed_in
from parley.accounts.sso import SIGN_IN_METHOD_SESSION_KEY, SSO, sso_claims_problem
from parley.audit.services import audit_record

logger = logging.getLogger(__name__)


class EntraBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, matching people in Parley's directory."""

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        # The ID token's claims, already verified: they carry tid, oid and amr.
        return payload

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        problem = sso_claims_problem(claims)
        if problem:
            logger.warning("Single sign-on refused: %s", problem)
        return problem is None

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        """The person linked to this Entra account; else the one with its email address."""
        users = get_user_model().objects.filter(is_active=True)
        linked = users.filter(
            singlesignondevice__issuer=claims["iss"], singlesignondevice__subject=claims["oid"]
        )
        if linked.exists():
            return list(linked)
        email = claims.get("email") or claims.get("preferred_username")
        return list(users.filter(email__iexact=email)[:2])

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        device, _ = SingleSignOnDevice.objects.get_or_create(
            issuer=claims["iss"],
            subject=claims["oid"],
            defaults={"user": user, "name": "Microsoft Entra ID", "confirmed": True},
        )
        if device.user_id != user.pk:
            raise SuspiciousOperation("that Entra account is linked to someone else")
        # django-otp marks the session verified with this device when login() runs.
        user.otp_device = device
        return user


class SignInCallbackView(OIDCAuthenticationCallbackView):
    """Entra sends the person back here with a code; failures get a plain page, not a 500."""

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            response: HttpResponse = super().get(request)
        except (SuspiciousOperation, requests.RequestException, jwt.PyJWTError) as refused:
            logger.warning("Single sign-on failed: %s", refused)
            return self.login_failure()
        return response

    def login_failure(self) -> HttpResponse:
        audit_record(
            action="signin.failed", request=self.request, detail={"username": "", "method": SSO}
        )
        return render(self.request, "parley/accounts/sso_failed.html", status=403)

    def login_success(self) -> HttpResponse:
        response: HttpResponse = super().login_success()
        session_mark_signed_in(self.request.session)
        self.request.session[SIGN_IN_METHOD_SESSION_KEY] = SSO
        audit_record(
            action="signin",
            request=self.request,
            detail={"username": self.user.get_username(), "method": SSO},
        )
        return response
