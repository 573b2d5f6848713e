"""API: the support console for admins (thin over ``admin.services``)."""

from __future__ import annotations

import functools

from .. import limits
from ..admin import services
from ..clock import utcnow
from ..invitations import services as invitations
from . import schemas
from .account import quota_json
from .core import acting_user, bp, iso, require_admin
from .errors import ApiError, invalid, not_found
from .schemas import Body, Bool, Int, Query, Str


def admin_only(view):
    """Refuse members who aren't support admins (403) before the request's arguments are even read."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        require_admin(acting_user())
        return view(*args, **kwargs)

    return wrapper


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


class UsersQuery(Query):
    q = Str(max_length=limits.SEARCH_MAX, description="Part of an email, name or handle; newest first when empty.")


@bp.operation("/admin/users", "GET", summary="Find members (admins only)", tag="Admin", errors=("forbidden",))
@admin_only
@bp.arguments(UsersQuery, location="query")
@bp.response(200, schemas.AdminUserList)
def admin_users(args: dict):
    """Find members by email, name or handle."""
    return {"items": [user_json(m) for m in services.search_members(args.get("q", ""))]}


class GrantBody(Body):
    amount = Int(minimum=1, maximum=1_000_000, required=True, description="Between GRANT_MIN and GRANT_MAX.")


@bp.operation(
    "/admin/users/<public_id:user_id>/grants",
    "POST",
    summary="Grant a member more invitations (admins only)",
    tag="Admin",
    description="Refused for spammers and within the grant interval (`grant_refused` with a `reason`); an amount "
    "outside the configured range is `invalid`.",
    errors=("forbidden", "grant_refused"),
)
@admin_only
@bp.arguments(GrantBody)
@bp.response(201, schemas.AdminUser)
def admin_grant(data: dict, user_id: str):
    """Grant a member more invitations if the rules allow it."""
    actor = acting_user()
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
    return user_json(member)


@bp.operation(
    "/admin/users/<public_id:user_id>/restriction/lift",
    "POST",
    summary="Lift a member's restriction (admins only)",
    tag="Admin",
    errors=("forbidden", "not_restricted"),
)
@admin_only
@bp.response(200, schemas.AdminUser)
def admin_lift(user_id: str):
    """Lift a member's restriction."""
    actor = acting_user()
    member = _member(user_id)
    decision = services.lift(actor, member, utcnow())
    if not decision.allowed:
        raise ApiError(409, decision.reason, invitations.explain(decision))
    return user_json(member)


class SpammerBody(Body):
    labeled = Bool(required=True, description="True labels the member a spammer, false removes it.")


@bp.operation(
    "/admin/users/<public_id:user_id>/spammer",
    "PUT",
    summary="Label or unlabel a member as a spammer (admins only)",
    tag="Admin",
    description="Idempotent: setting the label a member already has changes nothing.",
    errors=("forbidden",),
)
@admin_only
@bp.arguments(SpammerBody)
@bp.response(200, schemas.AdminUser)
def admin_spammer(data: dict, user_id: str):
    """Set a member's spammer label."""
    actor = acting_user()
    member = _member(user_id)
    if data["labeled"]:
        services.label(actor, member, utcnow())
    else:
        services.unlabel(actor, member, utcnow())
    return user_json(member)
