"""The API blueprint and what every endpoint shares: Bearer authentication, the per-token rate limit,
the operation registry the OpenAPI document is built from, opaque cursors and time formatting.

Authentication is by personal access token only. The session cookie is never read here, so a page on
another site can't make a signed-in browser act through the API; that is why the blueprint can be exempt
from CSRFProtect: without a Bearer token every request is refused with 401.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Blueprint, current_app, g, request
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature
from werkzeug.routing import BaseConverter

from .. import tokens
from ..clock import utcnow
from ..extensions import csrf, limiter
from ..models import ApiToken, User
from . import services
from .errors import ApiError, error_response, invalid
from .fields import Field, parse_query

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

ID_MAX = 2**31 - 1  # ids are 32-bit on PostgreSQL; a bigger number can't exist


class IdConverter(BaseConverter):
    """A database id in a path: 1 to 10 digits. One beyond 32 bits can't exist; it becomes 0 (never found).

    (Raising ValidationError instead would make Werkzeug answer 405 rather than 404 for some methods.)
    """

    regex = r"[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= ID_MAX else 0

    def to_url(self, value) -> str:
        return str(int(value))


class PublicIdConverter(BaseConverter):
    """An opaque public id (members, invitations, captchas); never the words of sibling routes."""

    regex = r"(?!(?:sent|received)(?![A-Za-z0-9_-]))[A-Za-z0-9_-]{1,32}"


PUBLIC_ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"


@bp.record_once
def _add_converters(state) -> None:
    state.app.url_map.converters.setdefault("api_id", IdConverter)
    state.app.url_map.converters.setdefault("public_id", PublicIdConverter)


# --- Authentication and limits ---------------------------------------------------------------------------


def _bearer() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def current_token() -> ApiToken | None:
    """Return the live token this request carries (looked up once per request), or None."""
    if "api_token" not in g:
        g.api_token = services.authenticate(_bearer(), utcnow())
    return g.api_token


def acting_user() -> User:
    """Return the member the request's token belongs to (the before-request hook guarantees one)."""
    token = current_token()
    if token is None:  # pragma: no cover - _require_token runs first
        raise ApiError(401, "unauthorized")
    return token.user


def _rate_key() -> str:
    """Key the API limit by token id; requests without a valid token share a bucket per address."""
    token = None if _is_public() else current_token()
    return f"api-token:{token.id}" if token is not None else f"api-addr:{get_remote_address()}"


limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api", key_func=_rate_key)(bp)


def _is_public() -> bool:
    operation = OPERATIONS_BY_ENDPOINT.get(request.endpoint or "")
    return operation is not None and operation.public


@bp.before_request
def _require_token():
    """Refuse every request without a valid Bearer token (the documentation endpoint excepted)."""
    if _is_public():
        return None
    if current_token() is not None:
        operation = OPERATIONS_BY_ENDPOINT.get(request.endpoint or "")
        if operation is not None and not operation.query:
            parse_query({})  # no parameters expected: unknown ones are refused
        return None
    if _bearer() is None:
        if request.cookies.get(current_app.config["SESSION_COOKIE_NAME"]):
            message = "The API doesn't accept the session cookie. Send Authorization: Bearer <token>."
        else:
            message = "Send a personal access token: Authorization: Bearer <token>."
    else:
        message = "That token is not valid, or it was revoked."
    raise ApiError(401, "unauthorized", message)


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_errorhandler(ApiError)
def _api_error(error: ApiError):
    return error_response(error)


def require_admin(user: User) -> None:
    """Raise 403 ``forbidden`` unless the member is a support admin."""
    if not user.is_admin:
        raise ApiError(403, "forbidden", "Only support admins may do that.")


# --- Operation registry (the OpenAPI document is built from it) -----------------------------------------


@dataclass
class Operation:
    """One documented endpoint: its route, what it reads and what it answers."""

    rule: str
    method: str
    endpoint: str
    summary: str
    tag: str
    description: str = ""
    body: dict[str, Field] | None = None
    body_required: bool = True
    partial: bool = False
    query: dict[str, Field] = field(default_factory=dict)
    responses: dict[int, str | None] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    public: bool = False

    @property
    def path(self) -> str:
        """Return the OpenAPI path, e.g. ``/api/v1/links/{link_id}``."""
        return bp.url_prefix + re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", self.rule)

    @property
    def path_params(self) -> list[str]:
        """Return the names of the path parameters."""
        return re.findall(r"<(?:[a-z_]+:)?([a-z_]+)>", self.rule)


OPERATIONS: list[Operation] = []
OPERATIONS_BY_ENDPOINT: dict[str, Operation] = {}


def operation(rule: str, method: str, **meta) -> Callable:
    """Register a view as an API route and document it in the OpenAPI registry."""

    def decorator(view):
        op = Operation(rule=rule, method=method, endpoint=f"{bp.name}.{view.__name__}", **meta)
        bp.add_url_rule(rule, view.__name__, view, methods=[method])
        OPERATIONS.append(op)
        OPERATIONS_BY_ENDPOINT[op.endpoint] = op
        return view

    return decorator


# --- Formatting and cursors ------------------------------------------------------------------------------


def iso(moment: datetime | None) -> str | None:
    """Return an aware time as ISO 8601 UTC with a ``Z`` (None stays None)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


CURSOR_SALT = "oneclick.api-cursor.v1"


def encode_cursor(kind: str, position: str) -> str:
    """Return an opaque, signed cursor for the list ``kind`` wrapping the service's page position."""
    payload = json.dumps([kind, position], separators=(",", ":")).encode("utf-8")
    packed = base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")
    return tokens.signer(CURSOR_SALT).sign(packed).decode("ascii")


def decode_cursor(kind: str, text: str | None) -> str | None:
    """Return the page position inside a cursor we issued for ``kind`` (None without one); else 400 ``invalid``."""
    if text is None:
        return None
    bad = invalid("That cursor is not valid: pass next_cursor on unchanged.", {"cursor": "Not valid."})
    if len(text) > 300:
        raise bad
    try:
        packed = tokens.signer(CURSOR_SALT).unsign(text).decode("ascii")
        data = json.loads(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)))
    except (BadSignature, UnicodeError, ValueError, binascii.Error) as exc:
        raise bad from exc
    if not isinstance(data, list) or len(data) != 2 or data[0] != kind or not isinstance(data[1], str):
        raise bad
    return data[1]
