"""Create a link, copy a snippet, watch the live preview, open present mode and scan its QR code, in Chromium."""

from __future__ import annotations

import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, live_server, email):
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/dashboard")


def test_create_copy_snippet_and_present(page, live_server, user, screenshots):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page, live_server, user["email"])

    page.get_by_role("link", name="Links", exact=True).click()
    expect(page.get_by_role("heading", name="No links yet")).to_be_visible()
    page.get_by_role("link", name="Make your first link").click()
    page.get_by_label("Label").fill("PyCon talk slides")
    page.get_by_label("Where will you put it?").select_option("slides")
    page.get_by_label("Welcome message").fill("Great to meet you at PyCon!")
    page.get_by_role("button", name="Save link").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("PyCon talk slides")
    expect(page.get_by_text("Link created.")).to_be_visible()
    url = page.get_by_label("Link URL").input_value()
    assert re.fullmatch(re.escape(live_server.url) + r"/c/[\w-]+~1\.[\w-]+", url)
    expect(page.locator("img.qr-preview")).to_have_js_property("complete", True)
    assert page.locator("img.qr-preview").evaluate("img => img.naturalWidth") > 0

    # Copy the Markdown snippet: the button gives feedback and the clipboard holds the snippet.
    markdown = page.get_by_label("Markdown")
    expect(markdown).to_have_value(f"[Connect with me]({url})")
    copy = page.locator("[data-copy='#snippet-markdown']")  # by target: its name changes to "Copied!"
    expect(copy).to_have_text("Copy Markdown")
    copy.click()
    expect(copy).to_have_text("Copied!")
    assert page.evaluate("navigator.clipboard.readText()") == f"[Connect with me]({url})"

    # Live preview: changing the options updates the snippets and the sandboxed preview without a reload.
    page.get_by_label("Link text").fill("Say hello")
    page.get_by_label("Add a small QR code to the email signature").check()
    expect(page.get_by_label("Markdown")).to_have_value(f"[Say hello]({url})")
    expect(page.get_by_label("Email signature HTML")).to_have_value(re.compile(r"<img src=\"[^\"]+/qr\.png"))
    frame = page.frame_locator("iframe[title='Preview of the email signature']")
    expect(frame.get_by_role("link", name="Say hello", exact=True)).to_be_visible()
    expect(frame.locator("img")).to_have_js_property("complete", True)
    page.locator("[data-copy='#snippet-signature']").click()
    assert page.evaluate("navigator.clipboard.readText()").startswith("<table")

    button_frame = page.frame_locator("iframe[title='Preview of the button']")
    expect(button_frame.get_by_role("link", name="Say hello")).to_be_visible()
    page.screenshot(path=str(screenshots / "links-detail.png"), full_page=True)

    # The visitor's page works.
    page.get_by_role("link", name="Open the page visitors see").click()
    expect(page.get_by_text("Great to meet you at PyCon!")).to_be_visible()
    page.go_back()

    # Present mode: a huge QR code that a phone can scan from the screen, keyboard shortcuts.
    page.get_by_role("link", name="Present mode").click()
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    qr_image = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr_image).to_have_js_property("complete", True)
    page.keyboard.press("d")
    expect(page.locator("body")).to_have_class(re.compile("present-dark"))
    expect(page.get_by_role("button", name="Light")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("d")
    expect(page.locator("body")).not_to_have_class(re.compile("present-dark"))
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_be_visible()
    shot = screenshots / "links-present-mode.png"
    page.screenshot(path=str(shot))
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(shot))]
    assert decoded == [url]

    # The overview lists the link with its funnel.
    page.goto(live_server.url + "/links")
    expect(page.get_by_role("link", name="PyCon talk slides", exact=True)).to_be_visible()
    expect(page.locator(".link-card", has_text="PyCon talk slides")).to_contain_text("Active")
    page.screenshot(path=str(screenshots / "links-overview.png"), full_page=True)
