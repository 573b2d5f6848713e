"""Real deliveries to a loopback HTTP server: signed per Standard Webhooks (checked with the library), recorded in
the transaction of the change, retried with back-off, a long-failing endpoint disabled with a mail, redelivered."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from oneclick import enqueue
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.links import services as links
from oneclick.models import User, WebhookDelivery, WebhookEndpoint
from oneclick.webhooks import services

from ..factories import make_invite_link
from .conftest import LOOPBACK, Receiver, add_endpoint

pytestmark = pytest.mark.config(**LOOPBACK)


def _link(app, user_id: int) -> int:
    with app.app_context():
        link, _ = make_invite_link(db.session.get(User, user_id), label="Slides")
        return link.id


def _pause(app, user_id: int, link_id: int) -> None:
    with app.app_context():
        assert links.set_active(db.session.get(User, user_id), link_id, False)


def _rows(app) -> list[WebhookDelivery]:
    with app.app_context():
        rows = list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
        db.session.expunge_all()
        return rows


def _endpoint(app, endpoint_id: int) -> WebhookEndpoint:
    with app.app_context():
        row = db.session.get(WebhookEndpoint, endpoint_id)
        db.session.expunge_all()
        return row


def test_a_paused_link_is_delivered_once_signed_per_standard_webhooks(app, ada, receiver):
    endpoint_id, secret = add_endpoint(app, ada["id"], receiver.url("/hooks?src=oneclick"))
    link_id = _link(app, ada["id"])
    _pause(app, ada["id"], link_id)  # the queue runs inline in tests: delivered right after the commit
    [(path, headers, body)] = receiver.received
    assert path == "/hooks?src=oneclick"
    payload = Webhook(secret).verify(body, headers)  # raises unless the signature and timestamp are right
    assert payload["type"] == "link.paused"
    assert payload["data"] == {"link": {"id": link_id, "label": "Slides"}}
    assert headers["content-type"] == "application/json"
    [row] = _rows(app)
    assert headers["webhook-id"] == row.message_id and row.message_id.startswith("msg_")
    assert (row.status, row.attempts, row.response_code, row.endpoint_id) == ("delivered", 1, 204, endpoint_id)
    with pytest.raises(Exception, match="signature"):  # another secret does not verify
        Webhook("whsec_" + "QUJD" * 8).verify(body, headers)
    _pause(app, ada["id"], link_id)  # already paused: no second event
    assert len(receiver.received) == 1


def test_only_subscribed_active_endpoints_of_the_owner_get_a_row(app, ada, receiver):
    from ..factories import make_user

    with app.app_context():
        bob = make_user(email="bob@example.com", name="Bob").id
    add_endpoint(app, ada["id"], receiver.url("/requests"), events=["request.created"])
    add_endpoint(app, bob, receiver.url("/bob"))  # someone else's endpoint never hears of Ada's link
    paused_id, _ = add_endpoint(app, ada["id"], receiver.url("/off"))
    with app.app_context():
        services.update_endpoint(db.session.get(User, ada["id"]), paused_id, utcnow(), active=False)
    _pause(app, ada["id"], _link(app, ada["id"]))
    assert _rows(app) == [] and receiver.received == []


def test_a_rolled_back_change_records_no_event(app, ada, receiver):
    add_endpoint(app, ada["id"], receiver.url())
    link_id = _link(app, ada["id"])
    with app.app_context():
        assert services.link_paused(db.session, ada["id"], link_id) == 1
        db.session.rollback()
    assert _rows(app) == [] and receiver.received == []


def test_retries_back_off_exponentially_until_the_server_answers(app, ada):
    server = Receiver(statuses=[500, 503])
    try:
        add_endpoint(app, ada["id"], server.url())
        _pause(app, ada["id"], _link(app, ada["id"]))
        [row] = _rows(app)
        assert (row.status, row.attempts, row.response_code) == ("pending", 1, 500)
        assert len(row.response_body) == 300  # the 5000-byte answer cut to WEBHOOK_RESPONSE_MAX
        first_wait = row.next_attempt_at - row.last_attempt_at
        assert first_wait == timedelta(seconds=30)
        with app.app_context():
            assert services.deliver(row.id, row.next_attempt_at - timedelta(seconds=1)) == "skipped"  # not due
            assert services.deliver(row.id, row.next_attempt_at) == "retry"
        [row] = _rows(app)
        assert (row.attempts, row.response_code) == (2, 503)
        assert row.next_attempt_at - row.last_attempt_at == timedelta(seconds=60)  # doubled
        with app.app_context():
            assert services.deliver(row.id, row.next_attempt_at) == "delivered"
        [row] = _rows(app)
        assert (row.status, row.attempts, row.response_code, row.last_error) == ("delivered", 3, 204, None)
        ids = {headers["webhook-id"] for _, headers, _ in server.received}
        assert len(server.received) == 3 and ids == {row.message_id}  # the same webhook-id on every attempt
        assert _endpoint(app, row.endpoint_id).failing_since is None  # a success ends the failing streak
    finally:
        server.stop()


@pytest.mark.config(WEBHOOK_MAX_ATTEMPTS=2, **LOOPBACK)
def test_a_delivery_fails_for_good_after_its_attempts(app, ada):
    server = Receiver(statuses=[500] * 5)
    try:
        add_endpoint(app, ada["id"], server.url())
        _pause(app, ada["id"], _link(app, ada["id"]))
        [row] = _rows(app)
        with app.app_context():
            assert services.deliver(row.id, row.next_attempt_at) == "failed"
            assert services.deliver(row.id, row.next_attempt_at + timedelta(days=1)) == "skipped"
        [row] = _rows(app)
        assert (row.status, row.attempts) == ("failed", 2) and len(server.received) == 2
    finally:
        server.stop()


def test_an_endpoint_failing_for_days_is_disabled_and_its_owner_mailed_once(app, ada):
    server = Receiver(statuses=[500] * 10)
    try:
        endpoint_id, _ = add_endpoint(app, ada["id"], server.url())
        link_id = _link(app, ada["id"])
        start = utcnow()
        _pause(app, ada["id"], link_id)
        first = _endpoint(app, endpoint_id).failing_since
        assert first is not None and first - start < timedelta(seconds=5)
        [row] = _rows(app)
        with app.app_context():
            # Still failing 2 days later: not yet.
            assert services.deliver(row.id, first + timedelta(days=2)) == "retry"
            assert _endpoint(app, endpoint_id).active
            assert _mails(app) == []
            # 3 days after the first failure, with no success in between: disabled, owner told.
            later = first + timedelta(days=3, seconds=1)
            assert services.deliver(row.id, later) == "retry"
        endpoint = _endpoint(app, endpoint_id)
        assert (endpoint.active, endpoint.disabled_at) == (False, later)
        sent = [m for m in _mails(app) if "disabled" in m["Subject"]]
        assert len(sent) == 1 and sent[0]["To"] == "ada@example.com"
        text = sent[0].get_content()
        assert server.url() in text and f"/settings/webhooks/{endpoint_id}" in text
        # Disabled: no new event is recorded, and a pending delivery is not sent.
        with app.app_context():
            assert services.deliver(row.id, later + timedelta(days=1)) == "failed"
        assert len(server.received) == 3
        # Enabled again: the failure window starts afresh.
        with app.app_context():
            services.update_endpoint(db.session.get(User, ada["id"]), endpoint_id, utcnow(), active=True)
        endpoint = _endpoint(app, endpoint_id)
        assert endpoint.active and endpoint.failing_since is None and endpoint.disabled_at is None
    finally:
        server.stop()


def _mails(app):
    """The mails the memory backend sent (parsed), in order."""
    return app.extensions.setdefault("oneclick.outbox", [])


def test_send_test_event_and_redeliver_reach_the_endpoint(app, ada, receiver):
    endpoint_id, secret = add_endpoint(app, ada["id"], receiver.url(), events=["request.created"])
    with app.app_context():
        me = db.session.get(User, ada["id"])
        sent = services.send_test(me, endpoint_id, utcnow())
        message_id = sent.message_id
    [(_, headers, body)] = receiver.received
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "webhook.test" and payload["data"]["endpoint_id"] == endpoint_id
    [row] = _rows(app)
    with app.app_context():
        again = services.redeliver(db.session.get(User, ada["id"]), endpoint_id, row.id, utcnow())
    assert again is not None and len(receiver.received) == 2
    _, headers2, body2 = receiver.received[1]
    assert headers2["webhook-id"] == message_id and body2 == body  # same id, same signed body
    Webhook(secret).verify(body2, headers2)
    [row] = _rows(app)
    assert (row.status, row.attempts) == ("delivered", 1)


def test_a_rotated_secret_signs_the_next_delivery(app, ada, receiver):
    endpoint_id, old = add_endpoint(app, ada["id"], receiver.url())
    with app.app_context():
        new = services.rotate_secret(db.session.get(User, ada["id"]), endpoint_id)
        stored = db.session.get(WebhookEndpoint, endpoint_id).secret
    assert new != old and new.startswith("whsec_") and new not in stored and "whsec_" not in stored
    _pause(app, ada["id"], _link(app, ada["id"]))
    [(_, headers, body)] = receiver.received
    Webhook(new).verify(body, headers)
    with pytest.raises(Exception, match="signature"):
        Webhook(old).verify(body, headers)


def test_redirects_are_not_followed(app, ada):
    target = Receiver()
    server = Receiver(statuses=[302], redirect_to=target.url("/elsewhere"))
    try:
        add_endpoint(app, ada["id"], server.url())
        _pause(app, ada["id"], _link(app, ada["id"]))
        [row] = _rows(app)
        assert (row.status, row.response_code) == ("pending", 302)
        assert target.received == []
    finally:
        server.stop()
        target.stop()


def test_delivery_refuses_a_destination_that_became_loopback(app, ada, receiver):
    """Registered while allowed (as a public host would be), then checked again at delivery: refused there too."""
    add_endpoint(app, ada["id"], receiver.url(host="localhost"))
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    _pause(app, ada["id"], _link(app, ada["id"]))
    [row] = _rows(app)
    assert row.status == "pending" and row.response_code is None
    assert "loopback" in row.last_error and receiver.received == []


def test_delivery_refuses_http_once_it_is_not_allowed(app, ada, receiver):
    add_endpoint(app, ada["id"], receiver.url())
    app.config["WEBHOOK_ALLOW_HTTP"] = False
    _pause(app, ada["id"], _link(app, ada["id"]))
    [row] = _rows(app)
    assert row.status == "failed" and "https" in row.last_error and receiver.received == []


def test_two_claims_of_one_row_deliver_it_once(app, ada, receiver):
    add_endpoint(app, ada["id"], receiver.url())
    link_id = _link(app, ada["id"])
    with app.app_context():
        services.link_paused(db.session, ada["id"], link_id)
        db.session.info.pop(enqueue.PENDING)  # as if the enqueue was lost: the sweeper finds it
        db.session.commit()
        [row] = _rows(app)
        assert services.due_ids(utcnow()) == [row.id]
        outcomes = [services.deliver(row.id), services.deliver(row.id)]
    assert sorted(outcomes) == ["delivered", "skipped"] and len(receiver.received) == 1
    assert json.loads(receiver.received[0][2])["type"] == "link.paused"


@pytest.mark.parametrize(("url", "reason"), [
    ("https://127.0.0.1/h", "loopback"), ("https://10.20.30.40/h", "private"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"), ("https://[::1]/h", "loopback"),
    ("https://localhost/h", "loopback"), ("https://[::ffff:10.0.0.1]/h", "private"),
])
@pytest.mark.config(WEBHOOK_ALLOW_HTTP=True)
def test_every_blocked_destination_is_refused_at_delivery_too(app, ada, url, reason):
    """An endpoint row whose host is (or now resolves to) a blocked address: checked before the connection, so
    nothing is ever sent there."""
    from oneclick.webhooks import crypto

    with app.app_context():
        endpoint = WebhookEndpoint(owner_id=ada["id"], url=url, events="link.paused", active=True,
                                   secret=crypto.encrypt("whsec_QUJD"), created_at=utcnow())
        db.session.add(endpoint)
        db.session.commit()
    _pause(app, ada["id"], _link(app, ada["id"]))
    [row] = _rows(app)
    assert (row.status, row.attempts, row.response_code) == ("pending", 1, None)
    assert row.last_error.startswith("Refused destination") and reason in row.last_error


@pytest.mark.config(WEBHOOK_TIMEOUT_SECONDS=0.3, **LOOPBACK)
def test_a_slow_endpoint_times_out_and_is_retried(app, ada):
    server = Receiver(delay=1.5)
    try:
        add_endpoint(app, ada["id"], server.url())
        _pause(app, ada["id"], _link(app, ada["id"]))
        [row] = _rows(app)
        assert (row.status, row.response_code) == ("pending", None) and "timed out" in row.last_error
    finally:
        server.stop()
