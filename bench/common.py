"""Shared benchmark plumbing: a gunicorn server of the bench app, wrk runs, and result printing.

Every benchmark measures its baseline in the same run, against the same server, and prints the ratio.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from tests.concurrency.harness import AppServer  # noqa: E402

WRK_RE = re.compile(r"Requests/sec:\s+([\d.]+)")
LAT_RE = re.compile(r"Latency\s+([\d.]+)(us|ms|s)")


def bench_settings(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """Return ONECLICK_* settings for a bench server (limits off, cheap hashing, file mail)."""
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "bench-secret-key-that-is-long-enough",
        "INSTANCE_PATH": str(instance),
        "PUBLIC_URL": "http://oneclick.bench",
        "RATELIMIT_ENABLED": "false",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SESSION_COOKIE_SECURE": "false",
        **extra,
    }


def bench_server(settings: dict[str, str], workers: int = 2, log_path: Path | None = None) -> AppServer:
    """Return a gunicorn server of bench.benchapp:app: the real app plus a bare baseline route."""
    return AppServer(settings, workers=workers, log_path=log_path, app_module="bench.benchapp:app")


def wrk(url: str, seconds: int = 5, connections: int = 8, threads: int = 2, headers: dict | None = None) -> float:
    """Return requests/s that wrk measured for ``url``."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in (headers or {}).items():
        cmd += ["-H", f"{key}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    match = WRK_RE.search(out)
    if not match:
        raise RuntimeError(out)
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"errors while benchmarking {url}:\n{out}")
    return float(match.group(1))


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


def rss_mb(pid: int) -> float:
    """Return the resident set size of a process in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def tempdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def report(rows: list[tuple[str, str]]) -> None:
    """Print aligned result rows."""
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")


def now_stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))
