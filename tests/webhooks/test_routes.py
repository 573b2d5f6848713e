"""Settings → Webhooks: add, show the secret once, edit, rotate, test, redeliver, enable/disable, delete; access
control, CSRF, someone else's endpoint (404) and bad input on every route."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from oneclick.extensions import db
from oneclick.models import WebhookDelivery, WebhookEndpoint

from ..conftest import body, csrf_from
from ..factories import make_user
from .conftest import LOOPBACK, add_endpoint

SECRET_RE = re.compile(r'id="new-secret"[^>]*value="(whsec_[A-Za-z0-9+/=]+)"')


def _add(auth, url, events=("link.paused",)):
    return auth.post("/settings/webhooks", {"url": url, "events": list(events)})


def _endpoints(app):
    with app.app_context():
        rows = [(e.owner_id, e.url, e.events, e.active) for e in db.session.scalars(select(WebhookEndpoint))]
        db.session.remove()
    return rows


def test_pages_need_a_signed_in_member(client, app, user):
    endpoint_id = _direct_endpoint(app, user["id"])
    for path in ("/settings/webhooks", f"/settings/webhooks/{endpoint_id}"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    for path in ("/settings/webhooks", f"/settings/webhooks/{endpoint_id}/test",
                 f"/settings/webhooks/{endpoint_id}/rotate", f"/settings/webhooks/{endpoint_id}/delete"):
        assert client.post(path).status_code in (302, 400)  # no session (and no CSRF token): nothing happens
    assert _endpoints(app) == [(user["id"], "https://93.184.215.14/h", "link.paused", True)]


@pytest.mark.config(**LOOPBACK)
def test_add_shows_the_secret_once_and_lists_the_endpoint(app, client, auth, user):
    auth.login()
    response = _add(auth, "http://127.0.0.1:9/hooks", ["request.created", "link.paused"])
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    [secret] = SECRET_RE.findall(response.get_data(as_text=True))
    assert _endpoints(app) == [(user["id"], "http://127.0.0.1:9/hooks", "request.created,link.paused", True)]
    page = body(client.get("/settings/webhooks"))
    assert "http://127.0.0.1:9/hooks" in page and secret not in page and 'aria-current="page">Webhooks' in page
    with app.app_context():
        stored = db.session.scalar(select(WebhookEndpoint.secret))
    assert secret not in stored


@pytest.mark.parametrize(("url", "message"), [
    ("", "Enter the endpoint's URL."),
    ("not a url", "Enter a full URL"),
    ("http://example.com/hook", "Use an https:// URL."),
    ("https://127.0.0.1/hook", "loopback"),
    ("https://10.1.2.3/hook", "private network"),
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("https://[::1]/hook", "loopback"),
    ("https://localhost/hook", "loopback"),
    ("https://user:pw@93.184.215.14/", "user names and passwords"),
    ("https://example.com/" + "a" * 600, "at most 500"),
])
def test_bad_or_blocked_urls_are_refused_at_registration(app, client, auth, user, url, message):
    auth.login()
    response = _add(auth, url)
    assert response.status_code == 200 and message in body(response)
    assert _endpoints(app) == []


def test_events_are_required_and_checked(app, client, auth, user):
    auth.login()
    assert "Choose at least one event." in body(_add(auth, "https://93.184.215.14/h", []))
    assert "is not a valid choice" in body(_add(auth, "https://93.184.215.14/h", ["link.deleted"]))
    assert _endpoints(app) == []


@pytest.mark.config(WEBHOOK_ENDPOINTS_MAX_PER_USER=1, **LOOPBACK)
def test_the_endpoint_limit(app, client, auth, user):
    auth.login()
    _add(auth, "http://127.0.0.1:9/a")
    assert "You already have 1 endpoints" in body(_add(auth, "http://127.0.0.1:9/b"))
    assert len(_endpoints(app)) == 1


def test_csrf_is_required_on_every_post(app, client, auth, user):
    endpoint_id = _direct_endpoint(app, user["id"])
    auth.login()
    for path in ("/settings/webhooks", f"/settings/webhooks/{endpoint_id}", f"/settings/webhooks/{endpoint_id}/test",
                 f"/settings/webhooks/{endpoint_id}/rotate", f"/settings/webhooks/{endpoint_id}/state",
                 f"/settings/webhooks/{endpoint_id}/delete",
                 f"/settings/webhooks/{endpoint_id}/deliveries/1/redeliver"):
        assert client.post(path, data={"url": "https://93.184.215.14/x", "events": "link.paused"}).status_code == 400
    assert _endpoints(app) == [(user["id"], "https://93.184.215.14/h", "link.paused", True)]


def _direct_endpoint(app, owner_id: int, url: str = "https://93.184.215.14/h") -> int:
    """An endpoint written straight into the table (a public address, no DNS needed)."""
    from oneclick.clock import utcnow
    from oneclick.webhooks import crypto

    with app.app_context():
        row = WebhookEndpoint(owner_id=owner_id, url=url, events="link.paused", secret=crypto.encrypt("whsec_QUJD"),
                              active=True, created_at=utcnow())
        db.session.add(row)
        db.session.commit()
        return row.id


def test_someone_elses_endpoint_is_a_404_everywhere(app, client, auth, user):
    with app.app_context():
        bob = make_user(email="bob@example.com", name="Bob").id
    theirs = _direct_endpoint(app, bob)
    auth.login()
    token = csrf_from(client.get("/settings/webhooks").get_data(as_text=True))
    assert client.get(f"/settings/webhooks/{theirs}").status_code == 404
    assert client.get("/settings/webhooks/99999999999").status_code == 404
    for action in ("test", "rotate", "state", "delete", "deliveries/1/redeliver"):
        assert client.post(f"/settings/webhooks/{theirs}/{action}", data={"csrf_token": token}).status_code == 404
    response = client.post(f"/settings/webhooks/{theirs}",
                           data={"csrf_token": token, "url": "https://93.184.215.14/x", "events": "link.paused"})
    assert response.status_code == 404
    assert _endpoints(app) == [(bob, "https://93.184.215.14/h", "link.paused", True)]


@pytest.mark.config(**LOOPBACK)
def test_detail_edit_rotate_test_redeliver_disable_and_delete(app, client, auth, user):
    from .conftest import Receiver

    server = Receiver()
    try:
        endpoint_id, _ = add_endpoint(app, user["id"], server.url())
        auth.login()
        path = f"/settings/webhooks/{endpoint_id}"
        page = body(client.get(path))
        assert "No deliveries yet" in page and "Send test event" in page
        # Send a test event: delivered at once (the queue runs inline in tests), shown in the log.
        response = auth.post(f"{path}/test", token_from=path)
        assert response.status_code == 302
        page = body(client.get(path))
        assert "webhook.test" in page and "Delivered" in page and "HTTP 204" in page
        assert len(server.received) == 1
        with app.app_context():
            delivery_id = db.session.scalar(select(WebhookDelivery.id))
        assert auth.post(f"{path}/deliveries/{delivery_id}/redeliver", token_from=path).status_code == 302
        assert len(server.received) == 2 and server.received[0][1]["webhook-id"] == server.received[1][1]["webhook-id"]
        assert auth.post(f"{path}/deliveries/99999/redeliver", token_from=path).status_code == 404
        # Edit: bad input keeps the page with a message; good input saves.
        response = auth.post(path, {"url": "https://10.0.0.1/x", "events": ["link.paused"]})
        assert response.status_code == 400 and "private network" in body(response)
        response = auth.post(path, {"url": server.url("/v2"), "events": ["request.created", "connection.removed"]})
        assert response.status_code == 302
        assert _endpoints(app) == [(user["id"], server.url("/v2"), "request.created,connection.removed", True)]
        # Rotate: the new secret is shown once.
        response = auth.post(f"{path}/rotate", token_from=path)
        assert response.status_code == 200 and SECRET_RE.search(response.get_data(as_text=True))
        assert not SECRET_RE.search(client.get(path).get_data(as_text=True))
        # Disable: the test button is off and a test event is refused; enable again.
        assert auth.post(f"{path}/state", token_from=path).status_code == 302
        assert _endpoints(app)[0][3] is False
        assert 'disabled>Send test event' in client.get(path).get_data(as_text=True)
        response = auth.post(f"{path}/test", token_from=path, follow_redirects=True)
        assert "Enable the endpoint first." in body(response) and len(server.received) == 2
        auth.post(f"{path}/state", token_from=path)
        assert _endpoints(app)[0][3] is True
        # Delete with its log.
        assert auth.post(f"{path}/delete", token_from=path).status_code == 302
        assert _endpoints(app) == [] and client.get(path).status_code == 404
        with app.app_context():
            assert db.session.scalar(select(WebhookDelivery.id)) is None
    finally:
        server.stop()
