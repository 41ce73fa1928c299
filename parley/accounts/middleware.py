"""Every page needs a second factor; every response carries the security headers."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django_otp import user_has_device
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from parley.accounts.services import session_is_past_limit, session_touch
from parley.dbprepared import Prepared


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


# One prepared read for each kind of device (authenticator app, recovery codes).
_DEVICE_BY_ID: dict[type[Device], Prepared[Device]] = {}


class SecondFactorMiddleware(OTPMiddleware):
    """django-otp's middleware (``request.user.is_verified()``), reading the device that
    passed the second factor with SQL compiled once per process rather than per request.
    Device.from_persistent_id's rules otherwise: an unknown or malformed id is no device."""

    def _device_from_persistent_id(self, persistent_id: str) -> Device | None:
        persistent_id = self._normalize_persistent_id(persistent_id)
        try:
            label, number = persistent_id.rsplit("/", 1)
            app_label, model_name = label.split(".")
            model = apps.get_model(app_label, model_name)
            pk = int(number)
        except (ValueError, LookupError):
            return None
        if not issubclass(model, Device):
            return None
        read = _DEVICE_BY_ID.get(model)
        if read is None:
            read = _DEVICE_BY_ID[model] = Prepared(lambda pk: model.objects.filter(pk=pk))
        found = read(pk=pk)
        return found[0] if found else None
