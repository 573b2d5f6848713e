"""In Chromium: the owner downloads the slide and background and their QR codes scan; a pasted link's preview tags
lead to the card image, and an unfurl bot's fetch of page and card counts no click while a person's visit does."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from oneclick.extensions import db
from oneclick.models import LinkDailyStat, User
from tests.factories import DEFAULT_PASSWORD, make_invite_link

pytestmark = pytest.mark.browser

SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
# Headless Chromium names itself HeadlessChrome, which bots.py rightly never counts: the person wears a desktop UA.
PERSON = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


def new_link(app, user_id: int, **columns) -> tuple[int, str]:
    with app.app_context():
        link, token = make_invite_link(db.session.get(User, user_id), **columns)
        return link.id, token


def total_clicks(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.coalesce(func.sum(LinkDailyStat.clicks), 0)))


def test_the_owner_downloads_a_slide_and_a_background_that_scan(page, live_server, user, tmp_path):
    link_id, token = new_link(live_server.app, user["id"], label="Conference talk", channel="slides")
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(user["email"])
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/links/{link_id}")
    expect(page.get_by_text("21 pixels per module")).to_be_visible()
    url = f"{live_server.url}/c/{token}"
    for kind, button in (("slide", "Download slide"), ("background", "Download background")):
        with page.expect_download() as info:
            page.get_by_role("link", name=button).click()
        download = info.value
        assert download.suggested_filename == f"oneclick-ada-lovelace-slides-{kind}.png"
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        image = Image.open(path)
        assert image.size == (1920, 1080)
        assert [r.text for r in zxingcpp.read_barcodes(image)] == [url]
        small = image.resize((640, 360), Image.Resampling.LANCZOS)
        assert [r.text for r in zxingcpp.read_barcodes(small)] == [url], f"{kind} at 640x360"


def test_preview_tags_lead_to_the_card_and_unfurls_count_no_click(browser, live_server, user):
    app = live_server.app
    _, token = new_link(app, user["id"], message="Met at the talk? Say hello.")
    bot = browser.new_context(user_agent=SLACKBOT)
    try:
        page = bot.new_page()
        page.goto(f"{live_server.url}/c/{token}")
        image_url = page.locator('meta[property="og:image"]').get_attribute("content")
        assert image_url == f"{live_server.url}/c/{token}/card.png"
        assert page.locator('meta[name="twitter:card"]').get_attribute("content") == "summary_large_image"
        assert page.locator('meta[property="og:description"]').get_attribute("content") == "Met at the talk? Say hello."
        response = page.goto(image_url)
        assert response.status == 200 and response.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(response.body())).size == (1200, 630)
    finally:
        bot.close()
    assert total_clicks(app) == 0
    person = browser.new_context(user_agent=PERSON)
    try:
        person.new_page().goto(f"{live_server.url}/c/{token}")
    finally:
        person.close()
    assert total_clicks(app) == 1
