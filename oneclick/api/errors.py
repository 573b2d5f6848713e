"""The API's one error shape: ``{"error": {"code", "message"[, "fields"]}}`` plus documented extras.

Every error under ``/api/v1`` goes through ``error_response``: our own ``ApiError``s, validation errors from the
schemas, Werkzeug's HTTP errors (unknown route, wrong method, too large), rate limits and unexpected exceptions.
Never an HTML page. The codes, their statuses and their help text are documented from the tables below.
"""

from __future__ import annotations

import time

from flask import jsonify
from werkzeug.exceptions import HTTPException

API_PREFIX = "/api/v1"

#: The HTTP status of every error code the API answers with.
ERROR_STATUS = {
    "invalid": 400,
    "self_invite": 400,
    "captcha_invalid": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "allotment_exhausted": 403,
    "email_required": 403,
    "email_mismatch": 403,
    "support_required": 403,
    "grant_refused": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "already_connected": 409,
    "already_pending": 409,
    "already_answered": 409,
    "already_decided": 409,
    "not_withdrawable": 409,
    "not_resendable": 409,
    "resend_too_soon": 409,
    "not_deletable": 409,
    "not_restricted": 409,
    "self_lift_available": 409,
    "request_open": 409,
    "allotment_left": 409,
    "link_limit_reached": 409,
    "token_limit_reached": 409,
    "webhook_limit_reached": 409,
    "endpoint_disabled": 409,
    "delivery_in_progress": 409,
    "link_inactive": 410,
    "too_large": 413,
    "captcha_required": 428,
    "rate_limited": 429,
    "internal": 500,
}

ERROR_HELP = {
    "invalid": "Malformed JSON, missing, unknown or oversized fields, bad enum values, a garbled cursor.",
    "self_invite": "Inviting yourself, or requesting a connection through your own link.",
    "captcha_invalid": "Wrong, expired or reused captcha answer; a fresh `captcha` is in the body.",
    "unauthorized": "No token, a malformed or revoked token, or only a session cookie.",
    "forbidden": "Not an admin.",
    "allotment_exhausted": "Every invitation of the allotment is used (rule 1). Ask support: `POST /support`.",
    "email_required": "Give the recipient's `email` (rule 3 or 7); `reason` is `already_invited` or `restricted`.",
    "email_mismatch": "The email given is not the recipient's.",
    "support_required": "Self-service lift refused: not the first restriction. Ask support: `POST /support`.",
    "grant_refused": "Grant refused; `reason` is `spammer` or `too_soon` (then `next_allowed_at` says when).",
    "not_found": "Unknown id, or an id that belongs to someone else.",
    "method_not_allowed": "The path exists but not with this method (see the Allow header).",
    "already_connected": "You're connected with them already.",
    "already_pending": "Your earlier invitation to them is still pending (resend it instead).",
    "already_answered": "The invitation was answered already.",
    "already_decided": "The request was accepted or declined already.",
    "not_withdrawable": "Only pending or ignored invitations can be withdrawn.",
    "not_resendable": "Only pending invitations can be resent.",
    "resend_too_soon": "Resent too recently; `next_allowed_at` says when it is possible again.",
    "not_deletable": "Only withdrawn invitations can be deleted from the sent list.",
    "not_restricted": "The account isn't restricted.",
    "self_lift_available": "You can lift this restriction yourself: `POST /me/restriction/lift`.",
    "request_open": "A request of this kind is already open with support.",
    "allotment_left": "You still have invitations left.",
    "link_limit_reached": "You have as many links as allowed; delete one first.",
    "token_limit_reached": "You hold as many tokens as allowed.",
    "webhook_limit_reached": "You have as many webhook endpoints as allowed; delete one first.",
    "endpoint_disabled": "The webhook endpoint is disabled; enable it first.",
    "delivery_in_progress": "The webhook delivery is being sent right now.",
    "link_inactive": "The link is paused, rotated, expired or full.",
    "too_large": "The request body is larger than the server accepts.",
    "captcha_required": "Beyond the free daily count (rule 2): solve `captcha` and send "
    "`captcha_id` and `captcha_answer`.",
    "rate_limited": "Too many requests; wait `Retry-After` seconds.",
    "internal": "An unexpected error on our side.",
}

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "enum": sorted(ERROR_STATUS)},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "A message per invalid field or parameter.",
                },
            },
            "required": ["code", "message"],
        },
        "reason": {"type": "string", "description": "For email_required and grant_refused."},
        "captcha": {"$ref": "#/components/schemas/Captcha"},
        "next_allowed_at": {"type": "string", "format": "date-time"},
    },
    "required": ["error"],
}


def error_responses(codes) -> dict:
    """Return the OpenAPI responses of these error codes, one per status, each naming its codes."""
    by_status: dict[int, list[str]] = {}
    for code in sorted(set(codes), key=lambda c: (ERROR_STATUS[c], c)):
        by_status.setdefault(ERROR_STATUS[code], []).append(code)
    responses = {}
    for status, found in sorted(by_status.items()):
        response = {
            "description": "; ".join(f"`{c}`: {ERROR_HELP[c]}" for c in found),
            "content": {
                "application/json": {
                    "schema": {
                        "allOf": [
                            {"$ref": "#/components/schemas/Error"},
                            {"properties": {"error": {"properties": {"code": {"enum": found}}}}},
                        ]
                    }
                }
            },
        }
        if status == 429:
            response["headers"] = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "string"}}}
        responses[str(status)] = response
    return responses


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
