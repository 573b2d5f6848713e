"""Links that look right when pasted: Open Graph / Twitter tags, the 1200x630 card, and unfurl bots never count."""

from __future__ import annotations

import html
import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from oneclick import clicks, limits
from oneclick.extensions import db
from oneclick.links import services
from oneclick.models import LinkDailyStat, User

from .helpers import UA, new_link

# Real User-Agents of the apps that fetch a pasted link's page and its og:image.
UNFURLERS = {
    "Slack": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Slack images": "Slack-ImgProxy (+https://api.slack.com/robots)",
    "LinkedIn": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "WhatsApp": "WhatsApp/2.23.20.0 A",
    "Facebook": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitter/X": "Twitterbot/1.0",
    "iMessage": ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) "
                 "Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0"),
    "Discord": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Telegram": "TelegramBot (like TwitterBot)",
}


def total_clicks(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.coalesce(func.sum(LinkDailyStat.clicks), 0)))


def meta(page: str) -> dict[str, str]:
    """Return the page's <meta property|name=... content=...> tags."""
    found = re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', page)
    return {key: html.unescape(value) for key, value in found}


def set_owner(app, user_id: int, **columns) -> None:
    with app.app_context():
        owner = db.session.get(User, user_id)
        for key, value in columns.items():
            setattr(owner, key, value)
        db.session.commit()


# --- The tags --------------------------------------------------------------------------------------


def test_the_landing_page_carries_open_graph_and_twitter_tags(app, client, user):
    set_owner(app, user["id"], headline="Analyst of engines")
    _, token = new_link(app, user["id"], message="Met at the talk? Say hello.")
    response = client.get(f"/c/{token}", headers={**UA, "Host": "evil.example"})
    tags = meta(response.get_data(as_text=True))
    assert tags["robots"] == "noindex, nofollow" and "noindex" in response.headers["X-Robots-Tag"]
    assert tags["og:title"] == tags["twitter:title"] == "Connect with Ada Lovelace"
    assert tags["og:description"] == tags["twitter:description"] == "Analyst of engines"
    # Absolute, from PUBLIC_URL, never from the request's Host.
    assert tags["og:url"] == f"http://oneclick.test/c/{token}"
    assert tags["og:image"] == tags["twitter:image"] == f"http://oneclick.test/c/{token}/card.png"
    assert (tags["og:image:width"], tags["og:image:height"], tags["og:image:type"]) == ("1200", "630", "image/png")
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:type"] == "website" and tags["og:image:alt"] == "Ada Lovelace: Analyst of engines"


def test_without_a_headline_the_message_describes_the_link_and_is_escaped(app, client, user):
    _, token = new_link(app, user["id"], message='Say "hi" <b>now</b>\nsecond line')
    page = client.get(f"/c/{token}", headers=UA).get_data(as_text=True)
    assert "<b>now" not in page
    assert meta(page)["og:description"] == 'Say "hi" <b>now</b> second line'
    _, bare = new_link(app, user["id"])
    tags = meta(client.get(f"/c/{bare}", headers=UA).get_data(as_text=True))
    assert "og:description" not in tags and "twitter:description" not in tags
    assert tags["og:image"].endswith(f"/c/{bare}/card.png")


def test_a_long_description_is_cut_with_an_ellipsis(app, client, user):
    _, token = new_link(app, user["id"], message=("word " * 100)[:limits.LINK_MESSAGE_MAX])
    description = meta(client.get(f"/c/{token}", headers=UA).get_data(as_text=True))["og:description"]
    assert len(description) <= 200 and description.endswith("\u2026")


# --- The card image --------------------------------------------------------------------------------


def test_the_card_is_a_1200_by_630_png_with_a_strong_etag_and_304(app, client, user):
    _, token = new_link(app, user["id"])
    response = client.get(f"/c/{token}/card.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "PNG" and image.size == (1200, 630)
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong: no W/ prefix
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.headers["X-Robots-Tag"] == "noindex"
    again = client.get(f"/c/{token}/card.png", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert client.head(f"/c/{token}/card.png").status_code == 200


def test_the_card_comes_from_the_cache_until_the_owner_changes_what_it_shows(app, client, user):
    _, token = new_link(app, user["id"])
    first = client.get(f"/c/{token}/card.png")
    cache = app.extensions["oneclick.qr_cache"]
    hits = cache.hits
    second = client.get(f"/c/{token}/card.png")
    assert cache.hits == hits + 1 and second.data == first.data
    set_owner(app, user["id"], name="Ada King", headline="Countess of Lovelace")
    edited = client.get(f"/c/{token}/card.png", headers={"If-None-Match": first.headers["ETag"]})
    assert edited.status_code == 200 and edited.headers["ETag"] != first.headers["ETag"]


@pytest.mark.parametrize("name,headline", [
    ("Zoë Ødegård-Müller", "Ingeniería · Straße"),
    ("李小龍", "武術家"),
    ("Bartholomew " * 20, "Featherstonehaugh " * 40),
])
def test_accented_cjk_and_very_long_names_render(app, client, user, name, headline):
    set_owner(app, user["id"], name=name[:limits.PERSON_NAME_MAX], headline=headline[:limits.HEADLINE_MAX])
    _, token = new_link(app, user["id"])
    response = client.get(f"/c/{token}/card.png")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.data)).size == (1200, 630)


def test_closed_and_garbled_links_get_the_same_answers_as_their_page(app, client, user):
    link_id, token = new_link(app, user["id"])
    _, paused = new_link(app, user["id"], active=False)
    assert client.get(f"/c/{token[:-3]}abc/card.png").status_code == 404
    assert client.get("/c/not-a-token/card.png").status_code == 404
    assert client.get(f"/c/{paused}/card.png").status_code == 410
    etag = client.get(f"/c/{token}/card.png").headers["ETag"]
    with app.app_context():
        services.rotate_link(db.session.get(User, user["id"]), link_id)
    # A client revalidating its copy of a rotated link's card is told it is gone, not "not modified".
    gone = client.get(f"/c/{token}/card.png", headers={"If-None-Match": etag})
    assert gone.status_code == 410 and "replaced" in gone.get_data(as_text=True)
    assert client.post(f"/c/{token}/card.png").status_code == 405


@pytest.mark.config(QR_RENDER_LIMIT_PER_IP="2 per minute")
def test_card_renders_are_rate_limited_but_cache_hits_are_free(app, client, user):
    tokens = [new_link(app, user["id"])[1] for _ in range(2)]
    set_owner(app, user["id"], headline="one")
    assert client.get(f"/c/{tokens[0]}/card.png").status_code == 200
    for _ in range(5):
        assert client.get(f"/c/{tokens[1]}/card.png").status_code == 200  # same picture: cached
    set_owner(app, user["id"], headline="two")
    assert client.get(f"/c/{tokens[0]}/card.png").status_code == 200
    set_owner(app, user["id"], headline="three")
    assert client.get(f"/c/{tokens[0]}/card.png").status_code == 429


# --- Unfurl bots never count -----------------------------------------------------------------------


@pytest.mark.config(CLICK_FLUSH_SECONDS=3600)
@pytest.mark.parametrize("app_name", list(UNFURLERS))
def test_an_unfurl_fetches_page_and_card_without_counting_a_click(app, client, user, app_name):
    _, token = new_link(app, user["id"])
    agent = {"User-Agent": UNFURLERS[app_name]}
    page = client.get(f"/c/{token}", headers=agent)
    assert page.status_code == 200
    image = meta(page.get_data(as_text=True))["og:image"].removeprefix("http://oneclick.test")
    assert client.get(image, headers=agent).status_code == 200
    clicks.counter(app).flush()
    assert total_clicks(app) == 0
    client.get(f"/c/{token}", headers=UA)  # a person: the same path does count
    clicks.counter(app).flush()
    assert total_clicks(app) == 1


@pytest.mark.config(CLICK_FLUSH_SECONDS=3600)
def test_the_card_never_counts_a_click_even_for_a_browser(app, client, user):
    _, token = new_link(app, user["id"])
    for _ in range(3):
        assert client.get(f"/c/{token}/card.png", headers=UA).status_code == 200
    assert clicks.counter(app).pending() == 0
    clicks.counter(app).flush()
    assert total_clicks(app) == 0
