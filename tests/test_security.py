"""Response hardening and friendly error pages."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import Gone

from oneclick.security import is_safe_next

from .conftest import body


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_when_served_over_https(client):
    response = client.get("/", base_url="https://oneclick.test")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_pages_have_no_inline_script(client):
    html = body(client.get("/login"))
    assert "<script>" not in html and "onclick=" not in html


def test_signed_in_pages_are_not_cached(client, auth, user):
    auth.login()
    assert client.get("/dashboard").headers["Cache-Control"] == "private, no-store"


def test_cookie_flags(client, auth, user):
    auth.login(remember=True)
    cookies = {c.key: c for c in client._cookies.values()}
    assert cookies["oneclick_session"].http_only
    assert cookies["oneclick_remember"].http_only
    assert cookies["oneclick_session"].same_site == "Lax"


def test_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "We couldn't find that page" in body(response)


@pytest.mark.parametrize("status", [400, 403, 404, 410, 429, 500])
def test_every_error_page_is_friendly(app, client, status):
    from flask import abort

    @app.get(f"/_raise/{status}")
    def _raise():
        if status == 500:
            raise RuntimeError("boom")
        abort(status)

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get(f"/_raise/{status}")
    assert response.status_code == status
    text = body(response)
    assert 'class="error-page"' in text and "Go to the home page" in text
    assert "Traceback" not in text and "boom" not in text


def test_410_shows_the_given_message(app, client):
    @app.get("/_gone")
    def _gone():
        raise Gone("This link was replaced.")

    assert "This link was replaced." in body(client.get("/_gone"))


def test_oversized_request_body_is_refused(client):
    response = client.post("/login", data={"email": "x" * (300 * 1024)})
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("target", "safe"),
    [("/dashboard", True), ("/settings?x=1#y", True), ("//evil.com", False), ("/\\evil.com", False),
     ("https://evil.com", False), ("javascript:alert(1)", False), ("", False), (None, False),
     ("/ok\r\nSet-Cookie: x", False), ("evil.com", False)],
)
def test_is_safe_next(target, safe):
    assert is_safe_next(target) is safe
