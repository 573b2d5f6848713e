"""Register → activate → sign in → dashboard → sign out, in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_register_activate_sign_in_and_out(page, live_server, screenshots):
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("connect with you in one click")
    page.get_by_role("link", name="Create account").click()

    page.get_by_label("Name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    message = live_server.outbox()[-1]
    link = re.search(r"http://\S+/activate/\S+", message.get_content()).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="Activate your account")).to_be_visible()
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Activate my account").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, Grace Hopper")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You're signed out.")).to_be_visible()

    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_label("Remember me on this device").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/dashboard")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, Grace Hopper")
    page.screenshot(path=str(screenshots / "dashboard.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Create account")).to_be_visible()
    page.goto(live_server.url + "/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_wrong_password_shows_a_clear_message(page, live_server, user):
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(user["email"])
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("don't match an account")
