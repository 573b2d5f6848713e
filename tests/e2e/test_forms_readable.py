"""Issue 12, "Forms that don't trip people up", in a real browser: the captcha, sent invitations, error pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import make_user

from .test_invitations import sign_in

pytestmark = pytest.mark.browser


@pytest.mark.config(CAPTCHA_AFTER_PER_DAY=0)
def test_the_captcha_picture_is_large_with_one_label(app, page, live_server, screenshots):
    base = live_server.url
    with app.app_context():
        make_user(email="ada@example.com", name="Ada Lovelace")
        bob = make_user(email="bob@example.com", name="Bob Babbage")
        bob_id = bob.public_id
    sign_in(page, base, "ada@example.com")
    page.goto(f"{base}/invitations/invite/{bob_id}")
    picture = page.locator("img.captcha-image")
    expect(picture).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", picture.element_handle()) == 330
    expect(page.get_by_label("Type the six digits you see (or hear)")).to_be_visible()
    expect(page.locator("fieldset.captcha").get_by_text("Security check", exact=True)).to_have_count(1)
    page.locator("fieldset.captcha").screenshot(path=str(screenshots / "captcha.png"))
    # An empty answer is told what to type, not that it was wrong.
    page.get_by_label("Colleague").check()
    page.get_by_role("textbox", name="Personal note").fill("We met at the workshop.")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Type the six digits you see (or hear) to send this invitation.")).to_be_visible()
    expect(page.get_by_text(re.compile("wasn't right"))).to_have_count(0)
