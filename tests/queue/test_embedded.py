"""The embedded default: gunicorn (gunicorn.conf.py) starts one queue consumer on the SQLite queue in the instance
folder, and the consumer never outlives the server, even one killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from ..concurrency.harness import AppServer, Browserless
from ..conftest import FAST_HASH


def _consumers_of(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid), "-f", "oneclick.consumer"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped by init) counts as gone.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def _embedded_server(tmp_path) -> AppServer:
    """Start gunicorn as `scripts/run` does: the embedded default, a fresh SQLite database and queue."""
    settings = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "", "PUBLIC_URL": "http://oneclick.test",
                "MAIL_BACKEND": "file", "PASSWORD_HASH_METHOD": FAST_HASH, "SESSION_COOKIE_SECURE": "false"}
    subprocess.run([sys.executable, "-m", "flask", "--app", "oneclick", "db", "upgrade"], check=True,
                   env={**os.environ, "ONECLICK_INSTANCE_PATH": str(tmp_path)}, capture_output=True)
    return AppServer(settings, workers=None, log_path=tmp_path / "server.log").start()


def test_the_server_starts_a_consumer_that_mails_and_dies_with_a_killed_server(tmp_path):
    server = _embedded_server(tmp_path)
    try:
        deadline = time.monotonic() + 60  # a loaded machine (CI runs the suite in parallel) starts slowly
        while not _consumers_of(server.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        [consumer] = _consumers_of(server.proc.pid)
        client = Browserless(server.url)
        token = client.csrf("/password/forgot")
        assert client.request("POST", "/password/forgot", {"csrf_token": token, "email": "x@example.org"})[0] == 302
        outbox = tmp_path / "outbox"

        def mails() -> list[str]:
            return [m.read_text() for m in outbox.glob("*.eml")]

        while not any("x@example.org" in m for m in mails()) and time.monotonic() < deadline + 60:
            time.sleep(0.1)  # (a file may exist a moment before its text is written)
        [mail] = mails()
        assert "x@example.org" in mail
        assert (tmp_path / "queue.sqlite3").exists()
        os.kill(server.proc.pid, signal.SIGKILL)  # the master only: no hook runs
        server.proc.wait(5)
        deadline = time.monotonic() + 15
        while _alive(consumer) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(consumer), (tmp_path / "server.log").read_text()
    finally:
        server.stop()


def test_a_crashed_consumer_is_started_again_by_the_server(tmp_path):
    server = _embedded_server(tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not _consumers_of(server.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        [first] = _consumers_of(server.proc.pid)
        os.kill(first, signal.SIGKILL)  # a crash
        while _consumers_of(server.proc.pid) in ([], [first]) and time.monotonic() < deadline + 30:
            time.sleep(0.1)
        [second] = _consumers_of(server.proc.pid)
        assert second != first, (tmp_path / "server.log").read_text()
        # The new consumer does the work: a mail queued now arrives.
        client = Browserless(server.url)
        token = client.csrf("/password/forgot")
        assert client.request("POST", "/password/forgot", {"csrf_token": token, "email": "y@example.org"})[0] == 302
        while not any("y@example.org" in m.read_text() for m in (tmp_path / "outbox").glob("*.eml")) \
                and time.monotonic() < deadline + 90:
            time.sleep(0.1)
        assert any("y@example.org" in m.read_text() for m in (tmp_path / "outbox").glob("*.eml"))
    finally:
        server.stop()
