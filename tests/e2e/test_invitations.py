"""A member invites five people who all answer "I don't know", gets restricted, and lifts it themselves."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.browser

RECIPIENTS = ["Bea Brown", "Cal Cole", "Dot Dunn", "Eli Eng", "Fay Ford"]


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You're signed out.")).to_be_visible()


def invite(page, base: str, name: str) -> None:
    page.goto(base + "/invitations")
    page.get_by_label("Name or handle").fill(name.split()[1])
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=f"Invite {name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invite {name} to connect")
    page.get_by_label("Colleague").check()
    note = f"Hi {name.split()[0]}, we sat together at the analytics workshop."
    page.get_by_role("textbox", name="Personal note").fill(note)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"Invitation sent to {name}.")).to_be_visible()


def test_restricted_after_five_i_dont_know_then_self_lift(app, page, other_page, live_server, screenshots):
    base = live_server.url
    with app.app_context():
        make_user(email="ada@example.com", name="Ada Lovelace")
        for n, name in enumerate(RECIPIENTS):
            make_user(email=f"r{n}@example.com", name=name)
        make_user(email="gus@example.com", name="Gus Grant")

    sign_in(page, base, "ada@example.com")
    page.get_by_role("link", name="Invitations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitations")
    expect(page.locator("meter")).to_have_count(3)
    for name in RECIPIENTS:
        invite(page, base, name)
    expect(page.get_by_role("row")).to_have_count(len(RECIPIENTS) + 1)  # the sent list, with a header row

    # Each recipient answers "I don't know Ada Lovelace".
    for n, _name in enumerate(RECIPIENTS):
        sign_in(other_page, base, f"r{n}@example.com")
        other_page.get_by_role("link", name="Invitations").click()
        other_page.get_by_role("link", name="Received").click()
        expect(other_page.get_by_text("we sat together")).to_be_visible()
        other_page.get_by_role("button", name="I don't know Ada Lovelace").click()
        expect(other_page.get_by_text("No invitations waiting for you.")).to_be_visible()
        sign_out(other_page)

    # Ada is restricted: the overview says so, and the invite screen now wants an email address.
    page.goto(base + "/invitations")
    expect(page.get_by_text("Your account is restricted: every invitation needs")).to_be_visible()
    expect(page.get_by_role("meter", name="“I don't know you” answers so far")) \
        .to_have_attribute("value", "5")
    page.get_by_label("Name or handle").fill("Grant")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Invite Gus Grant").click()
    expect(page.get_by_label("Their email address")).to_be_visible()
    page.screenshot(path=str(screenshots / "invitations-restricted.png"), full_page=True)

    # Why, and the way out: "I agree" and "Lift my restriction".
    page.get_by_role("link", name="How to lift it").click()
    expect(page.get_by_role("heading", name="Why your account is restricted")).to_be_visible()
    page.get_by_role("button", name="Lift my restriction").click()
    expect(page.get_by_text("Tick “I agree” to lift the restriction.")).to_be_visible()
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Lift my restriction").click()
    expect(page.get_by_text("Restriction lifted.")).to_be_visible()
    expect(page.get_by_text("Your account is restricted: every invitation needs")).to_have_count(0)

    # Back to one-click inviting: no email field for Gus.
    invite(page, base, "Gus Grant")
    page.screenshot(path=str(screenshots / "invitations-lifted.png"), full_page=True)
