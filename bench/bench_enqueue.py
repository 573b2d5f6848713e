"""What queueing a mail costs on the request path: a member's request POST with and without a mail, ratio in one run.

Every POST is a signed-in member pressing the one-button request form on a different owner's link (a new
request each time), through the Flask test client in-process. What differs is what the request does with mail:

- ``no mail``: the owner's notifications are off (the baseline: the same request, no mail at all);
- ``queued, SQLite``: the owner is notified at once: one ``mail_outbox`` row in the request's transaction and,
  after the commit, one Huey enqueue into the embedded SQLite queue (no consumer runs: only the enqueue is timed);
- ``queued, Redis``: the same, enqueued into Redis (the deployment at scale);
- ``sent inline, SMTP``: the row, then delivery inside the request to a loopback SMTP server (QUEUE_URL=immediate):
  what a visitor waited for before the queue, with the fastest possible mail server.

Samples rotate through the four modes, so machine load hits them alike; medians after a warm-up.

    .venv/bin/python bench/bench_enqueue.py
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_enqueue.py
    BENCH_RUNS=300 ...
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import database, env_int, now_stamp, report, tempdir  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
MODES = ["no mail", "queued, SQLite", "queued, Redis", "sent inline, SMTP"]


def make_app(url: str, instance: Path, **extra):
    os.environ["ONECLICK_INSTANCE_PATH"] = str(instance)
    from oneclick import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "bench-secret-key-that-is-long-enough",
        "PUBLIC_URL": "http://oneclick.bench",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "REQUEST_DAILY_CAP_PER_LINK": 1_000_000,
        **extra,
    })


def seed(app, owners: int) -> list[tuple[str, str]]:
    """Create the requesting member and ``owners`` owners with one link each; return (mode, link token) pairs,
    every mode's owners in turn ("no mail" owners have notifications off, the others instant)."""
    from oneclick.auth.services import create_user
    from oneclick.extensions import db
    from tests.factories import make_invite_link

    with app.app_context():
        db.create_all()
        create_user("member@example.com", "Bench Member", "a bench password")
        pairs = []
        for n in range(owners):
            mode = MODES[n % len(MODES)]
            owner = create_user(f"owner{n}@example.com", f"Owner {n}", "a bench password")
            owner.notify_mode = "off" if mode == "no mail" else "instant"
            db.session.commit()
            _, token = make_invite_link(owner, label="Bench")
            pairs.append((mode, token))
        db.session.remove()
        return pairs


def signed_in(app):
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": "member@example.com",
                                           "password": "a bench password"})
    assert response.status_code == 302, response.status_code
    return client


def main() -> None:
    runs = env_int("BENCH_RUNS", 200)
    from oneclick import tasks
    from tests.smtp import smtp_server

    tmp = tempdir("oneclick-bench-enqueue-")
    url, drop = database(tmp)
    with smtp_server() as (controller, handler):
        common = {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port}
        apps = {
            "no mail": make_app(url, tmp, QUEUE_URL=f"sqlite:///{tmp / 'queue.sqlite3'}", **common),
            "queued, SQLite": make_app(url, tmp, QUEUE_URL=f"sqlite:///{tmp / 'queue.sqlite3'}", **common),
            "queued, Redis": make_app(url, tmp, QUEUE_URL=REDIS_URL, QUEUE_NAME=f"bench-{uuid.uuid4().hex[:8]}",
                                      **common),
            "sent inline, SMTP": make_app(url, tmp, QUEUE_URL="immediate", TESTING=True, **common),
        }
        queues = {}
        for mode, app in apps.items():
            tasks.init_app(app)
            queues[mode] = (tasks.huey.storage, tasks.huey.immediate)
        warm = max(5, runs // 10)
        pairs = seed(apps["no mail"], (runs + warm) * len(MODES))
        clients = {mode: signed_in(app) for mode, app in apps.items()}
        csrf = {}
        for mode, client in clients.items():
            csrf[mode] = CSRF_RE.search(client.get("/settings").get_data(as_text=True)).group(1)
        samples: dict[str, list[float]] = {mode: [] for mode in MODES}
        for i, (mode, token) in enumerate(pairs):
            tasks.huey.storage, tasks.huey.immediate = queues[mode]
            client = clients[mode]
            t0 = time.perf_counter()
            response = client.post(f"/c/{token}/request", data={"csrf_token": csrf[mode]})
            elapsed = (time.perf_counter() - t0) * 1000
            assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
            if i >= warm * len(MODES):
                samples[mode].append(elapsed)
        sent_inline = len(handler.messages)
    queued = queues["queued, Redis"][0].queue_size() + queues["queued, SQLite"][0].queue_size()
    for storage, _ in queues.values():
        storage.flush_all()
    from oneclick.clicks import flush_all

    flush_all()  # the requests' clicks, before the database goes
    drop()
    base = statistics.median(samples["no mail"])
    rows = [("date", now_stamp()), ("database", "PostgreSQL" if "postgresql" in url else "SQLite (WAL)"),
            ("POSTs per mode", str(len(samples["no mail"])))]
    for mode in MODES:
        median = statistics.median(samples[mode])
        rows.append((f"member request, {mode}", f"{median:.2f} ms  (x{median / base:.2f})"))
    rows.append(("mails queued / sent inline", f"{queued} / {sent_inline}"))
    report(rows)


if __name__ == "__main__":
    main()
