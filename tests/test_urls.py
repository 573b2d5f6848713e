"""oneclick.urls.external_url: every absolute URL from PUBLIC_URL, inside a request or outside any."""

from __future__ import annotations

import pytest

from oneclick.urls import external_url


def test_outside_any_request(app):
    with app.app_context():  # a CLI command or a background task
        assert external_url("inbox.inbox") == "http://oneclick.test/requests"
        assert external_url("landing.page", token="abc~1.sig") == "http://oneclick.test/c/abc~1.sig"


def test_inside_a_request_the_host_header_is_ignored(app):
    with app.test_request_context("/", base_url="https://evil.example:8443/"):
        assert external_url("landing.qr_image", token="t~1.s", fmt="png", size=144) == (
            "http://oneclick.test/c/t~1.s/qr.png?size=144"
        )


@pytest.mark.config(PUBLIC_URL="https://example.org/oneclick/")
def test_a_public_url_with_a_path_keeps_it(app):
    with app.app_context():
        assert external_url("landing.vanity", handle="ada") == "https://example.org/oneclick/@ada"
        assert external_url("auth.register", _anchor="top") == "https://example.org/oneclick/register#top"


def test_a_changed_public_url_is_followed(app):
    with app.app_context():
        assert external_url("auth.login").startswith("http://oneclick.test/")
        app.config["PUBLIC_URL"] = "http://127.0.0.1:5123"  # the browser tests point links at their live server
        assert external_url("auth.login") == "http://127.0.0.1:5123/login"
