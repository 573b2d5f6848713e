"""The API blueprint and what every endpoint shares: Bearer authentication, the per-token rate limit, how
operations are declared and documented (flask-smorest), opaque cursors and time formatting.

flask-smorest binds to our plain ``Flask`` app and documents only the blueprint registered through its
``Api``; marshmallow schemas validate each request and the same schemas are the OpenAPI document. The error
envelope stays ours (``errors.py``): flask-smorest's own error handler and default responses are switched off.

Authentication is by personal access token only. The session cookie is never read here, so a page on
another site can't make a signed-in browser act through the API; that is why the blueprint can be exempt
from CSRFProtect: without a Bearer token every request is refused with 401.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, datetime

import flask_smorest
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, current_app, g, request
from flask_limiter.util import get_remote_address
from flask_smorest.spec.plugins import FlaskPlugin
from flask_smorest.utils import deepupdate
from itsdangerous import BadSignature
from webargs.flaskparser import FlaskParser
from werkzeug.routing import BaseConverter

from .. import tokens
from ..clock import utcnow
from ..extensions import csrf, limiter
from ..models import ApiToken, User
from ..validators import MAX_ID
from . import services
from .errors import ERROR_SCHEMA, ApiError, error_response, error_responses, invalid
from .schemas import Captcha, schema_name

ID_MAX = MAX_ID  # ids are 32-bit on PostgreSQL; a bigger number can't exist


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


# --- Reading requests --------------------------------------------------------------------------------------


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def json_body():
    """Return the parsed JSON body (whatever the Content-Type); raise 400 ``invalid`` when it is missing or bad."""
    data = request.get_data(cache=True)  # beyond MAX_CONTENT_LENGTH Werkzeug raises 413
    if not data.strip():
        raise invalid("Send a JSON object in the request body.")
    try:
        body = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise invalid("The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise invalid("Send a JSON object in the request body.")
    return body


class Parser(FlaskParser):
    """webargs, answering in our envelope: 400 ``invalid`` with one message per field."""

    DEFAULT_VALIDATION_STATUS = 400

    def load_json(self, req, schema):
        return json_body()

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        found: dict[str, str] = {}
        query = False
        for location, messages in error.normalized_messages().items():
            query = query or location == "query"
            for name, text in (messages.items() if isinstance(messages, dict) else [("_schema", messages)]):
                while isinstance(text, list | dict):
                    text = text[0] if isinstance(text, list) else next(iter(text.values()))
                found[str(name)[:64]] = str(text)
        raise invalid(f"Some {'parameters' if query else 'fields'} are not valid.", found)


class ApiBlueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose operations name their error codes; the document lists each one."""

    ARGUMENTS_PARSER = Parser(unknown=None)  # None: each schema's own ``unknown = RAISE`` applies

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.public_endpoints: set[str] = set()
        self.query_endpoints: set[str] = set()

    def operation(
        self,
        rule: str,
        method: str,
        *,
        summary: str,
        tag: str,
        description: str = "",
        errors: tuple[str, ...] = (),
        public: bool = False,
        responses: dict | None = None,
    ) -> Callable:
        """Register a view (decorated with ``arguments``/``response``) and document its errors and summary."""

        def decorator(view):
            doc = dict(getattr(view, "_apidoc", {}))
            arguments = doc.get("arguments", {})
            arguments.pop("responses", None)  # documented below, with our error codes
            locations = {p["in"] for p in arguments.get("parameters", [])}
            codes = set(errors)
            if not public:
                codes |= {"unauthorized", "rate_limited"}
            if "json" in locations:
                codes |= {"invalid", "too_large"}
            if "query" in locations:
                codes.add("invalid")
            if "<" in rule:
                codes.add("not_found")
            manual = {"operationId": view.__name__, "summary": summary, "responses": error_responses(codes)}
            if responses:
                manual["responses"].update(responses)
            if description:
                manual["description"] = description
            if public:
                manual["security"] = []
                self.public_endpoints.add(f"{self.name}.{view.__name__}")
            if "query" in locations:
                self.query_endpoints.add(f"{self.name}.{view.__name__}")
            doc["manual_doc"] = deepupdate(dict(doc.get("manual_doc", {})), manual)
            view._apidoc = doc
            return self.route(rule, methods=[method], tags=[tag])(view)

        return decorator


bp = ApiBlueprint("api", __name__, url_prefix="/api/v1")

#: The documented answer of an operation that answers 204 (its view returns an empty response itself).
NO_CONTENT = {"204": {"description": "Done; no content."}}
csrf.exempt(bp)


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
    return request.endpoint in bp.public_endpoints


@bp.before_request
def _require_token():
    """Refuse every request without a valid Bearer token (the documentation endpoint excepted)."""
    if _is_public():
        return None
    if current_token() is not None:
        if request.endpoint not in bp.query_endpoints and request.args:  # no parameters expected
            raise invalid("Some parameters are not valid.", {name[:64]: "Unknown parameter." for name in request.args})
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


# --- The OpenAPI document ----------------------------------------------------------------------------------

INTRO = """JSON API of oneclick for integrations: signature generators, CRMs, conference apps and scripts.

**Authentication.** Create a personal access token under Settings → API tokens (or with
`flask --app oneclick tokens create EMAIL`) and send it as `Authorization: Bearer <token>`. The API never
reads the session cookie: a request with only a cookie is refused with 401, so no CSRF token is needed.

**Errors** are always `{"error": {"code": "...", "message": "..."}}`, plus `"fields"` (a message per field)
for validation errors, and `reason`, `captcha` or `next_allowed_at` where a code says so.

**Rate limits** apply per token; a 429 carries `Retry-After` (seconds). **Times** are ISO 8601 UTC.
**Lists** with `next_cursor` are pages: pass it back as `cursor`, unchanged, for the next page."""

TAG_ORDER = ("Account", "Links", "Requests", "Connections", "Invitations", "Admin", "Meta")


class _FlaskPlugin(FlaskPlugin):
    """Path parameters on each operation (where readers of the document look), not on the path."""

    def path_helper(self, rule, operations, parameters, **kwargs):
        path = super().path_helper(rule, operations, parameters, **kwargs)
        if parameters:
            for operation in operations.values():
                operation["parameters"] = [*parameters, *operation.get("parameters", [])]
            parameters.clear()
        return path


class _Api(flask_smorest.Api):
    """flask-smorest's Api without its error handler, default error responses or documentation pages."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        """Leave errors to oneclick/errors.py, which answers under /api/v1 in our envelope."""

    def _register_responses(self):
        """Document error responses per operation instead (``ApiBlueprint.operation``)."""


def init_app(app: Flask) -> None:
    """Register the API blueprint on the app through a flask-smorest Api that documents it."""
    api = _Api(
        spec_kwargs={
            "title": "oneclick API",
            "version": "1",
            "openapi_version": "3.1.0",
            "flask_plugin": _FlaskPlugin(),
            "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name),
            "info": {"description": INTRO},
            "security": [{"bearer": []}],
        }
    )
    api.init_app(app)
    api.register_converter(IdConverter, lambda _: {"type": "integer", "minimum": 1, "maximum": ID_MAX})
    api.register_converter(PublicIdConverter, lambda _: {"type": "string", "pattern": PUBLIC_ID_PATTERN})
    api.spec.components.schema("Captcha", schema=Captcha)
    api.spec.components.schema("Error", ERROR_SCHEMA)
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "A personal access token."}
    )
    app.extensions["oneclick.api"] = api
    api.register_blueprint(bp)


def build_document(server_url: str | None = None) -> dict:
    """Return the OpenAPI 3.1 document of the current app's API."""
    document = current_app.extensions["oneclick.api"].spec.to_dict()
    document["servers"] = [{"url": server_url or current_app.config["PUBLIC_URL"]}]
    used = {op["tags"][0] for methods in document["paths"].values() for op in methods.values()}
    document["tags"] = [{"name": tag} for tag in (*TAG_ORDER, *sorted(used - set(TAG_ORDER))) if tag in used]
    return document
