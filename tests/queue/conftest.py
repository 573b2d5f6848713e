"""Real queue consumers (``python -m oneclick.consumer`` processes) and a loopback SMTP server that can stop and
start again on the same port, for the queue tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from oneclick.extensions import db

from ..concurrency.harness import ROOT, free_port
from ..conftest import FAST_HASH, REDIS_URL
from ..smtp import Collect


class Smtp:
    """A plain SMTP server on one loopback port that a test can stop and start again (the same handler)."""

    def __init__(self, handler=None):
        self.handler = handler or Collect()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> Smtp:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[bytes]:
        """Return every message content delivered to ``address``."""
        with self.handler.lock:
            return [content for _, rcpts, content in self.handler.messages if address in rcpts]


class Consumer:
    """One ``python -m oneclick.consumer`` process with the test's settings."""

    def __init__(self, settings: dict, log_path: Path, periodic: bool = False):
        env = {**os.environ, **{f"ONECLICK_{k}": str(v) for k, v in settings.items()}}
        cmd = [sys.executable, "-m", "oneclick.consumer", "--workers", "2"]
        if not periodic:
            cmd.append("--no-periodic")
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
        self.log_path = log_path

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(5)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def queue_settings(queued_app, database_url, instance_dir):
    """ONECLICK_* settings a consumer shares with the test's app: same database, secret and a private queue."""
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": queued_app.config["SECRET_KEY"],
        "INSTANCE_PATH": str(instance_dir),
        "PUBLIC_URL": "http://oneclick.test",
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "QUEUE_URL": queued_app.config["QUEUE_URL"],
        "QUEUE_NAME": queued_app.config["QUEUE_NAME"],
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": queued_app.config["MAIL_PORT"],
        "MAIL_TIMEOUT": 5,
        "MAIL_RETRY_BASE_SECONDS": 1,
        "MAIL_RETRY_MAX_SECONDS": 2,
        "MAIL_CLAIM_SECONDS": queued_app.config["MAIL_CLAIM_SECONDS"],
        "RATELIMIT_STORAGE_URI": "memory://",
    }


@pytest.fixture
def smtp():
    server = Smtp().start()
    yield server
    server.stop()


@pytest.fixture
def consumers(queue_settings, tmp_path):
    """Start consumers on demand (``consumers.start()``); every one is stopped after the test."""
    started: list[Consumer] = []

    class Starter:
        def start(self, **overrides) -> Consumer:
            consumer = Consumer({**queue_settings, **overrides}, tmp_path / f"consumer-{len(started)}.log")
            started.append(consumer)
            return consumer

        def logs(self) -> str:
            return "\n".join(c.log_path.read_text() for c in started if c.log_path.exists())

    yield Starter()
    for consumer in started:
        consumer.stop()


def wait_for(predicate, timeout: float = 60, what: str = "condition", logs=None):
    """Poll ``predicate`` until it is true; fail with ``what`` (and the consumers' logs) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}\n{logs() if logs else ''}")


def outbox_rows(app) -> list[tuple]:
    """(to, status, attempts, idempotency key) of every queued mail."""
    from sqlalchemy import select

    from oneclick.models import MailOutbox as M

    with app.app_context():
        rows = db.session.execute(
            select(M.to_address, M.status, M.attempts, M.idempotency_key).order_by(M.id)
        ).all()
        db.session.remove()
    return [tuple(r) for r in rows]


@pytest.fixture(params=["redis", "sqlite"])
def queued_app(request, app, smtp, tmp_path):
    """The test's app on a real queue (a private Redis queue, or a SQLite queue file like the embedded default),
    mailing through the loopback SMTP server. Delivery is the consumers' job: nothing runs inline."""
    from oneclick import tasks

    if request.param == "redis":
        queue = {"QUEUE_URL": REDIS_URL, "QUEUE_NAME": f"test-{uuid.uuid4().hex[:12]}"}
    else:
        queue = {"QUEUE_URL": f"sqlite:///{tmp_path / 'queue.sqlite3'}", "QUEUE_NAME": "oneclick"}
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_CLAIM_SECONDS=3,
                      **queue)
    tasks.init_app(app)
    yield app
    tasks.huey.storage.flush_all()
