"""Real app servers for load and race tests: gunicorn processes on loopback ports, and a tiny HTTP client."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppServer:
    """``gunicorn wsgi:app`` with its own workers, configured through ONECLICK_* variables."""

    def __init__(self, settings: dict[str, str], workers: int | None = 2, log_path: Path | None = None,
                 app_module: str = "wsgi:app", env: dict[str, str] | None = None):
        """``workers=None`` leaves the number to gunicorn.conf.py; ``env`` adds plain environment variables."""
        self.app_module = app_module
        self.env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = settings
        self.workers = workers
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> AppServer:
        env = {**os.environ, **{f"ONECLICK_{k}": str(v) for k, v in self.settings.items()}, **self.env}
        workers = ["-w", str(self.workers)] if self.workers is not None else []
        cmd = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), *workers,
               "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "5", self.app_module]
        if self.log_path:
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
        else:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited early with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer on {self.url} within {timeout}s")

    def worker_pids(self) -> list[int]:
        """Return the PIDs of this server's worker processes (not the queue consumer gunicorn.conf.py may start)."""
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split() if not _is_queue_consumer(int(pid))]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _is_queue_consumer(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"oneclick.consumer" in cmdline.read()
    except OSError:  # gone meanwhile
        return False


class Browserless:
    """A cookie-keeping HTTP client that fills forms the way a browser would (CSRF token included)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, method: str, path: str, data: dict | None = None, base_url: str | None = None,
                headers: dict | None = None, timeout: float = 30) -> tuple[int, str, dict]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request((base_url or self.base_url) + path, data=body, method=method,
                                     headers=headers or {})
        try:
            with self.opener.open(req, timeout=timeout) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(errors="replace"), dict(err.headers)

    def csrf(self, path: str, base_url: str | None = None) -> str:
        status, text, _ = self.request("GET", path, base_url=base_url)
        match = CSRF_RE.search(text)
        assert match, f"no csrf token on {path} ({status})"
        return match.group(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
