"""Every page needs a second factor; every response carries the security headers."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django_otp import user_has_device

from parley.accounts.services import session_is_past_limit, session_touch


def is_open(path: str) -> bool:
    """Pages anyone may see: PARLEY_PUBLIC_PATHS (the sign-in steps, the health check)."""
    return path.startswith((*settings.PARLEY_PUBLIC_PATHS, settings.STATIC_URL or "/assets/"))


def redirect_with_next(url: str, request: HttpRequest) -> HttpResponseRedirect:
    target = request.get_full_path()
    if target in ("", "/"):
        return HttpResponseRedirect(url)
    return HttpResponseRedirect(f"{url}?{urlencode({'next': target})}")


class RequireSecondFactorMiddleware:
    """Sign in, then pass the second factor, before any page; end sessions past their limit.

    Anonymous: to the sign-in page. Password given but no code yet: to the code page, or
    to setting up an authenticator app if the person has none. A session older than
    PARLEY_SESSION_MAX_AGE ends, however active it has been.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith(settings.STATIC_URL or "/assets/"):
            return self.get_response(request)
        user = request.user
        if user.is_authenticated and session_is_past_limit(request.session):
            logout(request)
            user = request.user
        if is_open(path):
            return self.get_response(request)
        if not user.is_authenticated:
            return redirect_with_next(settings.LOGIN_URL, request)
        if not user.is_verified():
            if user_has_device(user):
                return redirect_with_next("/sign-in/code/", request)
            return redirect_with_next("/account/set-up-authenticator/", request)
        session_touch(request.session)
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response.

    Django 5.2 has no CSP of its own. The policy allows no inline script or style, so a
    page that needs either must move it into a file under static/.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault(
            "Content-Security-Policy", settings.PARLEY_CONTENT_SECURITY_POLICY
        )
        response.headers.setdefault("Permissions-Policy", settings.PARLEY_PERMISSIONS_POLICY)
        return response
