"""The public side of a link: the landing page (the hot click path), its QR codes, present mode and /@handle."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Blueprint, abort, current_app, make_response, render_template, request, url_for
from flask_login import current_user

from .. import qr, tokens
from ..clock import utcnow
from ..errors import render_error
from ..extensions import limiter
from ..inbox.area import (
    fill_guest_slots,
    guest_area_with_slots,
    is_fresh_guest,
    mark_click_counted,
    strip_click_marker,
)
from ..links import services
from ..urls import external_url
from . import sources
from .bots import is_probably_bot

bp = Blueprint("landing", __name__)

#: Friendly answers for tokens that don't lead to an open link: (status, title, message).
STATE_PAGES = {
    "not_found": (
        404,
        "We couldn't find this link",
        "The address may be incomplete or mistyped. Check that you copied all of it, or ask the person who "
        "shared it for a new one.",
    ),
    "replaced": (
        410,
        "This link was replaced",
        "The person who shared it has made a new link in its place. Ask them for the current one.",
    ),
    "paused": (410, "This link is paused", "Its owner isn't accepting requests through it right now."),
    "expired": (410, "This link has expired", "It was only valid for a limited time. Ask its owner for a new one."),
    "full": (
        410,
        "This link is full",
        "It has received as many requests as its owner allows. Ask them for another way to connect.",
    ),
}

PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}


def state_page(state: str):
    """Return the friendly 404/410 response for a link that isn't open."""
    status, title, message = STATE_PAGES[state]
    body, status = render_error(status, title, message)
    return body, status, PRIVATE_HEADERS


@bp.get("/c/<token>")
def page(token: str):
    """Show the landing page of an open link and count the click."""
    now = utcnow()
    resolution = services.resolve_token(token, now)
    if resolution.state != "ok":
        return state_page(resolution.state)
    link = resolution.link
    is_owner = current_user.is_authenticated and current_user.id == link.owner_id
    counted = request.method == "GET" and not is_owner and not is_probably_bot(request.user_agent.string,
                                                                                 request.headers)
    if counted:
        services.record_click(link.id, now, click_source())
        mark_click_counted()  # the request form carries the marker: its request won't count the click again
    return _landing_body(link, token, is_owner, now, counted), 200, PRIVATE_HEADERS


def click_source() -> tuple[str, str | None, str]:
    """Return this request's click source: the referring host, utm_source and device class (no IP, no URL)."""
    utm = request.args.get("utm_source") if request.query_string else None
    return sources.click_source(request.headers.get("Referer"), utm, request.user_agent.string)


def _landing_body(link, token: str, is_owner: bool, now, counted: bool) -> str:
    """Render the landing page; for a fresh guest, from a per-process cache of the page with two slots.

    The cache key is the link's whole snapshot (owner included) plus the token, so an edit, pause or rotation
    makes a new key: a cached page is never stale, it just stops being asked for.
    """
    if is_owner or not is_fresh_guest(link):
        return render_template("landing/page.html", link=link, owner=link.owner, token=token, is_owner=is_owner)
    cache = current_app.extensions["oneclick.landing_cache"]
    key = (link, token)
    body = cache.get(key)
    if body is None:
        body = render_template("landing/page.html", link=link, owner=link.owner, token=token, is_owner=False,
                               area=guest_area_with_slots(token, tokens.sign_click_counted(link.public_id)))
        cache.put(key, body)
    if not counted:  # a HEAD, or a browser taken for a scanner: its request, if any, counts the click
        body = strip_click_marker(body, tokens.sign_click_counted(link.public_id))
    return fill_guest_slots(body, now)


@bp.get("/c/<token>/present")
def present(token: str):
    """Show the link full-screen for slides: a huge QR code, a short URL a person can type and the owner's name.

    The QR code and the URL are the link's share URL (its stable path when the owner chose it); a token URL is
    replaced by the owner's /@handle when this is their primary link, else shown with break points between parts.
    """
    resolution = services.resolve_token(token, utcnow())
    if resolution.state != "ok":
        return state_page(resolution.state)
    link = resolution.link
    owner = link.owner
    share = services.present_share(link.id)
    return render_template("landing/present.html", link=link, owner=owner, token=token, short_url=share.url,
                           url_parts=share.parts, qr_src=share.qr_src)


def _slug(text: str, fallback: str = "link") -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].strip("-")
    return slug or fallback


def _rendered(response) -> bool:
    return bool(getattr(response, "qr_rendered", False))


@bp.get("/c/<token>/qr.<any(svg, png):fmt>")
@limiter.limit(lambda: current_app.config["QR_RENDER_LIMIT_PER_IP"], deduct_when=_rendered)
def qr_image(token: str, fmt: str):
    """Return the link's QR code as SVG or PNG (options: size, ecc, border; download=1 for a file)."""
    try:
        options = qr.parse_options(request.args)
    except qr.QrOptionError as exc:
        return render_error(400, "That QR code size or setting isn't available", str(exc))
    # A QR code encodes exactly its own link's URL; the token is canonical, so it names the image before any query.
    key = (token, fmt, options)
    cache = current_app.extensions["oneclick.qr_cache"]
    # The link is checked first, for a conditional GET too: a rotated link's code is 410 like its page.
    target, state = services.link_version(token)
    if state != "ok":
        return state_page(state)
    known = cache.peek(key) if request.if_none_match else None
    if known is not None and known.etag in request.if_none_match:
        # Revalidating a copy we rendered: 304 without rendering.
        return _qr_response(b"", known, options, fmt, status=304)
    rendered, cached = qr.render(external_url("landing.page", token=token), fmt, options, cache, key)
    response = _qr_response(rendered.body, rendered, options, fmt, target=target)
    response.qr_rendered = not cached
    return response.make_conditional(request)


def _qr_response(body: bytes, rendered: qr.Rendered, options, fmt: str, status: int = 200,
                 target=None):
    response = make_response(body, status)
    response.mimetype = rendered.mimetype
    response.set_etag(rendered.etag)
    response.headers["Cache-Control"] = f"public, max-age={int(current_app.config['QR_MAX_AGE'])}"
    response.headers["X-Robots-Tag"] = "noindex"
    if target is not None and request.args.get("download") == "1":
        name = f"oneclick-{_slug(target.owner_name)}-{target.channel}-qr-{options.size}.{fmt}"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/@<handle>/<slug>/qr.<any(svg, png):fmt>")
@limiter.limit(lambda: current_app.config["QR_RENDER_LIMIT_PER_IP"], deduct_when=_rendered)
def stable_qr(handle: str, slug: str, fmt: str):
    """Return the QR code of a link's stable path (it encodes /@handle/<slug>, so it outlives every rotation)."""
    try:
        options = qr.parse_options(request.args)
    except qr.QrOptionError as exc:
        return render_error(400, "That QR code size or setting isn't available", str(exc))
    link = services.stable_target(handle, slug)
    if link is None:
        return state_page("not_found")
    url = services.stable_url(link)
    key = ("stable", url, fmt, options)
    rendered, cached = qr.render(url, fmt, options, current_app.extensions["oneclick.qr_cache"], key)
    target = services.QrTarget(link.public_id, link.version, link.channel, link.owner.name)
    response = _qr_response(rendered.body, rendered, options, fmt, target=target)
    response.headers["Cache-Control"] = "public, max-age=300"  # the path may be freed and reused: not for days
    response.qr_rendered = not cached
    return response.make_conditional(request)


@bp.get("/@<handle>/<slug>")
def stable(handle: str, slug: str):
    """Lead a link's stable short path to its current token URL (it survives rotations, not a pause or delete).

    A redirect: the token page counts the click once (with the query string, e.g. utm_source, passed on).
    """
    link = services.stable_target(handle, slug)
    if link is None:
        return state_page("not_found")
    state = services.link_state(link, utcnow())
    if state != "ok":
        return state_page(state)
    location = url_for("landing.page", token=services.link_token(link))
    if request.query_string:
        location += "?" + quote(request.query_string.decode("latin-1"), safe="&=+%/:;,@?!$'()*~-._")
    response = make_response("", 302)
    response.headers["Location"] = location
    response.headers.update(PRIVATE_HEADERS)
    return response


@bp.get("/@<handle>")
def vanity(handle: str):
    """Lead to the owner's primary link (a stable URL that survives rotation), unless switched off."""
    link = services.vanity_target(handle)
    if link is None:
        abort(404)
    response = make_response("", 302)
    response.headers["Location"] = url_for("landing.page", token=services.link_token(link))
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
