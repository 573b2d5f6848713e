"""API: the member's one-click links (thin over ``links.services``)."""

from __future__ import annotations

from flask import current_app, jsonify, url_for

from ..clock import utcnow
from ..links import services
from ..links.forms import CHANNELS, MAX_REQUESTS_LIMIT, MESSAGE_MAX
from .core import acting_user, iso, operation
from .errors import ApiError, invalid, not_found
from .fields import Bool, Choice, DateTime, Int, Str, parse_body

CHANNEL_VALUES = tuple(value for value, _ in CHANNELS)

LINK_BODY = {
    "label": Str(min_length=1, max_length=80, required=True, description="Only you see it."),
    "channel": Choice(CHANNEL_VALUES, description="Where the link goes; `other` when omitted."),
    "message": Str(max_length=MESSAGE_MAX, multiline=True, description="Shown to visitors above the request form."),
    "expires_at": DateTime(nullable=True, description="The link stops taking requests at this time."),
    "max_requests": Int(minimum=1, maximum=MAX_REQUESTS_LIMIT, nullable=True),
    "auto_accept": Bool(description="Accept requests through this link automatically."),
}
PATCH_BODY = {**LINK_BODY, "active": Bool(description="False pauses the link, true resumes it.")}


def _qr_url(token: str, fmt: str) -> str:
    return current_app.config["PUBLIC_URL"] + url_for("landing.qr_image", token=token, fmt=fmt)


def link_json(link, state: str, url: str, funnel) -> dict:
    """Return a link as the API shows it."""
    token = services.link_token(link)
    return {
        "id": link.id,
        "label": link.label,
        "channel": link.channel,
        "message": link.message or "",
        "expires_at": iso(link.expires_at),
        "max_requests": link.max_requests,
        "auto_accept": bool(link.auto_accept),
        "url": url,
        "qr_svg_url": _qr_url(token, "svg"),
        "qr_png_url": _qr_url(token, "png"),
        "active": bool(link.active),
        "state": state,
        "primary": bool(link.is_primary),
        "created_at": iso(link.created_at),
        "stats": {"clicks": funnel.clicks, "requests": funnel.requests, "accepted": funnel.accepted},
    }


def _detail_json(link_id: int):
    info = services.link_detail(acting_user(), link_id, utcnow())
    if info is None:
        raise not_found("You have no link with this id.")
    return link_json(info.link, info.state, info.url, info.funnel)


def _check_future(data: dict) -> None:
    expires = data.get("expires_at")
    if expires is not None and expires <= utcnow():
        raise invalid("Some fields are not valid.", {"expires_at": "Choose a time in the future, or null."})


@operation("/links", "GET", summary="Your links, with statistics", tag="Links", responses={200: "LinkList"})
def list_links():
    """List the member's links, primary first, then newest first."""
    overview = services.links_overview(acting_user(), utcnow())
    return jsonify({"items": [link_json(r.link, r.state, r.url, r.funnel) for r in overview.rows]})


@operation(
    "/links",
    "POST",
    summary="Create a link",
    tag="Links",
    body=LINK_BODY,
    responses={201: "Link"},
    errors=("link_limit_reached",),
)
def create_link():
    """Create a link; the first one becomes the primary link."""
    data = parse_body(LINK_BODY)
    _check_future(data)
    try:
        link = services.create_link(acting_user(), services.LinkFields(**data))
    except services.LinkLimitReached as exc:
        limit = current_app.config["LINKS_MAX_PER_OWNER"]
        raise ApiError(409, "link_limit_reached", f"You already have {limit} links, the most allowed.") from exc
    return jsonify(_detail_json(link.id)), 201


@operation("/links/<api_id:link_id>", "GET", summary="One link", tag="Links", responses={200: "Link"})
def get_link(link_id: int):
    """Return one of the member's links."""
    return jsonify(_detail_json(link_id))


@operation(
    "/links/<api_id:link_id>",
    "PATCH",
    summary="Change a link, pause or resume it",
    tag="Links",
    description="Send only the fields to change.",
    body=PATCH_BODY,
    partial=True,
    responses={200: "Link"},
)
def update_link(link_id: int):
    """Change some of a link's settings."""
    data = parse_body(PATCH_BODY, partial=True)
    _check_future(data)
    owner = acting_user()
    link = services.get_owned_link(owner, link_id)
    if link is None:
        raise not_found("You have no link with this id.")
    services.change_link(owner, link_id, data)
    return jsonify(_detail_json(link_id))


@operation("/links/<api_id:link_id>", "DELETE", summary="Delete a link", tag="Links", responses={204: None})
def delete_link(link_id: int):
    """Delete one of the member's links with its statistics."""
    if not services.delete_link(acting_user(), link_id):
        raise not_found("You have no link with this id.")
    return "", 204


@operation(
    "/links/<api_id:link_id>/rotate",
    "POST",
    summary="Give a link a new URL",
    tag="Links",
    description="The old URL and QR code stop working (visitors see that the link was replaced).",
    responses={200: "Link"},
)
def rotate_link(link_id: int):
    """Rotate a link: a new URL; the old one answers 410."""
    if not services.rotate_link(acting_user(), link_id):
        raise not_found("You have no link with this id.")
    return jsonify(_detail_json(link_id))
