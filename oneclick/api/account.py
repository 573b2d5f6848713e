"""API: the document itself, the member (``/me``), their restriction and support requests."""

from __future__ import annotations

from flask import Response, jsonify

from .. import limits
from ..clock import utcnow
from ..invitations import services as invitations
from ..privacy import export
from . import schemas
from .core import acting_user, bp, build_document, iso
from .errors import ApiError
from .schemas import Body, Bool, Choice, Str


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


@bp.operation(
    "/openapi.json",
    "GET",
    summary="This document (OpenAPI 3.1)",
    tag="Meta",
    public=True,
    responses={"200": {"description": "OK"}},
)
def openapi():
    """Return the OpenAPI 3.1 document of the API."""
    return jsonify(build_document())


@bp.operation("/me", "GET", summary="You, with your invitation quota", tag="Account")
@bp.response(200, schemas.Me)
def me():
    """Return the token's member with their invitation quota."""
    return _me_json(acting_user())


class LiftBody(Body):
    agree = Bool(only=True, message="Send true to agree to the invitation rules.", required=True)


@bp.operation(
    "/me/restriction/lift",
    "POST",
    summary="Lift your own restriction (the first one only)",
    tag="Account",
    description="Agree to the invitation rules again. Later restrictions need support: `POST /support`.",
    errors=("support_required", "not_restricted"),
)
@bp.arguments(LiftBody)
@bp.response(200, schemas.Me)
def lift_restriction(_agreed: dict):
    """Lift the member's own restriction when the rules allow it."""
    user = acting_user()
    decision = invitations.self_lift(user, utcnow())
    if not decision.allowed:
        status = 403 if decision.reason == "support_required" else 409
        raise ApiError(status, decision.reason, invitations.explain(decision))
    return _me_json(user)


class SupportBody(Body):
    kind = Choice(("more_invitations", "lift_restriction"), required=True)
    message = Str(
        max_length=limits.SUPPORT_MESSAGE_MAX, required=True, multiline=True, description="What support should know."
    )


@bp.operation(
    "/support",
    "POST",
    summary="Ask support for more invitations or to lift a restriction",
    tag="Account",
    errors=("not_restricted", "self_lift_available", "request_open", "allotment_left"),
)
@bp.arguments(SupportBody)
@bp.response(201, schemas.SupportRequest)
def support(data: dict):
    """File a request to support."""
    now = utcnow()
    decision = invitations.request_support(acting_user(), data["kind"], data["message"], now)
    if not decision.allowed:
        raise ApiError(409, decision.reason, invitations.explain(decision))
    return {"kind": data["kind"], "message": data["message"], "status": "open", "created_at": iso(now)}


@bp.operation(
    "/account/export",
    "GET",
    summary="All your data, as one zip archive",
    tag="Account",
    description="The archive Settings → Your data downloads: JSON files of your profile, card, links with their "
    "statistics, requests, connections, invitations, blocks, notifications, API tokens, webhooks and audit "
    "entries about you, and vCards of your card and your connections'.",
    responses={"200": {"description": "The zip archive.",
                       "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}},
)
def account_export():
    """Return the token's member's data as a zip archive."""
    now = utcnow()
    return Response(export.member_archive(acting_user(), now), mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="oneclick-data-{now:%Y-%m-%d}.zip"',
        "Cache-Control": "no-store",
    })
