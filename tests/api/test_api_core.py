"""The API's plumbing: Bearer authentication, no cookie auth, the JSON error envelope, limits, the document."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from oneclick import create_app
from oneclick.api import services as token_services
from oneclick.api.core import build_document
from oneclick.api.errors import ERROR_STATUS
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.models import ApiToken, InviteLink, User

from ..conftest import _test_config
from ..factories import make_api_token, make_user
from .conftest import Api, error_of

# --- Authentication -------------------------------------------------------------------------------------


def test_me_with_a_valid_token(api, user):
    response = api.get("me")
    assert response.status_code == 200
    body = response.get_json()
    assert body["email"] == "ada@example.com"
    assert body["id"] == user["public_id"]
    assert set(body["quota"]) == {
        "allotment", "sent", "remaining", "sent_last_24h", "captcha_after", "restricted", "restrictions",
        "declines_since_lift", "spammer",
    }
    assert body["quota"]["allotment"] == 3000 and body["quota"]["remaining"] == 3000
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Basic abc", "Bearer oc_short", "Bearer " + "oc_" + "A" * 43, "Token oc_x"],
)
def test_missing_or_bad_token_is_401(api, header):
    headers = {"Authorization": header} if header is not None else {}
    response = api.client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert error_of(response) == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_401(app, api, user):
    assert api.get("me").status_code == 200
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token_services.revoke_token(db.session.get(User, user["id"]), token.id, utcnow())
    response = api.get("me")
    assert response.status_code == 401
    assert "revoked" in response.get_json()["error"]["message"]


def test_token_of_an_unverified_account_is_401(app, client):
    with app.app_context():
        raw = make_api_token(make_user(verified=False))
    assert Api(client, raw).get("me").status_code == 401


def test_token_of_a_deleted_account_is_401(app, api, user):
    with app.app_context():
        db.session.delete(db.session.get(User, user["id"]))
        db.session.commit()
    assert api.get("me").status_code == 401


def test_session_cookie_alone_is_refused(app, auth, client, user):
    auth.login()
    assert client.get("/settings").status_code == 200  # signed in
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert "cookie" in response.get_json()["error"]["message"]
    # A cookie-driven write without a CSRF token changes nothing.
    response = client.post("/api/v1/links", json={"label": "Sneaky"})
    assert response.status_code == 401
    with app.app_context():
        assert db.session.scalar(select(InviteLink)) is None


def test_bearer_write_needs_no_csrf_token(app, api):
    response = api.post("links", json={"label": "From a script"})
    assert response.status_code == 201
    assert response.get_json()["label"] == "From a script"


def test_last_used_is_recorded_and_written_at_most_once_a_minute(app, api):
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is None
    api.get("me")
    with app.app_context():
        first = db.session.scalar(select(ApiToken.last_used_at))
    assert first is not None
    api.get("me")
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) == first
        db.session.execute(update(ApiToken).values(last_used_at=first - timedelta(minutes=2)))
        db.session.commit()
    api.get("me")
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) > first - timedelta(minutes=2)


def test_tokens_are_stored_hashed(app, api):
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.token_hash == token_services.hash_token(api.token)
        assert api.token not in (row.token_hash, row.prefix)
        assert api.token.startswith(row.prefix) and len(row.prefix) == 10


# --- The error envelope -----------------------------------------------------------------------------------


def test_unknown_route_is_json_404(api):
    for path in ("/api/v1/nope", "/api/v1", "/api/v1/links/abc", "/api/v1/links/99999999999"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert error_of(response) == "not_found"


def test_unknown_route_without_token_is_json_404_too(api):
    response = api.post("/api/v1/nope", token=None)
    assert response.status_code == 404
    assert error_of(response) == "not_found"


def test_html_pages_keep_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_wrong_method_is_json_405_with_allow(api):
    response = api.delete("me")
    assert response.status_code == 405
    assert error_of(response) == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


@pytest.mark.config(MAX_CONTENT_LENGTH=1024)
def test_too_large_body_is_json_413(api):
    response = api.post("links", json={"label": "x", "message": "y" * 5000})
    assert response.status_code == 413
    assert error_of(response) == "too_large"


@pytest.mark.parametrize(
    "data",
    [b"{", b"", b"   ", b"[1, 2]", b'"text"', b"null", b'{"label": NaN}', b"\xff\xfe", b"[" * 5000 + b"]" * 5000],
)
def test_malformed_json_is_400_invalid(api, data):
    response = api.post("links", data=data, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response) == "invalid"


def test_body_is_read_as_json_whatever_the_content_type(api):
    response = api.post("links", data=b'{"label": "Plain"}', headers={"Content-Type": "text/plain"})
    assert response.status_code == 201


def test_validation_errors_name_the_fields(api):
    response = api.post("links", json={"channel": "pigeon", "surprise": 1, "max_requests": True})
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"label", "channel", "surprise", "max_requests"}


@pytest.mark.config(PROPAGATE_EXCEPTIONS=False)
def test_unexpected_exception_is_json_500(app, api):
    def boom():
        raise RuntimeError("boom")

    app.add_url_rule("/api/v1/_boom", "boom", boom)
    response = api.get("/api/v1/_boom")
    assert response.status_code == 500
    assert error_of(response) == "internal"
    assert "boom" not in response.get_data(as_text=True)


# --- Rate limits ------------------------------------------------------------------------------------------


@pytest.mark.config(API_RATE_LIMIT="2 per minute")
def test_rate_limit_is_per_token_with_retry_after(api, api_as, user):
    assert api.get("me").status_code == 200
    assert api.get("links").status_code == 200
    response = api.get("me")
    assert response.status_code == 429
    assert error_of(response) == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 1
    # Another token (another member) has its own budget.
    assert api_as(email="grace@example.com").get("me").status_code == 200
    # A second token of the same member, too: the key is the token.
    other = api_as(user)
    assert other.get("me").status_code == 200


@pytest.mark.config(API_RATE_LIMIT="2 per minute")
def test_requests_without_a_valid_token_share_a_budget_per_address(api):
    for _ in range(2):
        assert api.get("me", token="oc_" + "B" * 43).status_code == 401
    response = api.get("me", token=None)
    assert response.status_code == 429
    assert error_of(response) == "rate_limited"


@pytest.mark.config(API_RATE_LIMIT="2 per minute", RATELIMIT_ENABLED=False)
def test_ratelimit_enabled_false_switches_the_limit_off(api):
    for _ in range(5):
        assert api.get("me").status_code == 200


# --- The OpenAPI document -----------------------------------------------------------------------------------


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((path, method.lower()))
    return found


def test_document_lists_every_api_route_and_nothing_else(database_url, instance_dir, monkeypatch):
    monkeypatch.setenv("ONECLICK_INSTANCE_PATH", str(instance_dir))
    app = create_app(_test_config(database_url))
    with app.test_request_context():
        document = build_document("http://oneclick.test")
    documented = {(path, method) for path, methods in document["paths"].items() for method in methods}
    routes = _routes(app)
    assert routes, "no API routes found"
    assert documented == routes


def test_document_is_served_without_a_token(api):
    response = api.get("openapi.json", token=None)
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/links/{link_id}" in document["paths"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_document_lists_every_error_code_of_the_issue():
    issue_table = {
        "invalid": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404, "already_connected": 409,
        "self_invite": 400, "allotment_exhausted": 403, "captcha_required": 428, "captcha_invalid": 400,
        "email_required": 403, "email_mismatch": 403, "support_required": 403, "grant_refused": 403,
        "link_inactive": 410, "rate_limited": 429,
    }
    for code, status in issue_table.items():
        assert ERROR_STATUS[code] == status


def test_readable_api_page_lists_every_operation(client, app):
    response = client.get("/docs/api")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    with app.test_request_context():
        document = build_document("http://oneclick.test")
    for path, methods in document["paths"].items():
        for op in methods.values():
            assert f'id="{op["operationId"]}"' in page, path
    for code in ERROR_STATUS:
        assert f"<code>{code}</code>" in page
