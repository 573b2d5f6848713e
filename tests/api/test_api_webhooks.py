"""API: /webhooks CRUD, rotate-secret, test event, delivery log and redeliver; errors in the envelope; the
secret only in the create and rotate answers; someone else's endpoint is a 404."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from ..webhooks.conftest import LOOPBACK, Receiver
from .conftest import error_of


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.mark.config(**LOOPBACK)
def test_create_read_update_test_redeliver_and_delete(api, receiver):
    response = api.post("webhooks", json={"url": receiver.url(), "events": ["link.paused", "request.created"]})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    secret, endpoint_id = created.pop("secret"), created["id"]
    assert secret.startswith("whsec_")
    assert created == {"id": endpoint_id, "url": receiver.url(), "events": ["request.created", "link.paused"],
                       "active": True, "failing_since": None, "disabled_at": None, "created_at": created["created_at"]}
    assert api.get("webhooks").get_json() == {"items": [created]}
    assert api.get(f"webhooks/{endpoint_id}").get_json() == created  # never the secret again
    # A test event: 202 with its delivery, delivered and signed with the secret.
    response = api.post(f"webhooks/{endpoint_id}/test")
    assert response.status_code == 202
    delivery = response.get_json()
    assert delivery["event"] == "webhook.test" and delivery["webhook_id"].startswith("msg_")
    [(_, headers, body)] = receiver.received
    assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"
    [logged] = api.get(f"webhooks/{endpoint_id}/deliveries").get_json()["items"]
    assert (logged["status"], logged["response_code"], logged["attempts"]) == ("delivered", 204, 1)
    assert logged["payload"]["data"]["endpoint_id"] == endpoint_id
    # Redeliver: the same webhook-id again.
    response = api.post(f"webhooks/{endpoint_id}/deliveries/{logged['id']}/redeliver")
    assert response.status_code == 202 and len(receiver.received) == 2
    assert receiver.received[1][1]["webhook-id"] == logged["webhook_id"]
    # Rotate: a new secret, shown once, signs from now on.
    new = api.post(f"webhooks/{endpoint_id}/rotate-secret").get_json()["secret"]
    assert new != secret
    api.post(f"webhooks/{endpoint_id}/test")
    Webhook(new).verify(receiver.received[2][2], receiver.received[2][1])
    # Patch: disable (a test event is then refused), enable, change events.
    assert api.patch(f"webhooks/{endpoint_id}", json={"active": False}).get_json()["active"] is False
    response = api.post(f"webhooks/{endpoint_id}/test")
    assert (response.status_code, error_of(response)) == (409, "endpoint_disabled")
    response = api.post(f"webhooks/{endpoint_id}/deliveries/{logged['id']}/redeliver")
    assert (response.status_code, error_of(response)) == (409, "endpoint_disabled")
    patched = api.patch(f"webhooks/{endpoint_id}", json={"active": True, "events": ["connection.removed"]}).get_json()
    assert (patched["active"], patched["events"]) == (True, ["connection.removed"])
    assert api.delete(f"webhooks/{endpoint_id}").status_code == 204
    assert api.get(f"webhooks/{endpoint_id}").status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "http://example.com/h", "events": ["link.paused"]}, "url"),  # https only outside the test switch
    ({"url": "https://127.0.0.1/h", "events": ["link.paused"]}, "url"),
    ({"url": "https://10.0.0.8/h", "events": ["link.paused"]}, "url"),
    ({"url": "https://169.254.169.254/latest", "events": ["link.paused"]}, "url"),
    ({"url": "https://[::1]/h", "events": ["link.paused"]}, "url"),
    ({"url": "https://localhost/h", "events": ["link.paused"]}, "url"),
    ({"url": "https://93.184.215.14/" + "a" * 600, "events": ["link.paused"]}, "url"),
    ({"url": "https://93.184.215.14/h", "events": []}, "events"),
    ({"url": "https://93.184.215.14/h", "events": ["link.deleted"]}, "events"),
    ({"url": "https://93.184.215.14/h", "events": ["link.paused", "link.paused"]}, "events"),
    ({"url": "https://93.184.215.14/h", "events": "link.paused"}, "events"),
    ({"url": "https://93.184.215.14/h"}, "events"),
    ({"url": "https://93.184.215.14/h", "events": ["link.paused"], "secret": "x"}, "secret"),
])
def test_bad_input_is_refused_with_a_message_per_field(api, body, field):
    response = api.post("webhooks", json=body)
    assert (response.status_code, error_of(response)) == (400, "invalid")
    assert field in response.get_json()["error"]["fields"]
    assert api.get("webhooks").get_json() == {"items": []}


@pytest.mark.config(WEBHOOK_ENDPOINTS_MAX_PER_USER=1, **LOOPBACK)
def test_the_endpoint_limit(api):
    assert api.post("webhooks", json={"url": "http://127.0.0.1:9/a", "events": ["link.paused"]}).status_code == 201
    response = api.post("webhooks", json={"url": "http://127.0.0.1:9/b", "events": ["link.paused"]})
    assert (response.status_code, error_of(response)) == (409, "webhook_limit_reached")


@pytest.mark.config(**LOOPBACK)
def test_someone_elses_endpoint_is_not_found(api, api_as):
    bob = api_as(email="bob@example.com", name="Bob")
    endpoint_id = bob.post("webhooks", json={"url": "http://127.0.0.1:9/b", "events": ["link.paused"]}).get_json()["id"]
    for method, path in [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/rotate-secret"), ("POST", "/test"),
                         ("GET", "/deliveries"), ("POST", "/deliveries/1/redeliver")]:
        response = api.request(method, f"webhooks/{endpoint_id}{path}", json={} if method == "PATCH" else None)
        assert (response.status_code, error_of(response)) == (404, "not_found"), (method, path)
    assert bob.get(f"webhooks/{endpoint_id}").status_code == 200


def test_a_token_is_required(api):
    response = api.get("webhooks", token=None)
    assert (response.status_code, error_of(response)) == (401, "unauthorized")
