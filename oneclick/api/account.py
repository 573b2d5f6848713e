"""API: the document itself, the member (``/me``), their restriction and support requests."""

from __future__ import annotations

from flask import current_app, jsonify

from ..clock import utcnow
from ..invitations import services as invitations
from .core import acting_user, iso, operation
from .errors import ApiError
from .fields import Choice, Const, Str, parse_body


def quota_json(summary: invitations.QuotaSummary) -> dict:
    """Return the quota block of a member's invitation counters."""
    return {
        "allotment": summary.allotment,
        "sent": summary.sent,
        "remaining": summary.left,
        "sent_last_24h": summary.sent_24h,
        "captcha_after": summary.captcha_after,
        "restricted": summary.restricted,
        "restrictions": summary.restrictions,
        "declines_since_lift": summary.declines_since_lift,
        "spammer": summary.spammer,
    }


def _me_json(user) -> dict:
    return {
        "id": user.public_id,
        "name": user.name,
        "email": user.email,
        "handle": user.handle,
        "headline": user.headline or "",
        "is_admin": bool(user.is_admin),
        "quota": quota_json(invitations.quota_summary(user, utcnow())),
    }


@operation(
    "/openapi.json", "GET", summary="This document (OpenAPI 3.1)", tag="Meta", public=True, responses={200: None}
)
def openapi():
    """Return the OpenAPI 3.1 document of the API."""
    from .openapi import build_document

    return jsonify(build_document(current_app.config["PUBLIC_URL"]))


@operation("/me", "GET", summary="You, with your invitation quota", tag="Account", responses={200: "Me"})
def me():
    """Return the token's member with their invitation quota."""
    return jsonify(_me_json(acting_user()))


LIFT_BODY = {"agree": Const(True, "Send true to agree to the invitation rules.", required=True)}


@operation(
    "/me/restriction/lift",
    "POST",
    summary="Lift your own restriction (the first one only)",
    tag="Account",
    description="Agree to the invitation rules again. Later restrictions need support: `POST /support`.",
    body=LIFT_BODY,
    responses={200: "Me"},
    errors=("support_required", "not_restricted"),
)
def lift_restriction():
    """Lift the member's own restriction when the rules allow it."""
    parse_body(LIFT_BODY)
    user = acting_user()
    decision = invitations.self_lift(user, utcnow())
    if not decision.allowed:
        status = 403 if decision.reason == "support_required" else 409
        raise ApiError(status, decision.reason, invitations.explain(decision))
    return jsonify(_me_json(user))


SUPPORT_BODY = {
    "kind": Choice(("more_invitations", "lift_restriction"), required=True),
    "message": Str(max_length=1000, required=True, multiline=True, description="What support should know."),
}


@operation(
    "/support",
    "POST",
    summary="Ask support for more invitations or to lift a restriction",
    tag="Account",
    body=SUPPORT_BODY,
    responses={201: "SupportRequest"},
    errors=("not_restricted", "self_lift_available", "request_open", "allotment_left"),
)
def support():
    """File a request to support."""
    data = parse_body(SUPPORT_BODY)
    now = utcnow()
    decision = invitations.request_support(acting_user(), data["kind"], data["message"], now)
    if not decision.allowed:
        raise ApiError(409, decision.reason, invitations.explain(decision))
    body = {"kind": data["kind"], "message": data["message"], "status": "open", "created_at": iso(now)}
    return jsonify(body), 201
