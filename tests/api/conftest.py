"""Fixtures for the JSON API tests: a client that sends a Bearer token with every request."""

from __future__ import annotations

import pytest

from oneclick.extensions import db
from oneclick.models import User

from ..factories import make_api_token, make_user


class Api:
    """The test client with ``Authorization: Bearer <token>`` on every request (unless token=None)."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def request(self, method: str, path: str, json=None, token: str | None | bool = True, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        bearer = self.token if token is True else token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        if not path.startswith("/"):
            path = "/api/v1/" + path
        return self.client.open(path, method=method, json=json, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.request("POST", path, json=json, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.request("PATCH", path, json=json, **kwargs)

    def put(self, path, json=None, **kwargs):
        return self.request("PUT", path, json=json, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


def error_of(response) -> str:
    """Return the error code of a JSON error response (and check the envelope's shape)."""
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert set(body["error"]) <= {"code", "message", "fields"}
    assert body["error"]["message"]
    return body["error"]["code"]


@pytest.fixture
def api(app, client, user):
    """An API client acting as ada@example.com."""
    with app.app_context():
        token = make_api_token(db.session.get(User, user["id"]))
    return Api(client, token)


@pytest.fixture
def api_as(app):
    """Return a function giving an API client (its own test client) for a member, created when given a dict."""

    def make(member=None, **user_fields):
        with app.app_context():
            target = db.session.get(User, member["id"]) if member is not None else make_user(**user_fields)
            token = make_api_token(target)
            info = {"id": target.id, "public_id": target.public_id, "email": target.email, "name": target.name}
        client = Api(app.test_client(), token)
        client.user = info
        return client

    return make
