"""Webhooks through real queue consumers (``python -m oneclick.consumer``) on Redis and on the SQLite queue: the
event is written with its change, delivered after the commit, retried with back-off by the consumer's scheduler,
signed with the endpoint's secret; a second consumer never delivers the same row twice."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.links import services as links
from oneclick.models import User, WebhookDelivery
from oneclick.webhooks import services

from ..concurrency.harness import AppServer
from ..conftest import REDIS_URL
from ..factories import make_api_token, make_invite_link, make_user
from ..webhooks.conftest import Receiver
from .conftest import wait_for

CONSUMER = {"TESTING": "true", "WEBHOOK_ALLOW_HTTP": "true", "WEBHOOK_ALLOW_PRIVATE": "true",
            "WEBHOOK_RETRY_BASE_SECONDS": 1, "WEBHOOK_RETRY_MAX_SECONDS": 2}
N = 20


def _statuses(app) -> list[tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(select(WebhookDelivery.status, WebhookDelivery.attempts)
                                  .order_by(WebhookDelivery.id)).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def test_consumers_deliver_each_webhook_once_retrying_a_failing_endpoint(queued_app, consumers):
    app = queued_app
    app.config.update(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOW_PRIVATE=True)
    server = Receiver(statuses=[500])  # the first attempt fails; the consumer retries after its back-off
    try:
        with app.app_context():
            ada = make_user(email="ada@example.com", name="Ada")
            secret = services.create_endpoint(ada, server.url(), ["link.paused"], utcnow()).secret
            link_ids = [make_invite_link(ada, label=f"Link {n}")[0].id for n in range(5)]
            ada_id = ada.id
        consumers.start(**CONSUMER)
        consumers.start(**CONSUMER)  # two consumers on one queue: each row still delivered once
        for link_id in link_ids:
            with app.app_context():
                assert links.set_active(db.session.get(User, ada_id), link_id, False)
        wait_for(lambda: _statuses(app).count(("delivered", 1)) == 4 and ("delivered", 2) in _statuses(app),
                 timeout=30, what="every webhook delivered", logs=consumers.logs)
        ids = [h["webhook-id"] for _, h, _ in server.received]
        assert len(ids) == 6 and len(set(ids)) == 5  # one retry of the failed one, nothing else twice
        labels = sorted(Webhook(secret).verify(b, h)["data"]["link"]["label"] for _, h, b in server.received)
        assert sorted(set(labels)) == [f"Link {n}" for n in range(5)]
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("queued_app", ["redis"], indirect=True)
def test_two_servers_two_consumers_one_killed_every_webhook_arrives_once(queued_app, consumers, queue_settings,
                                                                         tmp_path):
    """Done-when of issue 14 for webhooks: events made through two gunicorn servers, delivered by two consumers on
    one Redis while one is SIGKILLed mid-burst: every event arrives, each under its one webhook-id."""
    app = queued_app
    app.config.update(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOW_PRIVATE=True)
    receiver = Receiver(delay=0.2)
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada")
        secret = services.create_endpoint(ada, receiver.url(), ["link.paused"], utcnow()).secret
        link_ids = [make_invite_link(ada, label=f"Link {n}")[0].id for n in range(N)]
        token = make_api_token(ada)
    settings = {**queue_settings, **CONSUMER, "QUEUE_CONSUMER": "off", "RATELIMIT_ENABLED": "false",
                "RATELIMIT_STORAGE_URI": REDIS_URL, "WEBHOOK_CLAIM_SECONDS": 3}
    servers = [AppServer(settings, workers=2, log_path=tmp_path / f"gunicorn-{n}.log") for n in (1, 2)]
    try:
        for server in servers:
            server.start()
        doomed = consumers.start(**CONSUMER, WEBHOOK_CLAIM_SECONDS=3)
        consumers.start(**CONSUMER, WEBHOOK_CLAIM_SECONDS=3)
        answers: list[int] = []

        def pause(i: int) -> None:
            req = urllib.request.Request(f"{servers[i % 2].url}/api/v1/links/{link_ids[i]}", method="PATCH",
                                         data=json.dumps({"active": False}).encode(),
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310 - our loopback server
                answers.append(response.status)

        threads = [threading.Thread(target=pause, args=(i,)) for i in range(N)]
        for n, thread in enumerate(threads):
            thread.start()
            if n == N // 2:
                wait_for(lambda: len(receiver.received) >= 3, what="deliveries under way", logs=consumers.logs)
                doomed.kill()  # SIGKILL mid-burst, most likely mid-delivery
        for thread in threads:
            thread.join(60)
        assert answers == [200] * N

        def all_delivered() -> bool:
            with app.app_context():
                services.sweep(utcnow())  # the periodic sweeper's job: it hands over the dead consumer's rows
            return [s for s, _ in _statuses(app)] == ["delivered"] * N

        wait_for(all_delivered, timeout=90, what="every webhook delivered", logs=consumers.logs)
        time.sleep(1)
        with app.app_context():
            expected = set(db.session.scalars(select(WebhookDelivery.message_id)))
        with receiver.lock:
            got = [(h["webhook-id"], Webhook(secret).verify(b, h)) for _, h, b in receiver.received]
        assert {i for i, _ in got} == expected and len(expected) == N  # nothing lost
        assert sorted({e["data"]["link"]["id"] for _, e in got}) == sorted(link_ids)
        # Once from the receiver's point of view: a second copy only comes from the killed consumer's in-flight
        # delivery, and it carries the same webhook-id (the receiver's idempotency key).
        assert len(got) - N <= 2, f"{len(got) - N} second copies"
    finally:
        for server in servers:
            server.stop()
        receiver.stop()
