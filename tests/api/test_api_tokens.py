"""Personal access tokens: the settings page, the ``tokens`` commands and the per-member cap."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from oneclick.api import services
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.models import ApiToken, User

from ..conftest import body
from ..factories import make_api_token, make_user
from ..helpers import at_once
from .conftest import Api

RAW_RE = re.compile(r'id="new-token"[^>]*value="(oc_[A-Za-z0-9_-]{43})"')


def _count(app, **where) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(ApiToken)
        for key, value in where.items():
            stmt = stmt.where(getattr(ApiToken, key) == value)
        return db.session.scalar(stmt)


# --- Settings page ----------------------------------------------------------------------------------------


def test_tokens_page_needs_sign_in(client):
    response = client.get("/settings/tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post("/settings/tokens/1/revoke")
    assert response.status_code in (302, 400)


def test_create_shows_the_token_once_and_it_works(app, client, auth, user):
    auth.login()
    page = client.get("/settings/tokens")
    assert page.status_code == 200
    assert "You have no API tokens yet" in body(page)
    assert 'aria-current="page">API tokens' in body(page)
    response = auth.post("/settings/tokens", {"name": "CRM sync"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    raw = RAW_RE.search(body(response)).group(1)
    assert "won't be shown again" in body(response)
    # Shown once: the list shows only the prefix afterwards.
    again = body(client.get("/settings/tokens"))
    assert raw not in again
    assert raw[:10] in again and "CRM sync" in again and "Never" in again
    # The token works, and the page then shows when it was last used.
    assert Api(app.test_client(), raw).get("me").status_code == 200
    assert "Never" not in body(client.get("/settings/tokens"))


def test_create_needs_a_name_within_limits(app, client, auth, user):
    auth.login()
    response = auth.post("/settings/tokens", {"name": "   "})
    assert response.status_code == 200 and "Name the token." in body(response)
    response = auth.post("/settings/tokens", {"name": "x" * 81})
    assert response.status_code == 200 and "80 characters" in body(response) and _count(app) == 0


def test_create_without_csrf_is_refused(app, client, auth, user):
    auth.login()
    response = client.post("/settings/tokens", data={"name": "No CSRF"})
    assert response.status_code == 400
    assert _count(app) == 0


@pytest.mark.config(API_TOKENS_MAX_PER_USER=2)
def test_token_cap(app, client, auth, user):
    auth.login()
    for name in ("one", "two"):
        assert RAW_RE.search(body(auth.post("/settings/tokens", {"name": name})))
    response = auth.post("/settings/tokens", {"name": "three"})
    assert "the most allowed" in body(response) and not RAW_RE.search(body(response))
    assert _count(app) == 2


def test_revoke(app, client, auth, user):
    auth.login()
    raw = RAW_RE.search(body(auth.post("/settings/tokens", {"name": "Old script"}))).group(1)
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    response = auth.post(f"/settings/tokens/{token_id}/revoke", token_from="/settings/tokens")
    assert response.status_code == 302
    page = body(client.get(response.headers["Location"]))
    assert "Token revoked" in page and "Old script" not in page
    assert Api(app.test_client(), raw).get("me").status_code == 401
    # Revoking twice: nothing left to revoke.
    response = auth.post(f"/settings/tokens/{token_id}/revoke", token_from="/settings/tokens")
    assert response.status_code == 404


def test_revoke_someone_elses_token_is_404(app, client, auth, user):
    with app.app_context():
        raw = make_api_token(make_user(email="grace@example.com"))
        token_id = db.session.scalar(select(ApiToken.id))
    auth.login()
    response = auth.post(f"/settings/tokens/{token_id}/revoke", token_from="/settings/tokens")
    assert response.status_code == 404
    assert Api(app.test_client(), raw).get("me").status_code == 200


def test_revoke_without_csrf_is_refused(app, client, auth, user):
    auth.login()
    RAW_RE.search(body(auth.post("/settings/tokens", {"name": "Keep"})))
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    assert client.post(f"/settings/tokens/{token_id}/revoke").status_code == 400
    assert _count(app, revoked_at=None) == 1


def test_revoke_garbled_id_is_404(client, auth, user):
    auth.login()
    assert client.post("/settings/tokens/abc/revoke").status_code == 404


# --- Commands -----------------------------------------------------------------------------------------------


def test_cli_create_prints_the_raw_token_last(app, runner, user):
    result = runner.invoke(args=["tokens", "create", "Ada@Example.com", "--name", "Conference app"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"oc_[A-Za-z0-9_-]{43}", raw)
    assert Api(app.test_client(), raw).get("me").get_json()["email"] == "ada@example.com"
    with app.app_context():
        assert db.session.scalar(select(ApiToken.name)) == "Conference app"


def test_cli_list_and_revoke(app, runner, user):
    raw = runner.invoke(args=["tokens", "create", "ada@example.com"]).output.strip().splitlines()[-1]
    listed = runner.invoke(args=["tokens", "list", "ada@example.com"])
    assert listed.exit_code == 0 and raw[:10] in listed.output and raw not in listed.output
    token_id = listed.output.split("\t", 1)[0]
    result = runner.invoke(args=["tokens", "revoke", "ada@example.com", token_id])
    assert result.exit_code == 0, result.output
    assert Api(app.test_client(), raw).get("me").status_code == 401
    assert runner.invoke(args=["tokens", "revoke", "ada@example.com", token_id]).exit_code != 0
    assert "no active tokens" in runner.invoke(args=["tokens", "list", "ada@example.com"]).output


def test_cli_unknown_member(runner, app):
    result = runner.invoke(args=["tokens", "create", "nobody@example.com"])
    assert result.exit_code != 0 and "No account" in result.output


# --- Races --------------------------------------------------------------------------------------------------


@pytest.mark.config(API_TOKENS_MAX_PER_USER=3)
def test_concurrent_creates_respect_the_cap(app, user):
    def create(i):
        member = db.session.get(User, user["id"])
        try:
            return services.create_token(member, f"t{i}", utcnow()).raw
        except services.TokenLimitReached:
            return None

    made = [raw for raw in at_once(app, 8, create) if raw is not None]
    assert len(made) == 3 and _count(app) == 3
