"""What recording a webhook costs on the request path: a member's request POST to an owner without endpoints vs.
one with an endpoint subscribed to ``request.created``, ratio in one run.

Every POST is a signed-in member pressing the one-button request form on a different owner's link (a new request
each time; owners' mail notifications off, so only webhooks differ), through the Flask test client in-process:

- ``no endpoint``: the baseline: ``emit`` runs one indexed SELECT of the owner's endpoints and finds none;
- ``endpoint, SQLite queue``: one ``webhook_deliveries`` row in the request's transaction and, after the commit, one
  Huey enqueue into the embedded SQLite queue (no consumer runs: the delivery itself never touches the request);
- ``endpoint, Redis queue``: the same, enqueued into Redis.

Samples rotate through the modes, so machine load hits them alike; medians after a warm-up.

    .venv/bin/python bench/bench_webhook_emit.py
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_webhook_emit.py
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_enqueue import CSRF_RE, REDIS_URL, make_app, signed_in  # noqa: E402
from bench.common import database, env_int, now_stamp, report, tempdir  # noqa: E402

MODES = ["no endpoint", "endpoint, SQLite queue", "endpoint, Redis queue"]


def seed(app, owners: int) -> list[tuple[str, str]]:
    from oneclick.auth.services import create_user
    from oneclick.clock import utcnow
    from oneclick.extensions import db
    from oneclick.models import WebhookEndpoint
    from oneclick.webhooks import crypto
    from tests.factories import make_invite_link

    with app.app_context():
        db.create_all()
        create_user("member@example.com", "Bench Member", "a bench password")
        secret = crypto.encrypt(crypto.new_secret())
        pairs = []
        for n in range(owners):
            mode = MODES[n % len(MODES)]
            owner = create_user(f"owner{n}@example.com", f"Owner {n}", "a bench password")
            owner.notify_mode = "off"
            if mode != "no endpoint":
                db.session.add(WebhookEndpoint(owner_id=owner.id, url="https://93.184.215.14/hook",
                                               events="request.created", secret=secret, active=True,
                                               created_at=utcnow()))
            db.session.commit()
            _, token = make_invite_link(owner, label="Bench")
            pairs.append((mode, token))
        db.session.remove()
        return pairs


def main() -> None:
    runs = env_int("BENCH_RUNS", 200)
    from oneclick import tasks

    tmp = tempdir("oneclick-bench-webhooks-")
    url, drop = database(tmp)
    apps = {
        "no endpoint": make_app(url, tmp, QUEUE_URL=f"sqlite:///{tmp / 'queue.sqlite3'}"),
        "endpoint, SQLite queue": make_app(url, tmp, QUEUE_URL=f"sqlite:///{tmp / 'queue.sqlite3'}"),
        "endpoint, Redis queue": make_app(url, tmp, QUEUE_URL=REDIS_URL, QUEUE_NAME=f"bench-{uuid.uuid4().hex[:8]}"),
    }
    queues = {}
    for mode, app in apps.items():
        tasks.init_app(app)
        queues[mode] = (tasks.huey.storage, tasks.huey.immediate)
    warm = max(5, runs // 10)
    pairs = seed(apps["no endpoint"], (runs + warm) * len(MODES))
    clients = {mode: signed_in(app) for mode, app in apps.items()}
    csrf = {mode: CSRF_RE.search(c.get("/settings").get_data(as_text=True)).group(1) for mode, c in clients.items()}
    samples: dict[str, list[float]] = {mode: [] for mode in MODES}
    for i, (mode, token) in enumerate(pairs):
        tasks.huey.storage, tasks.huey.immediate = queues[mode]
        t0 = time.perf_counter()
        response = clients[mode].post(f"/c/{token}/request", data={"csrf_token": csrf[mode]})
        elapsed = (time.perf_counter() - t0) * 1000
        assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
        if i >= warm * len(MODES):
            samples[mode].append(elapsed)
    queued = queues["endpoint, Redis queue"][0].queue_size() + queues["endpoint, SQLite queue"][0].queue_size()
    for storage, _ in queues.values():
        storage.flush_all()
    from oneclick.clicks import flush_all

    flush_all()
    drop()
    base = statistics.median(samples["no endpoint"])
    rows = [("date", now_stamp()), ("database", "PostgreSQL" if "postgresql" in url else "SQLite (WAL)"),
            ("POSTs per mode", str(len(samples["no endpoint"])))]
    for mode in MODES:
        median = statistics.median(samples[mode])
        rows.append((f"member request, {mode}", f"{median:.2f} ms  (x{median / base:.2f})"))
    rows.append(("webhook deliveries enqueued", str(queued)))
    report(rows)


if __name__ == "__main__":
    main()
