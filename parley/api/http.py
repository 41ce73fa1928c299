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
    "refused": 422,
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
                if scope not in token.scopes:
                    raise ApiError("forbidden", f"This token does not have the {scope} scope")
                return view(request, token, **kwargs)
            except ApiError as error:
                return error_response(error)
            except Exception:
                logger.exception("api: unexpected failure on %s %s", request.method, request.path)
                return error_response(
                    ApiError("server_error", "Something went wrong; it has been logged")
                )

        return inner

    return wrap


def json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError("validation_failed", "The request body must be JSON") from None
    if not isinstance(body, dict):
        raise ApiError("validation_failed", "The request body must be a JSON object")
    return body


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    return error_response(ApiError("not_found", "There is nothing at this address"))
