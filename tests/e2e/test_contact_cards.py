"""Contact cards in Chromium on a phone (390x844): fill the card, upload a photo, connect, see the shared card."""

import pytest
from PIL import Image
from playwright.sync_api import expect

from ..factories import DEFAULT_PASSWORD, make_invite_link, make_user

pytestmark = pytest.mark.browser


def _phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def _sign_in(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_card_photo_request_accept_and_shared_card_on_a_phone(browser, live_server, app, screenshots, tmp_path):
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace", headline="Mathematician")
        make_user(email="grace@example.com", name="Grace Hopper")
        _, token = make_invite_link(ada, label="Slides", card_fields="work_email,phone,linkedin")
    base = live_server.url
    photo = tmp_path / "me.png"
    Image.radial_gradient("L").convert("RGB").resize((400, 300)).save(photo)

    ada_ctx, ada_page = _phone(browser)
    _sign_in(ada_page, base, "ada@example.com")
    ada_page.goto(base + "/settings/card")
    ada_page.get_by_label("Work email").fill("ada@engines.example")
    ada_page.get_by_label("Phone").fill("+44 20 7946 0001")
    ada_page.get_by_label("LinkedIn").fill("https://www.linkedin.com/in/ada")
    ada_page.get_by_role("button", name="Save card").click()
    expect(ada_page.get_by_text("Contact card saved.")).to_be_visible()
    ada_page.locator("input#photo").set_input_files(str(photo))
    ada_page.get_by_role("button", name="Upload photo").click()
    expect(ada_page.get_by_text("Photo saved.")).to_be_visible()
    expect(ada_page.get_by_role("img", name="Your current photo")).to_be_visible()
    _no_sideways_scroll(ada_page)
    ada_page.screenshot(path=str(screenshots / "contact-card-390.png"), full_page=True)

    grace_ctx, grace_page = _phone(browser)
    _sign_in(grace_page, base, "grace@example.com")
    grace_page.goto(base + "/settings/card")
    grace_page.get_by_label("Organisation").fill("US Navy")
    grace_page.get_by_label("Phone").fill("+1 555 0100")
    grace_page.get_by_role("button", name="Save card").click()
    grace_page.goto(f"{base}/c/{token}")
    avatar = grace_page.locator("img.landing-avatar")
    expect(avatar).to_be_visible()
    assert grace_page.evaluate("document.querySelector('img.landing-avatar').naturalWidth") == 512
    assert "ada@engines.example" not in grace_page.content()  # nothing before acceptance
    grace_page.get_by_label("Phone").uncheck()
    grace_page.screenshot(path=str(screenshots / "landing-share-back-390.png"), full_page=True)
    grace_page.get_by_role("button", name="Connect with Ada Lovelace").click()

    expect(grace_page.get_by_role("heading", name="Request sent")).to_be_visible()
    ada_page.goto(base + "/requests")
    ada_page.get_by_role("button", name="Accept Grace Hopper").click()
    expect(ada_page.get_by_text("Accepted: you're now connected.")).to_be_visible()
    ada_page.goto(base + "/connections")
    ada_page.get_by_role("link", name="Grace Hopper").click()
    expect(ada_page.get_by_text("US Navy")).to_be_visible()
    assert "+1 555 0100" not in ada_page.content()  # Grace unticked her phone

    grace_page.goto(base + "/connections")
    grace_page.get_by_role("link", name="Ada Lovelace").click()
    expect(grace_page.get_by_role("link", name="ada@engines.example")).to_be_visible()
    expect(grace_page.get_by_text("as stated by Ada Lovelace, not verified")).to_be_visible()
    _no_sideways_scroll(grace_page)
    grace_page.screenshot(path=str(screenshots / "connection-card-390.png"), full_page=True)
    with grace_page.expect_download() as download:
        grace_page.get_by_role("link", name="Save contact (.vcf)").click()
    text = download.value.path().read_text()
    assert "VERSION:4.0" in text and "ada@engines.example" in text and "+44 20 7946 0001" in text
    ada_ctx.close()
    grace_ctx.close()
