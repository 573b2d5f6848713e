"""The requests inbox for an owner with 100 and an owner with 100,000 requests: page time and ratio (target <= 1.5).

Both owners live in the same database (so the big owner's rows are also in the small owner's table and
indexes): 80% pending, 10% accepted, 10% declined, over 5 links each, bulk-inserted with executemany. Each
page is the full request through the app (session, login, nav badge, tab count, keyset query, template)
via the Flask test client. Samples alternate between the two owners, so noise from other processes hits
both alike; the time is the median after a warm-up. Also timed: the second page (keyset cursor), a link
filter and the accepted tab.

    .venv/bin/python bench/bench_inbox.py                  # SQLite file in a temp dir
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_inbox.py
    BENCH_RUNS=400 BENCH_BIG=100000 ...
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import database, env_int, now_stamp, report, tempdir  # noqa: E402

SMALL = 100
CHUNK = 10_000
NEXT_RE = re.compile(r'href="([^"]+)" rel="next"')


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
    })


def seed_owner(app, email: str) -> tuple[int, list[int], list[str]]:
    """Create an owner with five links; return (owner id, link ids, link public ids)."""
    from oneclick.auth.services import create_user
    from oneclick.extensions import db
    from oneclick.models import InviteLink

    with app.app_context():
        db.create_all()
        owner = create_user(email, "Bench Owner", "a bench password")
        links = [InviteLink(owner_id=owner.id, label=f"Link {i}") for i in range(5)]
        db.session.add_all(links)
        db.session.commit()
        return owner.id, [link.id for link in links], [link.public_id for link in links]


def fill(app, owner_id: int, link_ids: list[int], start: int, stop: int) -> None:
    """Bulk-insert the owner's requests number ``start`` .. ``stop - 1`` (executemany in chunks), then ANALYZE."""
    from oneclick.clock import utcnow
    from oneclick.extensions import db
    from oneclick.models import ConnectionRequest

    base = utcnow() - timedelta(days=400)
    table = ConnectionRequest.__table__
    with app.app_context():
        for first in range(start, stop, CHUNK):
            rows = []
            for n in range(first, min(first + CHUNK, stop)):
                status = "pending" if n % 10 < 8 else ("accepted" if n % 10 == 8 else "declined")
                created = base + timedelta(seconds=n * 300)
                rows.append({
                    "owner_id": owner_id, "link_id": link_ids[n % len(link_ids)], "requester_id": None,
                    "requester_email": f"visitor{n}.{owner_id}@example.org", "name": f"Visitor {n}",
                    "note": "We met at the conference." if n % 3 else "", "status": status, "created_at": created,
                    "decided_at": None if status == "pending" else created + timedelta(hours=1),
                })
            db.session.execute(table.insert(), rows)
            db.session.commit()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def login(client, email: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": "a bench password"})
    assert response.status_code == 302, response.status_code


def _get(client, path: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    response = client.get(path)
    body = response.get_data(as_text=True)
    elapsed = (time.perf_counter() - t0) * 1000
    assert response.status_code == 200, (path, response.status_code)
    return elapsed, body


def paired(small: tuple, big: tuple, runs: int) -> tuple[float, float, int, int]:
    """Time GET path for two (client, path) pairs, alternating; return medians (ms) and rows shown."""
    for _ in range(max(10, runs // 10)):
        _get(*small)
        _get(*big)
    a, b = [], []
    for i in range(runs):
        first, second = (small, big) if i % 2 == 0 else (big, small)
        t1, _ = _get(*first)
        t2, _ = _get(*second)
        (a if first is small else b).append(t1)
        (b if first is small else a).append(t2)
    rows_small = _get(*small)[1].count("<tr id=\"request-")
    rows_big = _get(*big)[1].count("<tr id=\"request-")
    return statistics.median(a), statistics.median(b), rows_small, rows_big


def next_page(client) -> str:
    body = _get(client, "/requests")[1]
    return NEXT_RE.search(body).group(1).replace("&amp;", "&")


def main() -> None:
    runs = env_int("BENCH_RUNS", 200)
    big = env_int("BENCH_BIG", 100_000)
    tmp = tempdir("oneclick-bench-inbox-")
    url, drop = database(tmp)
    (tmp / "instance").mkdir(exist_ok=True)
    results = {}
    try:
        app = make_app(url, tmp / "instance")
        small_id, small_links, small_public = seed_owner(app, "small@example.com")
        big_id, big_links, big_public = seed_owner(app, "big@example.com")
        fill(app, small_id, small_links, 0, SMALL)
        t0 = time.perf_counter()
        fill(app, big_id, big_links, 0, big)
        load_s = time.perf_counter() - t0
        small_client, big_client = app.test_client(), app.test_client()
        login(small_client, "small@example.com")
        login(big_client, "big@example.com")
        pages = {
            "inbox, pending, first page": ("/requests", "/requests"),
            "inbox, pending, page 2 (cursor)": (next_page(small_client), next_page(big_client)),
            "inbox, filtered by link": (f"/requests?link={small_public[1]}", f"/requests?link={big_public[1]}"),
            "inbox, accepted tab": ("/requests?status=accepted", "/requests?status=accepted"),
        }
        for label, (small_path, big_path) in pages.items():
            results[label] = paired((small_client, small_path), (big_client, big_path), runs)
        with app.app_context():
            from oneclick.extensions import db

            db.engine.dispose()
    finally:
        drop()

    first_small, first_big, _, _ = results["inbox, pending, first page"]
    ratio = first_big / first_small
    db_name = "PostgreSQL" if url.startswith("postgresql") else "SQLite (WAL)"
    rows = [
        ("when", now_stamp()),
        ("database", db_name),
        ("method", f"Flask test client in-process; {runs} GETs per owner, alternating; median after warm-up"),
        ("bulk insert", f"{big} rows in {load_s:.1f} s (executemany, {CHUNK} per chunk)"),
    ]
    for label, (t_small, t_big, n_small, n_big) in results.items():
        rows.append((label, f"{t_small:6.2f} ms at {SMALL} ({n_small} rows shown)  "
                            f"{t_big:6.2f} ms at {big} ({n_big} rows shown)  ratio {t_big / t_small:.2f}"))
    rows.append(("RATIO (first page)", f"{ratio:.2f}  (target <= 1.5: {'met' if ratio <= 1.5 else 'MISSED'})"))
    report(rows)
    if ratio > 1.5:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
