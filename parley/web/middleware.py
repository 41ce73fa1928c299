"""What every request and response passes through, whatever the page.

- :class:`InputCheckMiddleware` refuses a request carrying a NUL character anywhere a
  view could read it, before any of it reaches a query (PostgreSQL refuses NUL in text).
- :class:`PrivateResponseMiddleware` keeps every signed-in response out of caches.
- :class:`RefusalAuditMiddleware` records every refused request for a case, from one
  place, so that no page, download or API call can forget to.
- :class:`HouseNotFoundMiddleware` answers a missing or hidden page with the house's
  "Page not found" in development too, where Django would show its debug page listing
  every address of the service.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control
from django.views.defaults import bad_request, page_not_found

from parley.api.http import error_response, invalid
from parley.audit.services import audit_record

logger = logging.getLogger(__name__)

NUL = "\x00"
API_PREFIX = "/api/"


def _header_name(key: str) -> str:
    """``HTTP_USER_AGENT`` as a person reads it: ``User-Agent``."""
    name = key.removeprefix("HTTP_")
    return "-".join(part.capitalize() for part in name.split("_"))


def _pairs(query: Any) -> Iterator[tuple[str, str]]:
    for key, values in query.lists():
        yield key, key
        for value in values:
            if isinstance(value, str):
                yield key, value


def nul_found(request: HttpRequest, *, read_form: bool) -> str | None:
    """The name of the first part of the request holding a NUL character, or None.

    Looks at the path, the query string (names and values), every header (cookies
    included) and, if ``read_form``, the fields of a submitted form (names and values).
    An uploaded file is not text until its page reads it as text, and each page that
    does refuses a file with a NUL in it with its own error message.
    """
    if NUL in request.path or NUL in request.path_info:
        return "path"
    for name, text in _pairs(request.GET):
        if NUL in text:
            return name if NUL not in name else "query"
    for key, value in request.META.items():
        if isinstance(value, str) and NUL in value:
            return _header_name(key) if NUL not in key else "header"
    if read_form and request.method == "POST":
        for name, text in _pairs(request.POST):
            if NUL in text:
                return name if NUL not in name else "form"
        for name, upload in request.FILES.items():
            if NUL in name or NUL in (upload.name or ""):
                return "file"
    return None


class InputCheckMiddleware:
    """A NUL character anywhere in a request: 400, with the house page or, under
    ``/api/``, the API's one error shape. Never a 500.

    First in line after the headers are set, so that a NUL in the session cookie never
    reaches the session store. The API's JSON bodies are checked by its own body parser
    (:func:`parley.api.http.json_body`), which also refuses one nested too deeply.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path_info.startswith(API_PREFIX)
        where = nul_found(request, read_form=not api)
        if where is None:
            return self.get_response(request)
        logger.warning("refused a request with a NUL character in its %s", where)
        if api:
            return error_response(invalid(where, f"{where} must not contain a null character"))
        return bad_request(request, SuspiciousOperation(f"a NUL character in the {where}"))


class PrivateResponseMiddleware:
    """``Cache-Control: no-store`` (and ``private``) on every response to someone signed
    in, and on every API response: pages, downloads and JSON that hold case data must not
    be kept by the browser or by any cache between it and Parley.

    Static files are left alone: they hold nothing private and are meant to be cached.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = bool(getattr(user, "is_authenticated", False))
        if signed_in or request.path_info.startswith(API_PREFIX):
            patch_cache_control(response, private=True, no_store=True)
        return response


class RefusalAuditMiddleware:
    """Record every refused request for a case (``case.refused``): who, what was asked
    (the path, never the query string) and from where.

    A request is for a case when its address names one: the URL has a ``reference``
    (the case page, its action pages, evidence, documents, who has looked, the API's
    case addresses). Hidden and non-existent cases answer alike; this records both
    alike, after the view has answered and before the answer is sent. Someone not
    signed in is sent to sign in before any view runs, and an API call without a valid
    token is refused as unauthorised: neither is a refusal of a case.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        api = request.path_info.startswith(API_PREFIX)
        # Not found, hidden and missing alike; under the API also forbidden (a token
        # without the scope). A page's own "you cannot do this now" (403) is about an
        # action on a case the person can see, and is recorded as a look at it.
        if not (response.status_code == 404 or (api and response.status_code == 403)):
            return response
        match = getattr(request, "resolver_match", None)
        if match is None or "reference" not in match.kwargs:
            return response
        person = getattr(request, "api_person", None)
        user = getattr(request, "user", None)
        if person is None and not getattr(user, "is_authenticated", False):
            return response
        audit_record(
            action="case.refused",
            request=request,
            person=person,
            detail={
                # The address's pattern, not its values: "cases/<str:reference>/".
                "page": match.route,
                "reference": str(match.kwargs["reference"])[:40],
                "status": response.status_code,
            },
        )
        return response


class HouseNotFoundMiddleware:
    """With DEBUG on, Django answers a 404 with its debug page, which lists every address
    of the service to whoever asks for one they may not see. Here a missing or hidden page
    is the house's 404 whatever DEBUG says, so development shows what production shows.

    Last of the middleware, so that the others (the slash added by CommonMiddleware, the
    sign-in redirects, the refusals' audit) see the 404 as in production."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DEBUG:
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as missing:
                return page_not_found(request, missing)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
