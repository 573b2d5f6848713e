"""A guest asks to connect through a link; the owner sees the badge, accepts, and the connection appears."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from oneclick.extensions import db
from oneclick.models import ConnectionRequest, User

from ..factories import DEFAULT_PASSWORD, make_invite_link, make_user

pytestmark = pytest.mark.browser

CONFIRM_URL_RE = re.compile(r"(http://\S+/requests/confirm/\S+)")


def _confirmation_link(live_server, email: str) -> str:
    """Return the confirmation link in the newest mail to ``email``."""
    for msg in reversed(live_server.outbox()):
        if msg["To"] == email:
            return CONFIRM_URL_RE.search(msg.get_content()).group(1)
    raise AssertionError(f"no mail to {email}")


@pytest.mark.config(REQUEST_MIN_FILL_SECONDS=0)
def test_guest_double_opt_in_on_a_phone(browser, live_server, app, screenshots):
    """At 390x844: send the guest form, open the link from the mail, confirm; the owner sees it confirmed."""
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace", headline="Analytical engines")
        _, token = make_invite_link(ada, label="Conference badge")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    phone = context.new_page()
    try:
        phone.goto(f"{live_server.url}/c/{token}")
        phone.get_by_label("Your name").fill("Grace Hopper")
        phone.get_by_label("Your email").fill("grace@example.com")
        phone.get_by_label("How do we know each other?").fill("Badge scan at PyCon")
        phone.get_by_role("button", name="Send request").click()
        expect(phone.get_by_role("heading", level=1)).to_have_text("Check your inbox to confirm your request")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        phone.screenshot(path=str(screenshots / "guest-check-inbox-390.png"), full_page=True)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(ConnectionRequest)) == 0

        # The mail app opens the link (a GET confirms nothing), the guest presses the button.
        phone.goto(_confirmation_link(live_server, "grace@example.com"))
        expect(phone.get_by_role("heading", level=1)).to_have_text("Confirm your request to Ada Lovelace")
        expect(phone.get_by_text("Badge scan at PyCon")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        phone.screenshot(path=str(screenshots / "guest-confirm-390.png"), full_page=True)
        phone.get_by_role("button", name="Confirm and send").click()
        expect(phone.get_by_role("heading", level=1)).to_have_text("Request sent to Ada Lovelace")
        with app.app_context():
            assert db.session.scalar(select(ConnectionRequest.email_confirmed_at)) is not None

        # The same link again: a friendly page, not an error.
        phone.goto(_confirmation_link(live_server, "grace@example.com"))
        expect(phone.get_by_role("heading", level=1)).to_have_text("This request is confirmed already")
        # A garbled link: a friendly 404.
        phone.goto(f"{live_server.url}/requests/confirm/garbled")
        expect(phone.get_by_role("heading", level=1)).to_have_text("We couldn't find this confirmation link")
    finally:
        context.close()


@pytest.mark.config(REQUEST_MIN_FILL_SECONDS=0)
def test_guest_request_badge_accept_connection(page, other_page, live_server, app, screenshots):
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace", headline="Analytical engines")
        _, token = make_invite_link(ada, label="Email signature", message="Say hello!")

    # The owner signs in: nothing new yet.
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, Ada Lovelace")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=re.compile(r"^Requests")).locator(".badge")).to_have_count(0)

    # A visitor opens the link in another browser and sends a request as a guest.
    visitor = other_page
    visitor.goto(f"{live_server.url}/c/{token}")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    visitor.get_by_label("Your name").fill("Grace Hopper")
    visitor.get_by_label("Your email").fill("grace@example.com")
    visitor.get_by_label("How do we know each other?").fill("We met at <b>PyCon</b>.")
    visitor.screenshot(path=str(screenshots / "request-form.png"), full_page=True)
    visitor.get_by_role("button", name="Send request").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Check your inbox to confirm your request")
    expect(visitor).to_have_url(f"{live_server.url}/c/{token}/sent")
    # The guest confirms from the mail: only now the request reaches Ada.
    visitor.goto(_confirmation_link(live_server, "grace@example.com"))
    visitor.get_by_role("button", name="Confirm and send").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Request sent to Ada Lovelace")
    # Reopening the link says "check your inbox" (the same for any address); the form hides behind a summary.
    visitor.goto(f"{live_server.url}/c/{token}")
    expect(visitor.get_by_role("heading", name="Check your inbox")).to_be_visible()
    expect(visitor.get_by_role("button", name="Send request")).to_be_hidden()

    # The owner sees the badge, opens the inbox and accepts.
    page.reload()
    expect(nav.get_by_role("link", name=re.compile(r"^Requests")).locator(".badge")).to_have_text("1")
    nav.get_by_role("link", name=re.compile(r"^Requests")).click()
    row = page.locator("tr", has_text="Grace Hopper")
    expect(row).to_contain_text("grace@example.com")
    expect(row).to_contain_text("We met at <b>PyCon</b>.")  # shown as text, not markup
    expect(row).to_contain_text("Email signature")
    expect(row).to_contain_text("Email confirmed")
    expect(nav.get_by_role("link", name=re.compile(r"^Requests")).locator(".badge")).to_have_count(0)
    page.screenshot(path=str(screenshots / "inbox.png"), full_page=True)
    row.get_by_role("button", name="Accept Grace Hopper").click()
    expect(page.get_by_text("Accepted: you're now connected.")).to_be_visible()
    expect(page.get_by_text("No requests waiting")).to_be_visible()

    # The connection appears.
    nav.get_by_role("link", name="Connections").click()
    connection = page.locator("tr", has_text="Grace Hopper")
    expect(connection).to_contain_text("Your link “Email signature”")
    page.screenshot(path=str(screenshots / "connections.png"), full_page=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1  # the guest needed no account


@pytest.mark.config(REQUEST_MIN_FILL_SECONDS=0)
def test_member_connects_in_one_click_and_bulk_decline(page, other_page, live_server, app):
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace")
        make_user(email="grace@example.com", name="Grace Hopper")
        _, token = make_invite_link(ada, label="Talk")

    other_page.goto(live_server.url + "/login")
    other_page.get_by_label("Email").fill("grace@example.com")
    other_page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    other_page.get_by_role("button", name="Sign in").click()
    other_page.goto(f"{live_server.url}/c/{token}")
    other_page.get_by_role("button", name="Connect with Ada Lovelace").click()
    expect(other_page.get_by_role("heading", level=1)).to_have_text("Request sent to Ada Lovelace")

    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + "/requests")
    page.get_by_label("Select all").check()  # progressive JS reveals "Select all"
    expect(page.get_by_label("Select Grace Hopper")).to_be_checked()
    page.get_by_role("button", name="Decline selected").click()
    expect(page.get_by_text("Declined 1 request.")).to_be_visible()

    # Declining is silent: Grace still sees "pending".
    other_page.goto(f"{live_server.url}/c/{token}")
    expect(other_page.get_by_text("You asked to connect on")).to_be_visible()
