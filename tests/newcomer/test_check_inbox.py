"""The "check your inbox" page says where the mail went while no SMTP is configured, whatever the address."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import body
from tests.factories import make_user

HINT = "instance/outbox/"


def _register_then_look(client, auth, email: str) -> str:
    response = auth.post("/register", {"name": "Grace Hopper", "email": email, "password": "a long enough password"})
    assert response.status_code == 302 and response.location.endswith("/register/check-inbox")
    return body(client.get("/register/check-inbox"))


def _comparable(html: str, email: str) -> str:
    """The page minus the address typed and the per-session CSRF token."""
    return re.sub(r'(csrf[-_]token"?[^>]*(?:value|content)=")[^"]*', r"\1", html.replace(email, "ADDRESS"))


@pytest.mark.config(MAIL_BACKEND="file")
def test_file_backend_names_the_outbox_with_its_absolute_path(app, client, auth):
    page = _register_then_look(client, auth, "grace@example.com")
    outbox = Path(app.instance_path).resolve() / "outbox"
    assert HINT in page and str(outbox) in page
    assert any("grace@example.com" in mail.read_text() for mail in outbox.glob("*.eml"))  # it really is there


@pytest.mark.config(MAIL_BACKEND="file")
def test_the_hint_is_the_same_for_a_new_and_a_registered_address(app, client, auth):
    with app.app_context():
        make_user(email="ada@example.com")
    new = _comparable(_register_then_look(client, auth, "grace@example.com"), "grace@example.com")
    taken = _comparable(_register_then_look(client, auth, "ada@example.com"), "ada@example.com")
    assert HINT in taken
    assert new == taken


def test_no_hint_when_mail_goes_through_another_backend(client, auth):
    page = _register_then_look(client, auth, "grace@example.com")
    assert HINT not in page and "outbox" not in page
