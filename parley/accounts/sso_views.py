"""The two pages of single sign-on: off to the organisation's sign-in, and back.

Each imports mozilla-django-oidc (through ``sso_backend``) only when it is asked for, so
a Parley without single sign-on never loads it (``parley.accounts.sso``).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from parley.accounts.sso import sso_enabled


@never_cache
@require_safe
def sso_start(request: HttpRequest) -> HttpResponse:
    """Off to the organisation's sign-in page, with state, nonce and a PKCE challenge."""
    if not sso_enabled():
        raise Http404
    from mozilla_django_oidc.views import OIDCAuthenticationRequestView

    response: HttpResponse = OIDCAuthenticationRequestView.as_view()(request)
    return response


@never_cache
@require_safe
def sso_callback(request: HttpRequest) -> HttpResponse:
    if not sso_enabled():
        raise Http404
    from parley.accounts.sso_backend import SignInCallbackView

    response: HttpResponse = SignInCallbackView.as_view()(request)
    return response
