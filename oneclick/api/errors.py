"""The API's one error shape: ``{"error": {"code", "message"[, "fields"]}}`` plus documented extras.

Every error under ``/api/v1`` goes through ``error_response``: our own ``ApiError``s, Werkzeug's HTTP errors
(unknown route, wrong method, too large), rate limits and unexpected exceptions. Never an HTML page.
"""

from __future__ import annotations

import time

from flask import jsonify
from werkzeug.exceptions import HTTPException

API_PREFIX = "/api/v1"

#: The code used for a bare HTTP status (errors we did not raise ourselves).
CODES_BY_STATUS = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "invalid",
    429: "rate_limited",
    500: "internal",
}

MESSAGES_BY_STATUS = {
    400: "The request is not valid.",
    401: "Send a valid personal access token: Authorization: Bearer <token>.",
    403: "You may not do that.",
    404: "There is nothing here with that id.",
    405: "This path doesn't accept that method.",
    409: "That conflicts with the current state.",
    410: "That is no longer available.",
    413: "The request body is too large.",
    415: "Send JSON with Content-Type: application/json.",
    429: "Too many requests. Wait as long as Retry-After says, then try again.",
    500: "An unexpected error happened on our side. Nothing was changed by this request.",
}


class ApiError(Exception):
    """An error answer: HTTP status, stable code, message, optional per-field messages and extra keys."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str | None = None,
        *,
        fields: dict[str, str] | None = None,
        extra: dict | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message or code)
        self.status = status
        self.code = code
        self.message = message or MESSAGES_BY_STATUS.get(status, code)
        self.fields = fields
        self.extra = extra or {}
        self.headers = headers or {}


def invalid(message: str, fields: dict[str, str] | None = None) -> ApiError:
    """Return a 400 ``invalid`` error."""
    return ApiError(400, "invalid", message, fields=fields)


def not_found(message: str | None = None) -> ApiError:
    """Return a 404 ``not_found`` error."""
    return ApiError(404, "not_found", message)


def is_api_path(path: str) -> bool:
    """Return True for paths the API answers (so errors there are JSON)."""
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def error_response(error: ApiError):
    """Return the JSON response for an ApiError."""
    body: dict = {"code": error.code, "message": error.message}
    if error.fields:
        body["fields"] = error.fields
    payload = {"error": body, **error.extra}
    response = jsonify(payload)
    response.status_code = error.status
    for key, value in error.headers.items():
        response.headers[key] = value
    if error.status == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="oneclick"')
    response.headers["Cache-Control"] = "no-store"
    return response


def from_http_exception(exc: HTTPException):
    """Return the JSON response for a Werkzeug HTTP error raised under /api/v1."""
    status = exc.code or 500
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    if status == 429:
        headers["Retry-After"] = str(_retry_after(exc))
    if status == 404:
        message = "No such endpoint. The API is described at /api/v1/openapi.json."
    else:
        message = MESSAGES_BY_STATUS.get(status) or "Error."
    return error_response(ApiError(status, CODES_BY_STATUS.get(status, "error"), message, headers=headers))


def _retry_after(exc: HTTPException) -> int:
    """Return whole seconds until the breached limit's window lets a request through again (at least 1)."""
    from ..extensions import limiter

    seconds = getattr(exc, "retry_after", None)
    if seconds is None:
        current = limiter.current_limit
        seconds = current.reset_at - time.time() if current is not None else 1
    return max(1, int(seconds + 0.999))


def server_error():
    """Return the JSON response for an unexpected exception under /api/v1."""
    return error_response(ApiError(500, "internal"))
