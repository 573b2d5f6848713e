"""In Chromium: present mode fits 1280x800 (QR, a typeable URL, controls, no scrolling, no token broken
mid-part); the links list on a phone (cards, Copy, QR, Present); the form's time zone and untouched expiry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from oneclick.extensions import db
from oneclick.links import services
from oneclick.models import InviteLink, User
from tests.factories import DEFAULT_PASSWORD, make_invite_link

pytestmark = pytest.mark.browser

# Measured on the page: the document's scroll size, the QR image's box, the URL's box and, for each part of
# the URL between break points, how many lines it spans.
MEASURE = """() => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const url = document.querySelector('.present-url a');
  const parts = [];
  for (const node of url.childNodes) {
    if (node.nodeType !== Node.TEXT_NODE || !node.textContent) continue;
    const range = document.createRange(); range.selectNodeContents(node);
    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    parts.push([node.textContent, lines.size]);
  }
  const controls = [...document.querySelectorAll('.present-controls button:not([hidden]), .present-help')];
  return {scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
          view: [innerWidth, innerHeight], qr: box(document.querySelector('.present-qr')), url: box(url),
          text: url.textContent, parts, controls: controls.map(box),
          qrLoaded: document.querySelector('.present-qr').complete
                    && document.querySelector('.present-qr').naturalWidth > 0};
}"""


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base + "/dashboard")


def inside(box, view) -> bool:
    left, top, right, bottom = box
    return left >= 0 and top >= 0 and right <= view[0] + 0.5 and bottom <= view[1] + 0.5


@pytest.fixture
def links(app, user):
    """Ada (handle ada-lovelace) with a primary link, a token-URL link and a stable-path link."""
    with app.app_context():
        ada = db.session.get(User, user["id"])
        ada.handle, ada.headline = "ada-lovelace", "Analytical engines and the first programs"
        db.session.commit()
        _, primary = make_invite_link(ada, label="Badge", is_primary=True)
        _, token = make_invite_link(ada, label="Email")
        stable, stable_token = make_invite_link(ada, label="Slides", slug="slides", share_stable=True)
        return {"primary": primary, "token": token, "stable": stable_token, "stable_id": stable.id}


@pytest.mark.parametrize("which", ["token", "stable", "primary"])
def test_present_mode_fits_1280x800(browser, live_server, links, which, screenshots):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/c/{links[which]}/present")
        expect(page.locator(".present-qr")).to_have_js_property("complete", True)
        m = page.evaluate(MEASURE)
        shot = screenshots / f"present-1280-{which}.png"
        page.screenshot(path=str(shot))
        assert context.cookies() == []  # public: present mode leaves no cookie (the zone cookie is the owner's)
    finally:
        context.close()
    assert m["scroll"][0] <= m["view"][0] and m["scroll"][1] <= m["view"][1], m  # nothing to scroll
    assert m["qrLoaded"] and inside(m["qr"], m["view"]) and m["qr"][2] - m["qr"][0] >= 380, m
    assert inside(m["url"], m["view"]), m
    assert m["controls"] and all(inside(b, m["view"]) for b in m["controls"]), m
    assert all(lines == 1 for _, lines in m["parts"]), m["parts"]  # no part of the URL breaks inside itself
    host = live_server.url.split("://", 1)[1]
    expected = {"token": f"{host}/c/{links['token']}", "stable": f"{host}/@ada-lovelace/slides",
                "primary": f"{host}/@ada-lovelace"}[which]
    assert m["text"] == expected  # typeable: exactly the address, no hidden characters
    scanned = [r.text for r in zxingcpp.read_barcodes(Image.open(shot))]
    qr_url = {"token": f"{live_server.url}/c/{links['token']}", "stable": f"{live_server.url}/@ada-lovelace/slides",
              "primary": f"{live_server.url}/c/{links['primary']}"}[which]
    assert scanned == [qr_url]


def test_the_stable_qr_code_survives_a_rotation(browser, live_server, app, links, user, screenshots):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/c/{links['stable']}/present")
        expect(page.locator(".present-qr")).to_have_js_property("complete", True)
        shot = screenshots / "present-stable-before-rotation.png"
        page.screenshot(path=str(shot))
        scanned = zxingcpp.read_barcodes(Image.open(shot))[0].text
        with app.app_context():
            services.rotate_link(db.session.get(User, user["id"]), links["stable_id"])
            current = services.link_token(db.session.get(InviteLink, links["stable_id"]))
        page.goto(scanned)  # a phone scanning the printed slide after the rotation
        expect(page).to_have_url(f"{live_server.url}/c/{current}")
        expect(page.get_by_role("heading", name="Ada Lovelace", exact=True)).to_be_visible()
    finally:
        context.close()


def test_links_list_on_a_phone(browser, live_server, links, user, screenshots):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, user["email"])
        page.goto(live_server.url + "/links")
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], widths
        card = page.locator(".link-card", has_text="Slides")
        expect(card).to_contain_text("Active")
        expect(card).to_contain_text("Never expires")
        expect(card).to_contain_text("No request limit")
        url = card.locator("code.link-url")
        expect(url).to_have_text(f"{live_server.url}/@ada-lovelace/slides")
        for name in ("Copy the URL of Slides", "QR code of Slides", "Present Slides"):
            box = card.locator(f'[aria-label="{name}"]').bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 44, (name, box)
        page.screenshot(path=str(screenshots / "links-list-390.png"), full_page=True)
        card.get_by_role("button", name="Copy the URL of Slides").click()
        assert page.evaluate("navigator.clipboard.readText()") == f"{live_server.url}/@ada-lovelace/slides"
        card.get_by_role("link", name="Present Slides").click()
        expect(page.locator(".present-url")).to_contain_text("@ada-lovelace/slides")
    finally:
        context.close()


def test_the_form_reads_the_browsers_zone_and_keeps_an_untouched_expiry(browser, live_server, app, user):
    context = browser.new_context(viewport={"width": 390, "height": 844}, timezone_id="Europe/Berlin")
    try:
        page = context.new_page()
        sign_in(page, live_server.url, user["email"])
        page.goto(live_server.url + "/links")
        page.get_by_role("link", name="Make your first link").click()
        expect(page).to_have_url(live_server.url + "/links/new")
        page.get_by_label("Label").fill("Workshop")
        page.get_by_label("Custom date and time").fill("2099-07-01T15:05")
        expect(page.get_by_label("Stops working")).to_have_value("custom")  # typing picked the choice
        page.get_by_label("Request limit").select_option("10")
        page.get_by_role("button", name="Save link").click()
        expect(page.get_by_text("Link created.")).to_be_visible()
        expect(page.locator("main")).to_contain_text("1 Jul 2099, 15:05 CEST")
        with app.app_context():
            link = db.session.query(InviteLink).one()
            assert (link.expires_at, link.max_requests) == (datetime(2099, 7, 1, 13, 5, tzinfo=UTC), 10)
            link_id = link.id
        page.goto(f"{live_server.url}/links/{link_id}/edit")
        expect(page.get_by_label("Stops working")).to_have_value("keep")
        page.get_by_label("Label").fill("Workshop, room 2")
        page.get_by_role("button", name="Save link").click()
        expect(page.get_by_text("Link saved.")).to_be_visible()
        with app.app_context():
            link = db.session.get(InviteLink, link_id)
            assert (link.label, link.expires_at, link.max_requests) == (
                "Workshop, room 2", datetime(2099, 7, 1, 13, 5, tzinfo=UTC), 10)
    finally:
        context.close()
