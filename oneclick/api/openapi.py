"""The OpenAPI 3.1 document, built from the operation registry plus the response schemas below.

Request bodies and query parameters come from the same ``Field`` declarations the views validate with,
so the document can't promise a field the API doesn't read. A test checks that every ``/api/v1`` route in
``app.url_map`` is in the document and vice versa.
"""

from __future__ import annotations

from .core import ID_MAX, OPERATIONS, PUBLIC_ID_PATTERN, Operation
from .fields import body_schema

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
    "link_inactive": "The link is paused, rotated, expired or full.",
    "too_large": "The request body is larger than the server accepts.",
    "captcha_required": "Beyond the free daily count (rule 2): solve `captcha` and send "
    "`captcha_id` and `captcha_answer`.",
    "rate_limited": "Too many requests; wait `Retry-After` seconds.",
    "internal": "An unexpected error on our side.",
}

_NULLABLE_STR = {"type": ["string", "null"]}
_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
_PUBLIC_ID = {"type": "string", "description": "An opaque public id."}


def _obj(properties: dict, required: list[str] | None = None, **extra) -> dict:
    return {"type": "object", "properties": properties, "required": required or list(properties), **extra}


def _list_of(ref: str, cursor: bool) -> dict:
    props = {"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}}}
    if cursor:
        props["next_cursor"] = {
            "type": ["string", "null"],
            "description": "Pass as `cursor` for the next page; null on the last page.",
        }
    return _obj(props)


_QUOTA = _obj(
    {
        "allotment": {"type": "integer", "description": "Invitations allowed in total (grants included)."},
        "sent": {"type": "integer", "description": "Invitations sent so far (withdrawn ones count)."},
        "remaining": {"type": "integer"},
        "sent_last_24h": {"type": "integer"},
        "captcha_after": {"type": "integer", "description": "Invitations per rolling 24 h before a captcha."},
        "restricted": {"type": "boolean"},
        "restrictions": {"type": "integer", "description": "How many times the account has been restricted."},
        "declines_since_lift": {"type": "integer"},
        "spammer": {"type": "boolean"},
    }
)

SCHEMAS: dict[str, dict] = {
    "Error": _obj(
        {
            "error": _obj(
                {
                    "code": {"type": "string", "enum": sorted(ERROR_STATUS)},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "A message per invalid field or parameter.",
                    },
                },
                ["code", "message"],
            ),
            "reason": {"type": "string", "description": "For email_required and grant_refused."},
            "captcha": {"$ref": "#/components/schemas/Captcha"},
            "next_allowed_at": _TIME,
        },
        ["error"],
    ),
    "Captcha": _obj(
        {
            "id": {"type": "string"},
            "image_url": {"type": "string", "description": "GET it with your token: a PNG of six digits."},
        }
    ),
    "Quota": _QUOTA,
    "Me": _obj(
        {
            "id": _PUBLIC_ID,
            "name": {"type": "string"},
            "email": {"type": "string"},
            "handle": _NULLABLE_STR,
            "headline": {"type": "string"},
            "is_admin": {"type": "boolean"},
            "quota": {"$ref": "#/components/schemas/Quota"},
        }
    ),
    "LinkStats": _obj(
        {"clicks": {"type": "integer"}, "requests": {"type": "integer"}, "accepted": {"type": "integer"}}
    ),
    "Link": _obj(
        {
            "id": {"type": "integer"},
            "label": {"type": "string"},
            "channel": {"type": "string"},
            "message": {"type": "string"},
            "expires_at": _NULLABLE_TIME,
            "max_requests": {"type": ["integer", "null"]},
            "auto_accept": {"type": "boolean"},
            "url": {"type": "string", "description": "The public one-click URL of the link's current version."},
            "qr_svg_url": {"type": "string"},
            "qr_png_url": {"type": "string"},
            "active": {"type": "boolean", "description": "False while paused."},
            "state": {"type": "string", "enum": ["ok", "paused", "expired", "full"]},
            "primary": {"type": "boolean", "description": "The link /@handle leads to."},
            "created_at": _TIME,
            "stats": {"$ref": "#/components/schemas/LinkStats"},
        }
    ),
    "LinkList": _list_of("Link", cursor=False),
    "Request": _obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string"},
            "note": {"type": "string"},
            "link_id": {"type": ["integer", "null"]},
            "status": {"type": "string", "enum": ["pending", "accepted", "declined"]},
            "email_confirmed": {
                "type": "boolean",
                "description": "The sender proved they read mail at `email`: a member's verified account, or a "
                "guest who clicked the confirmation link mailed to them. False only for guest requests kept from "
                "before email confirmation existed.",
            },
            "created_at": _TIME,
        }
    ),
    "RequestList": _list_of("Request", cursor=True),
    "Connection": _obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string"},
            "member_id": {"type": ["string", "null"], "description": "The member's id, null for a guest."},
            "source": {"type": "string", "enum": ["link", "invitation"]},
            "created_at": _TIME,
        }
    ),
    "ConnectionList": _list_of("Connection", cursor=True),
    "Member": _obj(
        {
            "id": _PUBLIC_ID,
            "name": {"type": "string"},
            "handle": _NULLABLE_STR,
            "headline": {"type": "string"},
            "state": {
                "type": "string",
                "enum": ["connected", "pending", "invited_before", "invite"],
                "description": "Where you stand with them.",
            },
        }
    ),
    "MemberList": _list_of("Member", cursor=False),
    "Recipient": _obj(
        {
            "id": {
                "type": ["string", "null"],
                "description": "The member's id when you chose them by `recipient_id`; always null for an invitation "
                "by `email`, whoever holds the address (it is never mapped to an account).",
            },
            "name": {"type": "string", "description": "The member's name, or the name you gave with the address."},
            "email": {"type": ["string", "null"], "description": "The address you typed (by `email` only)."},
        }
    ),
    "Invitation": _obj(
        {
            "id": _PUBLIC_ID,
            "recipient": {"$ref": "#/components/schemas/Recipient"},
            "status": {"type": "string", "enum": ["pending"]},
            "created_at": _TIME,
        }
    ),
    "SentInvitation": _obj(
        {
            "id": _PUBLIC_ID,
            "recipient": {"$ref": "#/components/schemas/Recipient"},
            "relationship": {"type": "string"},
            "message": {"type": "string"},
            "status": {"type": "string", "enum": ["pending", "accepted", "ignored", "declined", "withdrawn"]},
            "stale": {"type": "boolean", "description": "Pending for longer than the stale age."},
            "created_at": _TIME,
            "resent_at": _NULLABLE_TIME,
            "actions": {"type": "array", "items": {"type": "string", "enum": ["withdraw", "resend", "delete"]}},
        }
    ),
    "SentInvitationList": _list_of("SentInvitation", cursor=True),
    "Sender": _obj(
        {"id": _PUBLIC_ID, "name": {"type": "string"}, "handle": _NULLABLE_STR, "headline": {"type": "string"}}
    ),
    "ReceivedInvitation": _obj(
        {
            "id": _PUBLIC_ID,
            "sender": {"$ref": "#/components/schemas/Sender"},
            "relationship": {"type": "string"},
            "message": {"type": "string"},
            "status": {"type": "string", "enum": ["pending", "ignored"]},
            "created_at": _TIME,
        }
    ),
    "ReceivedInvitationList": _list_of("ReceivedInvitation", cursor=False),
    "InvitationState": _obj(
        {
            "id": _PUBLIC_ID,
            "status": {"type": "string", "enum": ["pending", "accepted", "ignored", "declined", "withdrawn"]},
        }
    ),
    "SupportRequest": _obj(
        {
            "kind": {"type": "string", "enum": ["more_invitations", "lift_restriction"]},
            "message": {"type": "string"},
            "status": {"type": "string", "enum": ["open"]},
            "created_at": _TIME,
        }
    ),
    "AdminUser": _obj(
        {
            "id": _PUBLIC_ID,
            "name": {"type": "string"},
            "email": {"type": "string"},
            "handle": _NULLABLE_STR,
            "is_admin": {"type": "boolean"},
            "verified": {"type": "boolean"},
            "created_at": _TIME,
            "last_grant_at": _NULLABLE_TIME,
            "quota": {"$ref": "#/components/schemas/Quota"},
        }
    ),
    "AdminUserList": _list_of("AdminUser", cursor=False),
}

INTRO = """JSON API of oneclick for integrations: signature generators, CRMs, conference apps and scripts.

**Authentication.** Create a personal access token under Settings → API tokens (or with
`flask --app oneclick tokens create EMAIL`) and send it as `Authorization: Bearer <token>`. The API never
reads the session cookie: a request with only a cookie is refused with 401, so no CSRF token is needed.

**Errors** are always `{"error": {"code": "...", "message": "..."}}`, plus `"fields"` (a message per field)
for validation errors, and `reason`, `captcha` or `next_allowed_at` where a code says so.

**Rate limits** apply per token; a 429 carries `Retry-After` (seconds). **Times** are ISO 8601 UTC.
**Lists** with `next_cursor` are pages: pass it back as `cursor`, unchanged, for the next page."""


def _error_response(codes: list[str]) -> dict:
    described = "; ".join(f"`{c}`: {ERROR_HELP[c]}" for c in codes)
    return {
        "description": described,
        "content": {
            "application/json": {
                "schema": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Error"},
                        {"properties": {"error": {"properties": {"code": {"enum": codes}}}}},
                    ]
                }
            }
        },
    }


TAG_ORDER = ("Account", "Links", "Requests", "Connections", "Invitations", "Admin", "Meta")

SUCCESS_TEXT = {200: "OK", 201: "Created", 204: "Done; no content."}


def error_codes(op: Operation) -> list[str]:
    """Return every error code an operation can answer with, as documented."""
    codes = set(op.errors)
    if not op.public:
        codes |= {"unauthorized", "rate_limited"}
    if op.body is not None:
        codes |= {"invalid", "too_large"}
    if op.query:
        codes.add("invalid")
    if op.path_params:
        codes.add("not_found")
    return sorted(codes, key=lambda c: (ERROR_STATUS[c], c))


def _parameters(op: Operation) -> list[dict]:
    params = []
    for name in op.path_params:
        if f"<api_id:{name}>" in op.rule:
            schema = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
        else:
            schema = {"type": "string", "pattern": PUBLIC_ID_PATTERN}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    for name, field in op.query.items():
        param = {"name": name, "in": "query", "required": field.required, "schema": field.schema()}
        if field.description:
            param["description"] = field.description
        params.append(param)
    return params


def _operation(op: Operation) -> dict:
    doc: dict = {
        "operationId": op.endpoint.removeprefix("api."),
        "summary": op.summary,
        "tags": [op.tag],
    }
    if op.description:
        doc["description"] = op.description
    params = _parameters(op)
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": body_schema(op.body, partial=op.partial)}},
        }
    responses: dict[str, dict] = {}
    for status, ref in op.responses.items():
        response: dict = {"description": SUCCESS_TEXT.get(status, "OK")}
        if ref == "binary:image/png":
            response["content"] = {"image/png": {"schema": {"type": "string", "format": "binary"}}}
        elif ref is not None:
            response["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}
        responses[str(status)] = response
    by_status: dict[int, list[str]] = {}
    for code in error_codes(op):
        by_status.setdefault(ERROR_STATUS[code], []).append(code)
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = _error_response(codes)
        if status == 429:
            responses[str(status)]["headers"] = {
                "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "string"}}
            }
    doc["responses"] = responses
    if op.public:
        doc["security"] = []
    return doc


def build_document(server_url: str) -> dict:
    """Return the OpenAPI 3.1 document of every registered operation."""
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    used = {op.tag for op in OPERATIONS}
    tags = [{"name": tag} for tag in TAG_ORDER if tag in used]
    tags += [{"name": tag} for tag in sorted(used - set(TAG_ORDER))]
    return {
        "openapi": "3.1.0",
        "info": {"title": "oneclick API", "version": "1", "description": INTRO},
        "servers": [{"url": server_url}],
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "A personal access token."}
            },
        },
        "security": [{"bearer": []}],
    }
