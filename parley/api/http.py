"""The edges every API view shares: the bearer token, scopes, JSON in and out, errors.

Every error, whatever its cause, leaves as one shape (documented in the schema)::

    {"error": {"code": "...", "message": "plain English", "fields": {"name": ["..."]}}}
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from parley.api.models import ApiToken
from parley.api.tokens import api_token_check

logger = logging.getLogger(__name__)

STATUS = {
    "validation_failed": 400,
    "unauthorised": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "too_large": 413,
    "conflict": 409,  # the case has moved on since the version the caller acted on
    "refused": 422,
    "precondition_required": 428,  # an action sent without the version it acts on
    "server_error": 500,
}
NOT_FOUND = "There is no such disagreement, or you cannot see it"


class ApiError(Exception):
    def __init__(self, code: str, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}


def error_response(error: ApiError) -> JsonResponse:
    body = {"error": {"code": error.code, "message": error.message, "fields": error.fields}}
    response = JsonResponse(body, status=STATUS[error.code])
    if error.code == "unauthorised":
        response.headers["WWW-Authenticate"] = 'Bearer realm="parley"'
    return response


def invalid(field: str, message: str) -> ApiError:
    return ApiError("validation_failed", message, {field: [message]})


def token_of(request: HttpRequest) -> ApiToken:
    header = request.headers.get("Authorization", "")
    scheme, _, bearer = header.partition(" ")
    if scheme.lower() != "bearer" or not bearer.strip():
        raise ApiError("unauthorised", "Send a personal access token: Authorization: Bearer …")
    token = api_token_check(bearer=bearer.strip())
    if token is None:
        raise ApiError("unauthorised", "This token is not valid: it is unknown, expired or revoked")
    return token


View = Callable[..., HttpResponse]


def api_view(methods: dict[str, str]) -> Callable[[View], View]:
    """A token-authenticated JSON view. ``methods`` maps each method to the scope it needs.

    Token requests carry no cookie, so CSRF protection has nothing to protect here.
    """

    def wrap(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def inner(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            try:
                scope = methods.get(request.method or "")
                if scope is None:
                    allowed = ", ".join(methods)
                    response = error_response(ApiError("method_not_allowed", f"Use {allowed} here"))
                    response.headers["Allow"] = allowed
                    return response
                token = token_of(request)
                # Who is asking, for the audit of a refused request (parley.web.middleware).
                request.api_person = token.person  # type: ignore[attr-defined]
                if scope not in token.scopes:
                    raise ApiError("forbidden", f"This token does not have the {scope} scope")
                return view(request, token, **kwargs)
            except ApiError as error:
                return error_response(error)
            except RequestDataTooBig:
                return error_response(too_large())
            except Exception:
                logger.exception("api: unexpected failure on %s %s", request.method, request.path)
                return error_response(
                    ApiError("server_error", "Something went wrong; it has been logged")
                )

        return inner

    return wrap


# How deep a body may nest objects and lists. Parley's bodies are one object of plain
# values, so a few levels is plenty; a body nested thousands deep is an attack on the
# parser, not a request.
MAX_DEPTH = 20


def too_large() -> ApiError:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    return ApiError("too_large", f"The request body must be {limit:g} MB or smaller")


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object: refused if over DATA_UPLOAD_MAX_MEMORY_SIZE (413), not
    JSON, nested deeper than MAX_DEPTH, or holding a NUL character anywhere (400)."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise too_large() from None
    try:
        body = json.loads(raw or b"null")
    except RecursionError:
        raise nested_too_deeply() from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError("validation_failed", "The request body must be JSON") from None
    if not isinstance(body, dict):
        raise ApiError("validation_failed", "The request body must be a JSON object")
    body_check(body)
    return body


def nested_too_deeply() -> ApiError:
    return ApiError(
        "validation_failed",
        f"The request body is nested too deeply: at most {MAX_DEPTH} levels of objects and lists",
    )


def body_check(body: dict[str, Any]) -> None:
    """Refuse a body nested deeper than MAX_DEPTH or with a NUL in any name or text.

    Walked with a list rather than by recursion, so no body can exhaust the stack; the
    field named in the error is the top-level one the problem is inside.
    """
    pending: list[tuple[Any, int, str]] = [(body, 1, "")]
    while pending:
        value, depth, field = pending.pop()
        if depth > MAX_DEPTH:
            raise nested_too_deeply()
        if isinstance(value, dict):
            for key, item in value.items():
                name = field or key
                if "\x00" in key:
                    raise invalid(
                        field or "body", "Names in the body must not contain a null character"
                    )
                pending.append((item, depth + 1, name))
        elif isinstance(value, list):
            pending.extend((item, depth + 1, field) for item in value)
        elif isinstance(value, str) and "\x00" in value:
            raise invalid(field, f"{field} must not contain a null character")


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    return error_response(ApiError("not_found", "There is nothing at this address"))
