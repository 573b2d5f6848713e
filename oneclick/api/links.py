"""API: the member's one-click links (thin over ``links.services``)."""

from __future__ import annotations

from flask import current_app
from marshmallow import ValidationError, fields

from .. import limits
from ..clock import utcnow
from ..links import rules, services
from ..links.services import CHANNELS
from ..urls import external_url
from . import schemas
from .core import NO_CONTENT, acting_user, bp, iso
from .errors import ApiError, invalid, not_found
from .schemas import Body, Bool, Choice, DateTime, Int, Str

CHANNEL_VALUES = tuple(value for value, _ in CHANNELS)


class Slug(fields.String):
    """A link's stable short path: lowercase letters, digits and single hyphens, or null for none."""

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, metadata={
            "description": "The stable short path /@handle/<slug> (needs a handle); null for none. "
                           "Reserved words are refused.",
            "maxLength": limits.LINK_SLUG_MAX,
            "pattern": f"^{rules.SLUG_RE.pattern}$",
        }, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("Must be a string.")
        decision = rules.check_slug(value)
        if not decision.allowed:
            raise ValidationError(rules.MESSAGES[decision.reason])
        return value


class LinkBody(Body):
    label = Str(min_length=1, max_length=limits.LINK_LABEL_MAX, required=True, description="Only you see it.")
    channel = Choice(CHANNEL_VALUES, description="Where the link goes; `other` when omitted.")
    message = Str(
        max_length=limits.LINK_MESSAGE_MAX, multiline=True, description="Shown to visitors above the request form."
    )
    expires_at = DateTime(allow_none=True, description="The link stops taking requests at this time.")
    max_requests = Int(minimum=1, maximum=limits.LINK_MAX_REQUESTS, allow_none=True)
    auto_accept = Bool(description="Accept requests through this link automatically.")
    slug = Slug()
    share_stable = Bool(
        description="True: QR codes, present mode and snippets share the stable path (survives a rotation; "
                    "stopped by pausing or deleting); false: the token URL (revoked by a rotation)."
    )


class LinkPatchBody(LinkBody):
    active = Bool(description="False pauses the link, true resumes it.")


def _qr_url(token: str, fmt: str) -> str:
    return external_url("landing.qr_image", token=token, fmt=fmt)


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
        "slug": link.slug,
        "share_stable": bool(link.share_stable),
        "stable_url": services.stable_url(link),
        "share_url": services.share_url(link),
        "share_qr_svg_url": services.share_qr_src(link, "svg", external=True),
        "share_qr_png_url": services.share_qr_src(link, "png", external=True),
        "created_at": iso(link.created_at),
        "stats": {"clicks": funnel.clicks, "requests": funnel.requests, "accepted": funnel.accepted},
    }


def _detail_json(link_id: int):
    info = services.link_detail(acting_user(), link_id, utcnow())
    if info is None:
        raise not_found("You have no link with this id.")
    return link_json(info.link, info.state, info.url, info.funnel)


def _check_share(owner, data: dict, link=None) -> None:
    """Refuse a slug without a handle, a slug another link uses, and sharing a stable path the link lacks."""
    slug = data.get("slug", link.slug if link is not None else None)
    share_stable = data.get("share_stable", bool(link.share_stable) if link is not None else False)
    if data.get("slug") and not owner.handle:
        raise invalid("Some fields are not valid.", {"slug": rules.MESSAGES["no_handle"]})
    if share_stable and not slug:
        raise invalid("Some fields are not valid.", {"share_stable": rules.MESSAGES["needs_slug"]})


def _taken() -> ApiError:
    return invalid("Some fields are not valid.", {"slug": rules.MESSAGES["taken"]})


def _check_future(data: dict) -> None:
    expires = data.get("expires_at")
    if expires is not None and expires <= utcnow():
        raise invalid("Some fields are not valid.", {"expires_at": "Choose a time in the future, or null."})


@bp.operation("/links", "GET", summary="Your links, with statistics", tag="Links")
@bp.response(200, schemas.LinkList)
def list_links():
    """List the member's links, primary first, then newest first."""
    overview = services.links_overview(acting_user(), utcnow())
    return {"items": [link_json(r.link, r.state, r.url, r.funnel) for r in overview.rows]}


@bp.operation("/links", "POST", summary="Create a link", tag="Links", errors=("link_limit_reached",))
@bp.arguments(LinkBody)
@bp.response(201, schemas.Link)
def create_link(data: dict):
    """Create a link; the first one becomes the primary link."""
    _check_future(data)
    _check_share(acting_user(), data)
    try:
        link = services.create_link(acting_user(), services.LinkFields(**data))
    except services.LinkLimitReached as exc:
        limit = current_app.config["LINKS_MAX_PER_OWNER"]
        raise ApiError(409, "link_limit_reached", f"You already have {limit} links, the most allowed.") from exc
    except services.SlugTaken as exc:
        raise _taken() from exc
    return _detail_json(link.id)


@bp.operation("/links/<api_id:link_id>", "GET", summary="One link", tag="Links")
@bp.response(200, schemas.Link)
def get_link(link_id: int):
    """Return one of the member's links."""
    return _detail_json(link_id)


@bp.operation(
    "/links/<api_id:link_id>/sources",
    "GET",
    summary="Where a link's clicks came from",
    tag="Links",
    description="Per-day counts of the last 30 UTC days: the referring site's host only (never the page), the "
    "link's utm_source and the device class. No cookies, IP addresses or per-visitor rows are kept.",
)
@bp.response(200, schemas.LinkSources)
def link_sources(link_id: int):
    """Return the top sources and the device split of one of the member's links."""
    link = services.get_owned_link(acting_user(), link_id)
    if link is None:
        raise not_found("You have no link with this id.")
    split = services.link_sources(link.id, utcnow().date(), 30)

    def rows(pairs):
        return [{"value": value, "clicks": n} for value, n in pairs]

    return {"days": split.days, "total": split.total, "referrers": rows(split.referrers),
            "utm_sources": rows(split.utm_sources), "devices": rows(split.devices)}


@bp.operation(
    "/links/<api_id:link_id>",
    "PATCH",
    summary="Change a link, pause or resume it",
    tag="Links",
    description="Send only the fields to change.",
)
@bp.arguments(LinkPatchBody(partial=True))
@bp.response(200, schemas.Link)
def update_link(data: dict, link_id: int):
    """Change some of a link's settings."""
    _check_future(data)
    owner = acting_user()
    link = services.get_owned_link(owner, link_id)
    if link is None:
        raise not_found("You have no link with this id.")
    _check_share(owner, data, link)
    try:
        services.save_link(owner, link_id, data)
    except services.SlugTaken as exc:
        raise _taken() from exc
    return _detail_json(link_id)


@bp.operation("/links/<api_id:link_id>", "DELETE", summary="Delete a link", tag="Links", responses=NO_CONTENT)
def delete_link(link_id: int):
    """Delete one of the member's links with its statistics."""
    if not services.delete_link(acting_user(), link_id):
        raise not_found("You have no link with this id.")
    return current_app.response_class(status=204)


@bp.operation(
    "/links/<api_id:link_id>/rotate",
    "POST",
    summary="Give a link a new URL",
    tag="Links",
    description="The old URL and QR code stop working (visitors see that the link was replaced).",
)
@bp.response(200, schemas.Link)
def rotate_link(link_id: int):
    """Rotate a link: a new URL; the old one answers 410."""
    if not services.rotate_link(acting_user(), link_id):
        raise not_found("You have no link with this id.")
    return _detail_json(link_id)
