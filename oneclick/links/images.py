"""The owner's downloadable pictures of a link: a video-call background and a slide, both 1920x1080 PNG.

Routes on the links blueprint (``oneclick/__init__.py`` imports this module before registering it), owner only;
the pictures come from ``oneclick.cards`` and are cached with the QR codes (strong ETag, 304).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask import abort, current_app, make_response, request
from flask_login import current_user, login_required

from .. import cards
from ..extensions import limiter
from . import services
from .views import bp

KINDS = {"background": cards.render_background, "slide": cards.render_slide}


def text_url(link, qr_url: str) -> str:
    """The URL the pictures print as text: the QR's when it is the stable path, else the shortest that leads there.

    For the primary link that is the owner's /@handle address (as in present mode), else the token URL itself.
    """
    owner = link.owner
    if qr_url == services.link_url(link) and link.is_primary and owner.handle and owner.vanity_enabled:
        return services.vanity_url(owner)
    return qr_url


@dataclass(frozen=True, slots=True)
class SlideFacts:
    """What the link page says about the slide's QR code: pixels per module, modules and pixels across."""

    module_px: int
    modules: int

    @property
    def side_px(self) -> int:
        return self.module_px * self.modules


@bp.app_template_global("slide_facts")
def slide_facts(link) -> SlideFacts:
    """Return the QR geometry of ``link``'s slide at 1920x1080 (for the link page)."""
    url = services.share_url(link)
    return SlideFacts(cards.slide_module_px(url), cards.qr_modules(url))


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].strip("-") or "link"


def _rendered(response) -> bool:
    return bool(getattr(response, "image_rendered", False))


@bp.get("/<int:link_id>/<any(background, slide):kind>.png")
@login_required
@limiter.limit(lambda: current_app.config["QR_RENDER_LIMIT_PER_IP"], deduct_when=_rendered)
def share_image(link_id: int, kind: str):
    """Download the link's virtual background or slide (1920x1080 PNG with its QR code); someone else's: 404."""
    link = services.get_owned_link(current_user._get_current_object(), link_id)
    if link is None:
        abort(404)
    owner = link.owner
    qr_url = services.share_url(link)  # the stable path or the token URL, as the owner chose for this link
    shown_url = text_url(link, qr_url)
    key = (kind, owner.name, owner.headline or "", qr_url, shown_url)  # everything the picture shows
    cache = current_app.extensions["oneclick.qr_cache"]
    rendered, hit = cards.cached(cache, key, lambda: KINDS[kind](owner.name, owner.headline or "", qr_url, shown_url))
    response = make_response(rendered.body)
    response.mimetype = rendered.mimetype
    response.set_etag(rendered.etag)
    response.headers["Cache-Control"] = "private, no-cache"
    name = f"oneclick-{_slug(owner.name)}-{link.channel}-{kind}.png"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.image_rendered = not hit
    return response.make_conditional(request)
