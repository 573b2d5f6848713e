"""API: finding members and outbound invitations (thin over ``invitations.services``).

The quota rules decide; this module only turns their reason codes into the API's error codes.
"""

from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address

from .. import limits
from ..clock import utcnow
from ..extensions import limiter
from ..invitations import captcha as captchas
from ..invitations import services
from ..invitations.rules import RELATIONSHIPS, Decision, Relationship, Status
from ..urls import external_url
from . import schemas
from .core import NO_CONTENT, acting_user, bp, current_token, decode_cursor, encode_cursor, iso
from .errors import ApiError, invalid, not_found
from .schemas import CURSOR, Body, Choice, Email, Query, Str

#: Reason codes that are refusals of the current state, answered with 409 and the code as it is.
CONFLICTS = {
    "already_connected", "already_pending", "already_answered", "not_withdrawable", "not_resendable",
    "resend_too_soon", "not_deletable",
}



def _member_key() -> str:
    """Key the captcha limits by member, exactly as the web pages do (``invitations.views._member_key``)."""
    token = current_token()
    return f"member:{token.user_id}" if token is not None else f"ip:{get_remote_address()}"


def _no_captcha_try() -> bool:
    body = request.get_json(silent=True)
    return not (isinstance(body, dict) and (body.get("captcha_answer") or body.get("captcha_id")))


# The same scopes, keys and CAPTCHA_LIMIT as the web form and its captcha images: web and API share one bucket.
captcha_limit = limiter.shared_limit(
    lambda: current_app.config["CAPTCHA_LIMIT"], scope="captcha", key_func=_member_key, exempt_when=_no_captcha_try
)
captcha_media_limit = limiter.shared_limit(
    lambda: current_app.config["CAPTCHA_LIMIT"], scope="captcha-media", key_func=_member_key
)

class MembersQuery(Query):
    q = Str(max_length=limits.SEARCH_MAX, description="Part of a name or handle (at least 2 characters).")


@bp.operation("/members", "GET", summary="Find members to invite", tag="Invitations")
@bp.arguments(MembersQuery, location="query")
@bp.response(200, schemas.MemberList)
def members(args: dict):
    """Find members by name or handle, with where the member stands with each."""
    found = services.search_members(acting_user(), args.get("q", ""))
    items = [
        {
            "id": r.member.public_id,
            "name": r.member.name,
            "handle": r.member.handle,
            "headline": r.member.headline or "",
            "state": r.state,
        }
        for r in found
    ]
    return {"items": items}


PNG = {"200": {"description": "OK", "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}}

RELATIONSHIP_VALUES = tuple(r.value for r in Relationship if r.value in RELATIONSHIPS)

class SendBody(Body):
    recipient_id = Str(min_length=1, max_length=16, description="The member's id (from `GET /members`).")
    email = Email(description="Their email: for people who aren't members, or when the rules ask for it.")
    relationship = Choice(RELATIONSHIP_VALUES, required=True, description="How you know them.")
    # The column's size; the INVITE_MESSAGE_MAX setting may narrow it (checked in the view).
    message = Str(max_length=limits.INVITE_MESSAGE_MAX, multiline=True, description="A personal note.")
    captcha_id = Str(min_length=1, max_length=32)
    captcha_answer = Str(min_length=1, max_length=limits.CAPTCHA_ANSWER_MAX)


def _recipient_json(inv) -> dict:
    """Return the recipient as the sender may see them: a typed address only ever as typed."""
    if inv.addressed_by_email or inv.recipient_id is None:
        # The same keys and values whether a verified member, an unverified account or nobody has the address.
        return {"id": None, "name": inv.recipient_name or "", "email": inv.recipient_email}
    return {"id": inv.recipient.public_id, "name": inv.recipient.name, "email": None}


def _captcha_extra(sender, member) -> dict:
    """Return the sender's live captcha (a picture; minted if none) as the error body's ``captcha``."""
    screen = services.invite_screen(sender, member, utcnow(), "image")
    if screen.captcha is None:
        return {}
    image_url = external_url("api.captcha_image", captcha_id=screen.captcha.id)
    return {"captcha": {"id": screen.captcha.id, "image_url": image_url}}


def _refusal(decision: Decision, sender, member) -> ApiError:
    """Return the API error for a refused invitation."""
    reason = decision.reason
    text = services.explain(decision)
    if reason in CONFLICTS:
        extra = {"next_allowed_at": iso(decision.next_allowed_at)} if decision.next_allowed_at else {}
        return ApiError(409, reason, text, extra=extra)
    if reason == "self_invite":
        return ApiError(400, "self_invite", text)
    if reason in ("allotment_exhausted", "email_mismatch"):
        return ApiError(403, reason, text)
    if reason == "email_required":
        why = "already_invited" if decision.invited_before_at is not None else "restricted"
        return ApiError(403, "email_required", text, fields={"email": text}, extra={"reason": why})
    if reason == "captcha_required":
        return ApiError(428, "captcha_required", text, extra=_captcha_extra(sender, member))
    if reason == "captcha_wrong":
        return ApiError(400, "captcha_invalid", text, fields={"captcha_answer": text},
                        extra=_captcha_extra(sender, member))
    if reason in ("relationship_unknown", "relationship_invalid"):
        return invalid(text, {"relationship": text})
    return ApiError(403, "forbidden", text)


@bp.operation(
    "/invitations",
    "POST",
    summary="Invite a member (or someone by email)",
    tag="Invitations",
    description="Give `recipient_id` (a member) or `email`. The quota rules apply: beyond the free daily count "
    "a captcha is required (428), after earlier invitations or while restricted the recipient's email is.",
    errors=(
        "self_invite", "captcha_invalid", "allotment_exhausted", "email_required", "email_mismatch", "not_found",
        "already_connected", "already_pending", "captcha_required",
    ),
)
@captcha_limit
@bp.arguments(SendBody)
@bp.response(201, schemas.Invitation)
def send_invitation(data: dict):
    """Send an invitation under the quota rules."""
    if "recipient_id" not in data and "email" not in data:
        raise invalid("Give recipient_id or email.", {"recipient_id": "Give recipient_id or email."})
    limit = current_app.config["INVITE_MESSAGE_MAX"]
    if len(data.get("message", "")) > limit:
        raise invalid("Some fields are not valid.", {"message": f"Use at most {limit} characters."})
    sender = acting_user()
    member = None
    if "recipient_id" in data:
        member = services.find_member(data["recipient_id"])
        if member is None:
            raise not_found("No member has this id.")
    result = services.send_invitation(
        sender,
        utcnow(),
        member=member,
        email=data.get("email"),
        how_known=data["relationship"],
        message=data.get("message", ""),
        captcha_id=data.get("captcha_id"),
        captcha_answer=data.get("captcha_answer"),
    )
    if result.invitation is None:
        raise _refusal(result.decision, sender, member)
    inv = result.invitation
    return {
        "id": inv.public_id,
        "recipient": _recipient_json(inv),
        "status": "pending",
        "created_at": iso(inv.created_at),
    }


@bp.operation(
    "/captchas/<public_id:captcha_id>",
    "GET",
    summary="A captcha image (PNG)",
    tag="Invitations",
    description="The `image_url` of a `captcha_required` answer: six digits to send back as `captcha_answer`. "
    "The same image is shown until it is answered or expires; fetching images counts against the captcha limit.",
    responses=PNG,
)
@captcha_media_limit
def captcha_image(captcha_id: str):
    """Return the member's own live captcha as a PNG."""
    row = captchas.challenge(acting_user().id, captcha_id, utcnow())
    if row is None or row.kind != "image":
        raise not_found("No live captcha of yours has this id.")
    return current_app.response_class(row.challenge, mimetype="image/png")


class SentQuery(Query):
    status = Choice(tuple(s.value for s in Status), description="Only invitations in this state.")
    q = Str(max_length=limits.SEARCH_MAX, description="Part of the recipient's name or email.")
    cursor = Str(min_length=1, max_length=300, description=CURSOR)


@bp.operation(
    "/invitations/sent",
    "GET",
    summary="Invitations you sent, newest first",
    tag="Invitations",
    description="`status` never tells how a decline was made. `actions` lists what you may do now (rule 9).",
)
@bp.arguments(SentQuery, location="query")
@bp.response(200, schemas.SentInvitationList)
def sent(args: dict):
    """Return a page of the member's sent invitations."""
    position = decode_cursor("sent", args.get("cursor"))
    page_number = int(position) if position and position.isdigit() else 1
    page = services.sent_invitations(acting_user(), utcnow(), args.get("q", ""), page_number, args.get("status"))
    items = [
        {
            "id": row.invitation.public_id,
            "recipient": _recipient_json(row.invitation),
            "relationship": row.invitation.how_known,
            "message": row.invitation.message or "",
            "status": row.invitation.status,
            "stale": row.stale,
            "created_at": iso(row.invitation.created_at),
            "resent_at": iso(row.invitation.resent_at),
            "actions": sorted(str(a) for a in row.actions),
        }
        for row in page.rows
    ]
    next_cursor = encode_cursor("sent", str(page.page + 1)) if page.has_next else None
    return {"items": items, "next_cursor": next_cursor}


class ReceivedQuery(Query):
    status = Choice(("pending", "ignored"), description="`pending` when omitted; `ignored` lists archived ones.")


@bp.operation("/invitations/received", "GET", summary="Invitations waiting for your answer", tag="Invitations")
@bp.arguments(ReceivedQuery, location="query")
@bp.response(200, schemas.ReceivedInvitationList)
def received(args: dict):
    """List invitations sent to the member (pending, or the ignored ones)."""
    found = services.received_invitations(acting_user(), archived=args.get("status") == "ignored")
    items = [
        {
            "id": inv.public_id,
            "sender": {
                "id": inv.sender.public_id,
                "name": inv.sender.name,
                "handle": inv.sender.handle,
                "headline": inv.sender.headline or "",
            },
            "relationship": inv.how_known,
            "message": inv.message or "",
            "status": inv.status,
            "created_at": iso(inv.created_at),
        }
        for inv in found
    ]
    return {"items": items}


def _state(public_id: str, decision: Decision | None, status: str):
    if decision is None:
        raise not_found("You have no invitation with this id.")
    if not decision.allowed:
        raise _refusal(decision, None, None)
    return {"id": public_id, "status": status}


@bp.operation(
    "/invitations/<public_id:invitation_id>/withdraw",
    "POST",
    summary="Withdraw an invitation you sent",
    tag="Invitations",
    description="It still counts against your allotment.",
    errors=("not_withdrawable",),
)
@bp.response(200, schemas.InvitationState)
def withdraw(invitation_id: str):
    """Withdraw a pending or ignored invitation the member sent."""
    return _state(invitation_id, services.withdraw(acting_user(), invitation_id, utcnow()), "withdrawn")


@bp.operation(
    "/invitations/<public_id:invitation_id>/resend",
    "POST",
    summary="Send an invitation's email again",
    tag="Invitations",
    description="Pending invitations only, at most once per resend interval; costs no invitation.",
    errors=("not_resendable", "resend_too_soon"),
)
@bp.response(200, schemas.InvitationState)
def resend(invitation_id: str):
    """Resend a pending invitation the member sent."""
    return _state(invitation_id, services.resend(acting_user(), invitation_id, utcnow()), "pending")


@bp.operation(
    "/invitations/<public_id:invitation_id>",
    "DELETE",
    summary="Delete a withdrawn invitation from your sent list",
    tag="Invitations",
    errors=("not_deletable",),
    responses=NO_CONTENT,
)
def delete(invitation_id: str):
    """Remove a withdrawn invitation from the member's sent list."""
    _state(invitation_id, services.delete_withdrawn(acting_user(), invitation_id), "withdrawn")
    return current_app.response_class(status=204)


def _respond_view(action: str, status: str, summary: str, description: str):
    def view(invitation_id: str):
        return _state(invitation_id, services.respond(acting_user(), invitation_id, action, utcnow()), status)

    view.__name__ = f"{action}_invitation"
    view.__doc__ = f"{summary} (as its recipient)."
    bp.operation(
        f"/invitations/<public_id:invitation_id>/{action}",
        "POST",
        summary=summary,
        tag="Invitations",
        description=description,
        errors=("already_answered",),
    )(bp.response(200, schemas.InvitationState)(view))


_respond_view("accept", "accepted", "Accept an invitation", "Connects you both.")
_respond_view("ignore", "ignored", "Ignore an invitation", "Archives it; no penalty for the sender.")
_respond_view(
    "idk", "declined", "Decline: \"I don't know them\"", "Counts against the sender; they only see `declined`."
)
_respond_view("spam", "declined", "Decline: report as spam", "Counts against the sender; they only see `declined`.")
