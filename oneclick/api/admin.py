"""API: the support console for admins (thin over ``admin.services``)."""

from __future__ import annotations

from flask import jsonify

from ..admin import services
from ..clock import utcnow
from ..invitations import services as invitations
from .account import quota_json
from .core import acting_user, iso, operation, require_admin
from .errors import ApiError, invalid, not_found
from .fields import Bool, Int, Str, parse_body, parse_query


def _admin():
    user = acting_user()
    require_admin(user)
    return user


def _member(public_id: str):
    member = services.find_member(public_id)
    if member is None:
        raise not_found("No member has this id.")
    return member


def user_json(member) -> dict:
    """Return a member as support sees them."""
    summary = invitations.quota_summary(member, utcnow())
    return {
        "id": member.public_id,
        "name": member.name,
        "email": member.email,
        "handle": member.handle,
        "is_admin": bool(member.is_admin),
        "verified": member.email_verified_at is not None,
        "created_at": iso(member.created_at),
        "last_grant_at": iso(summary.last_grant_at),
        "quota": quota_json(summary),
    }


USERS_QUERY = {"q": Str(max_length=100, description="Part of an email, name or handle; newest first when empty.")}


@operation(
    "/admin/users",
    "GET",
    summary="Find members (admins only)",
    tag="Admin",
    query=USERS_QUERY,
    responses={200: "AdminUserList"},
    errors=("forbidden",),
)
def admin_users():
    """Find members by email, name or handle."""
    _admin()
    args = parse_query(USERS_QUERY)
    return jsonify({"items": [user_json(m) for m in services.search_members(args.get("q", ""))]})


GRANT_BODY = {
    "amount": Int(minimum=1, maximum=1_000_000, required=True, description="Between GRANT_MIN and GRANT_MAX."),
}


@operation(
    "/admin/users/<public_id:user_id>/grants",
    "POST",
    summary="Grant a member more invitations (admins only)",
    tag="Admin",
    description="Refused for spammers and within the grant interval (`grant_refused` with a `reason`); an amount "
    "outside the configured range is `invalid`.",
    body=GRANT_BODY,
    responses={201: "AdminUser"},
    errors=("forbidden", "grant_refused"),
)
def admin_grant(user_id: str):
    """Grant a member more invitations if the rules allow it."""
    actor = _admin()
    data = parse_body(GRANT_BODY)
    member = _member(user_id)
    decision = services.grant(actor, member, data["amount"], utcnow())
    if not decision.allowed:
        text = invitations.explain(decision)
        if decision.reason == "grant_out_of_bounds":
            raise invalid(text, {"amount": text})
        extra = {"reason": "spammer" if decision.reason == "spammer" else "too_soon"}
        if decision.next_allowed_at is not None:
            extra["next_allowed_at"] = iso(decision.next_allowed_at)
        raise ApiError(403, "grant_refused", text, extra=extra)
    return jsonify(user_json(member)), 201


@operation(
    "/admin/users/<public_id:user_id>/restriction/lift",
    "POST",
    summary="Lift a member's restriction (admins only)",
    tag="Admin",
    responses={200: "AdminUser"},
    errors=("forbidden", "not_restricted"),
)
def admin_lift(user_id: str):
    """Lift a member's restriction."""
    actor = _admin()
    member = _member(user_id)
    decision = services.lift(actor, member, utcnow())
    if not decision.allowed:
        raise ApiError(409, decision.reason, invitations.explain(decision))
    return jsonify(user_json(member))


SPAMMER_BODY = {"labeled": Bool(required=True, description="True labels the member a spammer, false removes it.")}


@operation(
    "/admin/users/<public_id:user_id>/spammer",
    "PUT",
    summary="Label or unlabel a member as a spammer (admins only)",
    tag="Admin",
    description="Idempotent: setting the label a member already has changes nothing.",
    body=SPAMMER_BODY,
    responses={200: "AdminUser"},
    errors=("forbidden",),
)
def admin_spammer(user_id: str):
    """Set a member's spammer label."""
    actor = _admin()
    data = parse_body(SPAMMER_BODY)
    member = _member(user_id)
    if data["labeled"]:
        services.label(actor, member, utcnow())
    else:
        services.unlabel(actor, member, utcnow())
    return jsonify(user_json(member))
