"""How a link looks when pasted into a chat: the Open Graph card image and the texts its landing page's tags carry.

The route is added to the landing blueprint (``oneclick/__init__.py`` imports this module before registering
it). Fetching the card never counts a click; the page's click counting leaves unfurl bots out (``bots.py``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, make_response, request

from .. import cards
from ..clock import utcnow
from ..extensions import limiter
from ..links import services
from ..urls import external_url
from .views import bp, state_page

#: Characters of og:description / twitter:description (chat previews show two or three lines).
DESCRIPTION_MAX = 200

# Templates build the Open Graph URLs from PUBLIC_URL, never from the request's Host.
bp.add_app_template_global(external_url, "external_url")


def description(headline: str | None, message: str | None) -> str:
    """Return what a preview says under the name: the owner's headline, else the link's message (one line, cut)."""
    text = cards.clean(headline) or cards.clean(message)
    if len(text) > DESCRIPTION_MAX:
        text = text[: DESCRIPTION_MAX - 1].rstrip() + cards.ELLIPSIS
    return text


@bp.app_template_global("og_description")
def og_description(link) -> str:
    """The description of a link snapshot's preview (the landing page's og: and twitter: tags, and the card)."""
    return description(link.owner.headline, link.message)


def _rendered(response) -> bool:
    return bool(getattr(response, "card_rendered", False))


@bp.get("/c/<token>/card.png")
@limiter.limit(lambda: current_app.config["QR_RENDER_LIMIT_PER_IP"], deduct_when=_rendered)
def card_image(token: str):
    """Return the link's 1200x630 preview card (owner's name, headline, initial) as PNG; never counts a click.

    The link is resolved before any 304, so a rotated, paused or deleted link's card answers like its page.
    """
    resolution = services.resolve_token(token, utcnow())
    if resolution.state != "ok":
        return state_page(resolution.state)
    owner = resolution.link.owner
    text = og_description(resolution.link)
    site = urlsplit(current_app.config["PUBLIC_URL"]).netloc
    key = ("card", owner.name, text, site)  # everything the picture shows
    cache = current_app.extensions["oneclick.qr_cache"]
    rendered, hit = cards.cached(cache, key, lambda: cards.render_card(owner.name, text, site))
    response = make_response(rendered.body)
    response.mimetype = rendered.mimetype
    response.set_etag(rendered.etag)
    response.headers["Cache-Control"] = f"public, max-age={cards.CARD_MAX_AGE}"
    response.headers["X-Robots-Tag"] = "noindex"
    response.card_rendered = not hit
    return response.make_conditional(request)
