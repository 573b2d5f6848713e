"""The click path (issues 3 and 7): the landing page, QR codes and a 304, each against a bare route.

One gunicorn server of ``bench/benchapp.py`` (the real app plus a bare route returning a constant through the
same app, middleware and server). The landing page resolves the signed token (one query), counts the click
(added to the worker's tally, written in batches), and fills the visitor's CSRF token and start stamp into the
cached fresh-guest page. QR codes rendered before come from the WSGI fast path. Paths run in rounds and every
round's ratios are taken against that round's bare route; the medians (and the spread) are printed. After the
server stops cleanly, the clicks in the database must equal the counted requests.

    .venv/bin/python bench/bench_click.py                  # SQLite file in a temp dir
    .venv/bin/python bench/bench_click.py --in-process     # also: CPU time per request in-process (load-robust)
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_click.py
    BENCH_ROUNDS=5 BENCH_SECONDS=2 BENCH_CONNECTIONS=8 BENCH_WORKERS=2 ...
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench.common import bench_server, bench_settings, database, env_int, now_stamp, report, rss_mb, tempdir  # noqa: E402

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
BOT = "curl/8.5.0"
REQUESTS_RE = re.compile(r"(\d+) requests in")
RPS_RE = re.compile(r"Requests/sec:\s+([\d.]+)")
P99_RE = re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


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
        # Every counted click has its source too (one device row per click).
        devices = conn.exec_driver_sql(
            "SELECT COALESCE(SUM(count), 0) FROM link_source_stats WHERE kind = 'device'").scalar()
        if int(devices) != int(total):
            raise SystemExit(f"source counts ({devices}) differ from clicks ({total})")
    engine.dispose()
    return int(total)


def run_wrk(url: str, seconds: int, connections: int, user_agent: str = BROWSER,
            headers: dict | None = None) -> tuple[float, int, float]:
    """Return (requests/s, completed requests, p99 latency in ms) for ``url``; fail on any answer but 2xx/304."""
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"User-Agent: {user_agent}"]
    for key, value in (headers or {}).items():
        cmd += ["-H", f"{key}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"errors while benchmarking {url}:\n{out}")
    p99 = P99_RE.search(out)
    p99_ms = float(p99.group(1)) * UNIT_MS[p99.group(2)] if p99 else float("nan")
    return float(RPS_RE.search(out).group(1)), int(REQUESTS_RE.search(out).group(1)), p99_ms


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
        "landing page, counted click": (f"/c/{token}?utm_source=newsletter", BROWSER),
        "landing page, bot (not counted)": (f"/c/{token}", BOT),
        "QR PNG, cached": (f"/c/{token}/qr.png", BROWSER),
        "sign-in form page, reference": ("/login", BROWSER),
    }
    times: dict[str, list[float]] = {name: [] for name in paths}
    for i in range(samples + 50):
        for name, (path, agent) in paths.items():
            start = time.process_time()
            response = client.get(path, headers={"User-Agent": agent, "Referer": "https://www.linkedin.com/feed/"})
            elapsed = time.process_time() - start
            assert response.status_code == 200, (path, response.status_code)
            if i >= 50:
                times[name].append(elapsed)
    from oneclick.clicks import flush_all

    flush_all()  # write the in-process clicks now, while the benchmark's database still exists
    return [(name, statistics.median(values) * 1000) for name, values in times.items()]


def main() -> None:
    seconds = env_int("BENCH_SECONDS", 2)
    rounds = env_int("BENCH_ROUNDS", 5)
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
            paths = {  # name: (url, user agent, extra headers); the bare route first in every round
                "bare route": (server.url + "/_bench/bare", BROWSER, None),
                # Counted with its source: a referring host, a utm_source and the device class.
                "landing page, counted click": (landing + "?utm_source=newsletter", BROWSER,
                                                {"Referer": "https://www.linkedin.com/feed/"}),
                "landing page, bot (not counted)": (landing, BOT, None),
                "QR PNG, rendered before": (landing + "/qr.png", BROWSER, None),
                "QR SVG, rendered before": (landing + "/qr.svg", BROWSER, None),
                "QR PNG, conditional GET -> 304": (landing + "/qr.png", BROWSER,
                                                   {"If-None-Match": etag_of(landing + "/qr.png")}),
                "static file (app.css), reference": (server.url + "/static/css/app.css", BROWSER, None),
                "sign-in form page, reference": (server.url + "/login", BROWSER, None),
            }
            # Rounds, each path for a few seconds per round: load from elsewhere on the machine hits every path
            # alike, and each round's ratios are taken against that round's bare route.
            rates: dict[str, list[float]] = {name: [] for name in paths}
            ratios: dict[str, list[float]] = {name: [] for name in paths}
            p99s: dict[str, list[float]] = {name: [] for name in paths}
            for _ in range(rounds):
                for name, (target, agent, headers) in paths.items():
                    rate, n, p99 = run_wrk(target, seconds, connections, user_agent=agent, headers=headers)
                    rates[name].append(rate)
                    p99s[name].append(p99)
                    ratios[name].append(rate / rates["bare route"][-1])
                    if name == "landing page, counted click":
                        counted += n
                        landing_runs += 1
            # Memory after well over 10,000 mixed requests.
            rss = [rss_mb(pid) for pid in server.worker_pids()]
        # The server stopped cleanly: every tallied click must be in the database now.
        recorded = clicks(settings)
        targets = {"landing page, counted click": ">= 0.5", "QR PNG, rendered before": ">= 0.8",
                   "QR SVG, rendered before": ">= 0.8", "QR PNG, conditional GET -> 304": ">= 0.9"}
        db_name = "PostgreSQL" if url.startswith("postgresql") else "SQLite (WAL)"
        rows = [
            ("when", now_stamp()),
            ("load", "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (2 CPUs shared)"),
            ("database", db_name),
            ("server", f"gunicorn, {workers} sync workers; wrk -t2 -c{connections}; {rounds} rounds of {seconds}s"),
            ("latency", "p99 = median over the rounds of wrk's 99th percentile (max = the worst round)"),
            ("CPUs", str(os.cpu_count())),
        ]
        for name in paths:
            ratio = statistics.median(ratios[name])
            spread = f"{min(ratios[name]):.2f}-{max(ratios[name]):.2f}"
            target = f"  (target {targets[name]})" if name in targets else ""
            p99 = f"p99 {statistics.median(p99s[name]):6.1f} ms (max {max(p99s[name]):.1f})"
            rate = statistics.median(rates[name])
            rows.append((name, f"{rate:8.0f} req/s  ratio {ratio:.2f} [{spread}]  {p99}{target}"))
        rows += [
            ("worker RSS after the runs", ", ".join(f"{mb:.0f} MB" for mb in rss) + "  (target <= 100 MB)"),
            ("clicks recorded / counted requests", f"{recorded} / {counted}"),
        ]
        report(rows)
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
