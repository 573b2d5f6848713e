"""The click path: the landing page /c/<token> against a bare route, on the same gunicorn server.

The landing page resolves the signed token (one SELECT with the owner joined), renders the page with the
request form, and counts the click with one INSERT ... ON CONFLICT DO UPDATE. The bare route
(``bench/benchapp.py``) returns a constant through the same app, middleware and server, so the ratio is
what our work costs. Also measured: the landing page for a bot (no upsert), a cached QR code, and two
references: a static file and the sign-in page (a form page that touches no database).

    .venv/bin/python bench/bench_click.py                  # SQLite file in a temp dir
    .venv/bin/python bench/bench_click.py --in-process     # also: CPU time per request in-process (load-robust)
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_click.py
    BENCH_SECONDS=10 BENCH_CONNECTIONS=16 BENCH_WORKERS=2 ...
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench.common import bench_server, bench_settings, env_int, now_stamp, report, rss_mb, tempdir  # noqa: E402

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
BOT = "curl/8.5.0"
REQUESTS_RE = re.compile(r"(\d+) requests in")
RPS_RE = re.compile(r"Requests/sec:\s+([\d.]+)")


def database(tmp: Path) -> tuple[str, callable]:
    """Return a fresh database URL (SQLite file, or a PostgreSQL schema) and its clean-up."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp / 'bench.sqlite3'}", lambda: None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')

    def drop():
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()

    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}", drop


def seed(settings: dict[str, str]) -> str:
    """Create the schema, an owner and one link; return the link's token."""
    os.environ["ONECLICK_INSTANCE_PATH"] = settings["INSTANCE_PATH"]
    from oneclick import create_app
    from oneclick.auth.services import create_user
    from oneclick.extensions import db
    from oneclick.links import services

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": settings["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": settings["SECRET_KEY"],
        "PUBLIC_URL": settings["PUBLIC_URL"],
        "PASSWORD_HASH_METHOD": settings["PASSWORD_HASH_METHOD"],
    })
    with app.app_context():
        db.create_all()
        owner = create_user("bench@example.com", "Bench Owner", "a bench password")
        link = services.create_link(owner, services.LinkFields(label="Bench", message="Hello from the benchmark."))
        token = services.link_token(link)
        db.engine.dispose()
    return token


def clicks(settings: dict[str, str]) -> int:
    engine = sa.create_engine(settings["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as conn:
        total = conn.exec_driver_sql("SELECT COALESCE(SUM(clicks), 0) FROM link_daily_stats").scalar()
    engine.dispose()
    return int(total)


def run_wrk(url: str, seconds: int, connections: int, user_agent: str = BROWSER,
            headers: dict | None = None) -> tuple[float, int]:
    """Return (requests/s, completed requests) for ``url``; fail on any answer but 2xx/304."""
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-H", f"User-Agent: {user_agent}"]
    for key, value in (headers or {}).items():
        cmd += ["-H", f"{key}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"errors while benchmarking {url}:\n{out}")
    return float(RPS_RE.search(out).group(1)), int(REQUESTS_RE.search(out).group(1))


def etag_of(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own loopback server
        return response.headers["ETag"]


def in_process(settings: dict[str, str], token: str, samples: int = 400) -> list[tuple[str, float]]:
    """Return the median CPU time per request in-process (Flask test client), samples alternating by path.

    CPU time of this process, not wall time, so other load on the machine barely moves it.
    """
    import statistics
    import time

    from oneclick import create_app

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": settings["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": settings["SECRET_KEY"],
        "PUBLIC_URL": settings["PUBLIC_URL"],
        "RATELIMIT_ENABLED": False,
    })

    @app.get("/_bench/bare")
    def bare():
        return "ok"

    client = app.test_client()
    paths = {
        "bare route": ("/_bench/bare", BROWSER),
        "landing page, counted click": (f"/c/{token}", BROWSER),
        "landing page, bot (not counted)": (f"/c/{token}", BOT),
        "QR PNG, cached": (f"/c/{token}/qr.png", BROWSER),
        "sign-in form page, reference": ("/login", BROWSER),
    }
    times: dict[str, list[float]] = {name: [] for name in paths}
    for i in range(samples + 50):
        for name, (path, agent) in paths.items():
            start = time.process_time()
            response = client.get(path, headers={"User-Agent": agent})
            elapsed = time.process_time() - start
            assert response.status_code == 200, (path, response.status_code)
            if i >= 50:
                times[name].append(elapsed)
    return [(name, statistics.median(values) * 1000) for name, values in times.items()]


def main() -> None:
    seconds = env_int("BENCH_SECONDS", 5)
    connections = env_int("BENCH_CONNECTIONS", 8)
    workers = env_int("BENCH_WORKERS", 2)
    tmp = tempdir("oneclick-bench-click-")
    url, drop = database(tmp)
    settings = bench_settings(url, tmp / "instance")
    (tmp / "instance").mkdir(exist_ok=True)
    try:
        token = seed(settings)
        counted = 0  # landing requests with a browser User-Agent: each must become exactly one click
        landing_runs = 0
        with bench_server(settings, workers=workers, log_path=tmp / "gunicorn.log") as server:
            landing = f"{server.url}/c/{token}"
            for path in ("/_bench/bare", f"/c/{token}/qr.png", f"/c/{token}/qr.svg"):  # warm up every worker
                run_wrk(server.url + path, 1, connections)
            counted += run_wrk(landing, 1, connections)[1]
            landing_runs += 1
            bare_before, _ = run_wrk(server.url + "/_bench/bare", seconds, connections)
            page, n = run_wrk(landing, seconds, connections)
            counted += n
            landing_runs += 1
            bot, _ = run_wrk(landing, seconds, connections, user_agent=BOT)
            qr_png, _ = run_wrk(landing + "/qr.png", seconds, connections)
            qr_svg, _ = run_wrk(landing + "/qr.svg", seconds, connections)
            not_modified, _ = run_wrk(landing + "/qr.png", seconds, connections,
                                      headers={"If-None-Match": etag_of(landing + "/qr.png")})
            static, _ = run_wrk(server.url + "/static/css/app.css", seconds, connections)
            login, _ = run_wrk(server.url + "/login", seconds, connections)
            bare_after, _ = run_wrk(server.url + "/_bench/bare", seconds, connections)
            # Memory after well over 10,000 mixed requests (each run above is thousands).
            rss = [rss_mb(pid) for pid in server.worker_pids()]
        # The server stopped cleanly: every tallied click must be in the database now.
        recorded = clicks(settings)
        bare = (bare_before + bare_after) / 2
        db_name = "PostgreSQL" if url.startswith("postgresql") else "SQLite (WAL)"
        report([
            ("when", now_stamp()),
            ("database", db_name),
            ("server", f"gunicorn, {workers} sync workers; wrk -t2 -c{connections} -d{seconds}s"),
            ("CPUs", str(os.cpu_count())),
            ("bare route (mean of before/after)", f"{bare:8.0f} req/s  ({bare_before:.0f} / {bare_after:.0f})"),
            ("landing page, counted click", f"{page:8.0f} req/s  ratio {page / bare:.2f}  (target >= 0.5)"),
            ("landing page, bot (not counted)", f"{bot:8.0f} req/s  ratio {bot / bare:.2f}"),
            ("QR PNG, rendered before", f"{qr_png:8.0f} req/s  ratio {qr_png / bare:.2f}  (target >= 0.8)"),
            ("QR SVG, rendered before", f"{qr_svg:8.0f} req/s  ratio {qr_svg / bare:.2f}  (target >= 0.8)"),
            ("QR PNG, conditional GET -> 304", f"{not_modified:8.0f} req/s  ratio {not_modified / bare:.2f}"
                                               "  (target >= 0.9)"),
            ("static file (app.css), reference", f"{static:8.0f} req/s  ratio {static / bare:.2f}"),
            ("sign-in form page, reference", f"{login:8.0f} req/s  ratio {login / bare:.2f}"),
            ("worker RSS after the runs", ", ".join(f"{mb:.0f} MB" for mb in rss) + "  (target <= 100 MB)"),
            ("clicks recorded / counted requests", f"{recorded} / {counted}"),
        ])
        # wrk stops the clock with up to one request per connection still in flight: those count too.
        if not counted <= recorded <= counted + connections * landing_runs:
            raise SystemExit("click count mismatch: every counted request must be one click")
        if "--in-process" in sys.argv:
            rows = in_process(settings, token)
            base = rows[0][1]
            print("\nin-process, median CPU time per request (alternating samples):")
            report([(name, f"{ms:6.2f} ms  ratio {base / ms:.2f}") for name, ms in rows])
    finally:
        drop()


if __name__ == "__main__":
    main()
