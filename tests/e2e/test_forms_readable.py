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


def test_an_autofilled_guest_form_goes_through_on_the_second_press(app, page, live_server):
    from tests.factories import make_invite_link

    with app.app_context():
        owner = make_user(email="ada@example.com", name="Ada Lovelace")
        _link, token = make_invite_link(owner, label="Talk")
    page.goto(f"{live_server.url}/c/{token}")
    page.get_by_role("button", name="Send request").click()  # empty: field errors only, no speed warning
    expect(page.get_by_text("This field is required.").first).to_be_visible()
    expect(page.get_by_text(re.compile("That was quick"))).to_have_count(0)
    page.get_by_label("Your name").fill("Grace Hopper")  # the way autofill does it: at once
    page.get_by_label("Your email").fill("grace@example.com")
    page.get_by_role("button", name="Send request").click()
    if page.get_by_text(re.compile("That was quick")).count():  # faster than the minimum fill time
        page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()


def test_withdraw_asks_first_without_javascript(app, browser, live_server):
    from tests.factories import make_invitation

    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace")
        bob = make_user(email="bob@example.com", name="Bob Babbage")
        make_invitation(ada, bob)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "ada@example.com")
        page.goto(live_server.url + "/invitations/sent")
        expect(page.get_by_text(re.compile(r"Can be resent from \d+ \w+ \d{4}, \d\d:\d\d UTC"))).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("^Resend"))).to_have_count(0)
        confirm = page.get_by_role("button", name=re.compile("^Withdraw invitation"))
        expect(confirm).to_be_hidden()
        page.locator("summary", has_text="Withdraw").click()
        expect(page.get_by_text("Withdrawing doesn't give the invitation back")).to_be_visible()
        confirm.click()
        expect(page.get_by_text("Invitation withdrawn.")).to_be_visible()
    finally:
        context.close()


def test_error_pages_centre_their_button_with_the_text(page, live_server):
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        response = page.goto(live_server.url + "/no-such-page")
        assert response.status == 404
        heading = page.get_by_role("heading", level=1).bounding_box()
        section = page.locator(".error-page").bounding_box()
        button = page.locator(".error-page .button").last.bounding_box()
        centre = section["x"] + section["width"] / 2
        assert abs(button["x"] + button["width"] / 2 - centre) < 2, (width, button, section)
        assert abs(heading["x"] + heading["width"] / 2 - centre) < 2 or heading["width"] >= section["width"] - 2


def test_support_console_buttons_that_cannot_apply_look_disabled(app, page, live_server):
    """A member with no restriction: Lift is disabled and looks it (grey, no pointer), unlike a live button."""
    with app.app_context():
        make_user(email="root@example.com", name="Sam Support", is_admin=True)
        ada = make_user(email="ada@example.com", name="Ada Lovelace")
        ada_id = ada.public_id
    sign_in(page, live_server.url, "root@example.com")
    page.goto(f"{live_server.url}/admin/members/{ada_id}")
    lift = page.get_by_role("button", name=re.compile("^Lift"))
    expect(lift).to_be_disabled()
    style = "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).cursor]"
    assert lift.evaluate(style) == ["rgb(246, 248, 250)", "not-allowed"]  # --panel grey, not a live button
