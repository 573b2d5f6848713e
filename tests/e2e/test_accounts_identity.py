"""Password reset by mail and the sign-in captcha, on a phone-sized screen (390x844) in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

from oneclick.extensions import db
from oneclick.invitations.captcha import _hash
from oneclick.models import Captcha

from ..conftest import AuthActions
from ..factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _fits_the_screen(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_forgot_password_reset_and_sign_in(page, live_server, user, screenshots):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    _fits_the_screen(page)

    link = re.search(r"http://\S+/password/reset/\S+", live_server.outbox()[-1].get_content()).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("a brand new password")
    page.get_by_label("Repeat new password").fill("a brand new password")
    _fits_the_screen(page)
    page.screenshot(path=str(screenshots / "reset-390.png"), full_page=True)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("Every other device has been signed out")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, Ada Lovelace")

    # The link worked once.
    page.goto(link)
    expect(page.get_by_text("invalid, expired or already used")).to_be_visible()


@pytest.mark.config(LOGIN_CAPTCHA_AFTER_PER_ACCOUNT="3 per 10 minutes", LOGIN_LIMIT_PER_ACCOUNT="3 per 10 minutes",
                    LOGIN_LIMIT_PER_IP="100 per 10 minutes")
def test_sign_in_captcha_after_failures_from_elsewhere(page, live_server, app, user, screenshots):
    for n in range(3):  # a botnet fails three times against Ada's account
        bot = AuthActions(app.test_client())
        bot.post("/login", {"email": "ada@example.com", "password": "wrong password"},
                 environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"})

    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Solve the security check")
    image = page.locator("img.captcha-image")
    expect(image).to_be_visible()
    assert page.evaluate("img => img.complete && img.naturalWidth", image.element_handle()) > 0
    _fits_the_screen(page)
    page.screenshot(path=str(screenshots / "signin-captcha-390.png"), full_page=True)

    page.get_by_role("button", name="Listen to an audio check instead").click()
    audio = page.locator("audio")
    expect(audio).to_be_attached()
    src = audio.get_attribute("src")
    assert page.request.get(live_server.url + src).headers["content-type"] == "audio/wav"
    captcha_id = re.search(r"/login/captcha/([^.]+)\.wav", src).group(1)
    with app.app_context():
        db.session.get(Captcha, captcha_id).answer_hash = _hash(captcha_id, "424242")
        db.session.commit()
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_label("Type the six digits you see or hear").fill("424242")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/dashboard")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, Ada Lovelace")
