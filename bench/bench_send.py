"""Sending an invitation with 1,000 and with 1,000,000 invitations in the table: send time and ratio (<= 1.5).

A send locks the sender's counter row, counts their last 24 hours through the (sender_id, created_at) index
(stopping at the captcha threshold), checks connections and earlier invitations to that address through
indexes, inserts the invitation and bumps the counter. None of it scans history, so the time should not grow.

Two databases are built: one with 1,000 invitations (500 of them the sender's), one with 1,000,000 (100,000 of
them the sender's, the rest from 1,000 other members); all history is older than a day. Sends then alternate
between the two (ABBA order), so whatever else the machine is doing slows both alike. Timed: the service call
(``send_invitation``, mail to the memory outbox) and the full POST of the invite-by-email form through the
Flask test client; medians after a warm-up.

    .venv/bin/python bench/bench_send.py                  # SQLite file in a temp dir
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_send.py
    BENCH_RUNS=300 BENCH_BIG=1000000 ...
"""

from __future__ import annotations

import itertools
import os
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import database, env_int, now_stamp, report, tempdir  # noqa: E402

SMALL = 1_000
CHUNK = 10_000
OTHERS = 1_000
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_addresses = itertools.count()


def make_app(url: str, instance: Path):
    os.environ["ONECLICK_INSTANCE_PATH"] = str(instance)
    from oneclick import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "bench-secret-key-that-is-long-enough",
        "PUBLIC_URL": "http://oneclick.bench",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "MAIL_BACKEND": "memory",
        # Room for every timed send: no captcha, no exhausted allotment (the decision still runs in full).
        "INVITE_ALLOTMENT": 10_000_000,
        "CAPTCHA_AFTER_PER_DAY": 100_000,
    })


def seed_members(app) -> tuple[int, list[int]]:
    """Create the sender and the other members; return (sender id, other ids)."""
    from oneclick.auth.services import create_user, hash_password
    from oneclick.clock import utcnow
    from oneclick.extensions import db
    from oneclick.models import User, new_public_id, new_session_token

    with app.app_context():
        db.create_all()
        sender = create_user("sender@example.com", "Bench Sender", "a bench password")
        password = hash_password("a bench password")
        rows = [{"public_id": new_public_id(), "email": f"member{n}@example.com", "name": f"Member {n}",
                 "password_hash": password, "session_token": new_session_token(), "is_admin": False,
                 "created_at": utcnow(), "email_verified_at": utcnow()} for n in range(OTHERS)]
        db.session.execute(User.__table__.insert(), rows)
        db.session.commit()
        others = db.session.scalars(db.select(User.id).where(User.id != sender.id)).all()
        return sender.id, list(others)


def fill(app, sender_id: int, others: list[int], start: int, stop: int, own_share: int) -> None:
    """Insert invitations ``start`` .. ``stop - 1``: every ``own_share``-th is the sender's; all older than a day."""
    from oneclick.clock import utcnow
    from oneclick.extensions import db
    from oneclick.models import Invitation, new_public_id

    base = utcnow() - timedelta(days=400)
    table = Invitation.__table__
    statuses = ["pending", "accepted", "ignored", "declined", "withdrawn"]
    with app.app_context():
        for first in range(start, stop, CHUNK):
            rows = []
            for n in range(first, min(first + CHUNK, stop)):
                own = n % own_share == 0
                status = statuses[n % 5]
                rows.append({
                    "public_id": new_public_id(),
                    "sender_id": sender_id if own else others[n % len(others)],
                    "recipient_id": None, "recipient_email": f"history{n}@example.org",
                    "recipient_name": f"History {n}", "how_known": "colleague", "message": "Hello",
                    "status": status, "decline_kind": "idk" if status == "declined" else None,
                    "created_at": base + timedelta(seconds=n * 30), "deleted_by_sender": False,
                })
            db.session.execute(table.insert(), rows)
            db.session.commit()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def sender_of(app) -> int:
    from sqlalchemy import select

    from oneclick.extensions import db
    from oneclick.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == "sender@example.com"))


def one_send(app, sender_id: int) -> float:
    """Send one invitation through the service to a fresh address; return milliseconds."""
    from oneclick.clock import utcnow
    from oneclick.extensions import db
    from oneclick.invitations.services import send_invitation
    from oneclick.models import User

    with app.test_request_context():
        sender = db.session.get(User, sender_id)
        email = f"fresh{next(_addresses)}@example.org"
        t0 = time.perf_counter()
        result = send_invitation(sender, utcnow(), email=email, how_known="colleague", message="Hello there")
        elapsed = (time.perf_counter() - t0) * 1000
        assert result.invitation is not None, result.decision
        db.session.remove()
    return elapsed


def one_post(client, token: str) -> float:
    """POST the invite-by-email form once to a fresh address; return milliseconds."""
    data = {"csrf_token": token, "email": f"fresh{next(_addresses)}@example.org", "how_known": "friend",
            "message": "We met at the meetup."}
    t0 = time.perf_counter()
    response = client.post("/invitations/invite-by-email", data=data)
    elapsed = (time.perf_counter() - t0) * 1000
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return elapsed


def interleaved(measure_small, measure_large, runs: int) -> tuple[float, float]:
    """Alternate the two databases send by send (ABBA order), so machine noise hits both alike; medians."""
    for _ in range(max(5, runs // 10)):
        measure_small()
        measure_large()
    small, large = [], []
    for i in range(runs):
        if i % 2:
            large.append(measure_large())
            small.append(measure_small())
        else:
            small.append(measure_small())
            large.append(measure_large())
    return statistics.median(small), statistics.median(large)


def login(client) -> None:
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": "sender@example.com",
                                           "password": "a bench password"})
    assert response.status_code == 302, response.status_code


def sender_rows(app, sender_id: int) -> int:
    from sqlalchemy import func, select

    from oneclick.extensions import db
    from oneclick.models import Invitation

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Invitation).where(Invitation.sender_id == sender_id))


def table_rows(app) -> int:
    from sqlalchemy import func, select

    from oneclick.extensions import db
    from oneclick.models import Invitation

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Invitation))


def build(url: str, instance: Path, rows: int, own_share: int):
    """Return an app on ``url`` filled with ``rows`` invitations, and the bulk-insert time."""
    instance.mkdir(exist_ok=True)
    app = make_app(url, instance)
    sender_id, others = seed_members(app)
    t0 = time.perf_counter()
    fill(app, sender_id, others, 0, rows, own_share)
    return app, sender_id, time.perf_counter() - t0


def main() -> None:
    runs = env_int("BENCH_RUNS", 200)
    big = env_int("BENCH_BIG", 1_000_000)
    tmp_small, tmp_large = tempdir("oneclick-bench-send-small-"), tempdir("oneclick-bench-send-large-")
    url_small, drop_small = database(tmp_small)
    url_large, drop_large = database(tmp_large)
    try:
        small_app, small_sender, _ = build(url_small, tmp_small / "instance", SMALL, own_share=2)
        large_app, large_sender, load_s = build(url_large, tmp_large / "instance", big, own_share=10)
        counts = {"small": (table_rows(small_app), sender_rows(small_app, small_sender)),
                  "large": (table_rows(large_app), sender_rows(large_app, large_sender))}

        service = interleaved(lambda: one_send(small_app, small_sender), lambda: one_send(large_app, large_sender),
                              runs)
        clients = {}
        for name, app in (("small", small_app), ("large", large_app)):
            client = app.test_client()
            login(client)
            clients[name] = (client, CSRF_RE.search(client.get("/invitations/invite-by-email")
                                                    .get_data(as_text=True)).group(1))
        post = interleaved(lambda: one_post(*clients["small"]), lambda: one_post(*clients["large"]), runs)
        for app in (small_app, large_app):
            with app.app_context():
                from oneclick.extensions import db

                db.engine.dispose()
    finally:
        drop_small()
        drop_large()

    ratio = service[1] / service[0]
    db_name = "PostgreSQL" if url_small.startswith("postgresql") else "SQLite (WAL)"
    rows = [
        ("when", now_stamp()),
        ("database", db_name),
        ("method", f"in-process, two databases measured alternately (ABBA), median of {runs} sends each "
                   "to fresh addresses after warm-up"),
        ("table", f"{counts['small'][0]} rows ({counts['small'][1]} the sender's)  vs  {counts['large'][0]} rows "
                  f"({counts['large'][1]} the sender's)"),
        ("bulk insert", f"{big} rows in {load_s:.1f} s (executemany, {CHUNK} per chunk)"),
        ("send_invitation()", f"{service[0]:6.2f} ms at {SMALL}  {service[1]:6.2f} ms at {big}  ratio {ratio:.2f}"),
        ("POST /invitations/invite-by-email", f"{post[0]:6.2f} ms at {SMALL}  {post[1]:6.2f} ms at {big}  "
                                              f"ratio {post[1] / post[0]:.2f}"),
        ("RATIO (send)", f"{ratio:.2f}  (target <= 1.5: {'met' if ratio <= 1.5 else 'MISSED'})"),
    ]
    report(rows)
    if ratio > 1.5:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
