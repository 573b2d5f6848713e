"""API tokens in a real Chromium: create one in Settings, call the API over HTTP with it, revoke it."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from oneclick.extensions import db

from ..factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.browser


def _get_me(base_url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(base_url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback test server
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_create_use_and_revoke_a_token(app, page, live_server, screenshots):
    with app.app_context():
        make_user(email="grace@example.com", name="Grace Hopper")
        db.session.remove()
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="API tokens").click()
    expect(page.get_by_text("You have no API tokens yet")).to_be_visible()
    page.get_by_label("Token name").fill("CRM sync")
    page.get_by_role("button", name="Create token").click()

    field = page.get_by_label("New API token")
    expect(field).to_be_visible()
    expect(page.get_by_role("button", name="Copy")).to_be_visible()  # revealed by app.js
    token = field.input_value()
    assert token.startswith("oc_") and len(token) == 46
    page.screenshot(path=str(screenshots / "api-token-created.png"), full_page=True)

    status, me = _get_me(live_server.url, token)
    assert status == 200 and me["email"] == "grace@example.com"

    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_label("New API token")).to_have_count(0)
    row = page.get_by_role("row", name="CRM sync")
    expect(row).to_contain_text(token[:10])
    expect(row).not_to_contain_text("Never")  # used once just now
    row.get_by_role("button", name="Revoke token CRM sync").click()
    expect(page.get_by_text("Token revoked")).to_be_visible()
    status, body = _get_me(live_server.url, token)
    assert status == 401 and body["error"]["code"] == "unauthorized"

    page.goto(live_server.url + "/docs/api")
    expect(page.get_by_role("heading", level=1)).to_have_text("oneclick API")
    expect(page.locator("#create_link")).to_contain_text("/api/v1/links")
    page.screenshot(path=str(screenshots / "api-docs.png"), full_page=False)
