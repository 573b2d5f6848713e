"""Background work on Huey: mail delivery and the periodic jobs (digest, purges, link warnings, the outbox sweep).

The queue lives where ``QUEUE_URL`` says: unset, a SQLite file in the instance folder (``instance/queue.sqlite3``,
the embedded default: ``scripts/run`` starts one consumer with gunicorn); ``redis://host:6379/0`` at scale
(any number of consumers on any hosts: ``python -m oneclick.consumer``); ``immediate`` runs each task inline
at once (the test suite's setting, so request tests need no consumer; never for production).

Periodic tasks run from the consumers' scheduler (UTC). Each one is safe to run twice (a consumer per host
each schedules them unless started with ``--no-periodic``): the digest moves a per-owner marker in the
transaction that queues its mail, purges delete what is due, the sweeper's deliveries claim their rows.
The same work stays available as ``flask`` commands for cron users (``flask notify digest`` ...).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, has_app_context
from huey import Huey, crontab
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

log = logging.getLogger(__name__)

#: The one Huey instance; ``configure`` points it at the storage QUEUE_URL names when the app is created.
huey = Huey("oneclick", results=False, utc=True, immediate_use_memory=False, storage_class=MemoryStorage)
_app: Flask | None = None


class _SqliteQueue(SqliteStorage):
    """Huey's SQLite storage in WAL mode with synchronous=NORMAL (like the app's database): no fsync per enqueue.

    A power cut may lose the last enqueues, never corrupt the file; a lost enqueue loses no mail, because the
    mail is the outbox row in the app's database, which the sweeper enqueues again."""

    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute("pragma synchronous=1")
        return conn


class QueueConfigError(ValueError):
    """QUEUE_URL names no storage we know."""


def storage_for(config, instance_path: str):
    """Return (storage, immediate) for the configured QUEUE_URL and QUEUE_NAME."""
    url = str(config.get("QUEUE_URL") or "").strip()
    name = str(config.get("QUEUE_NAME") or "oneclick")
    if url == "immediate":
        return MemoryStorage(name), True
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage(name, url=url), False
    if url == "" or url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):] or str(Path(instance_path) / "queue.sqlite3")
        return _SqliteQueue(name, filename=path), False
    raise QueueConfigError(f"QUEUE_URL={url!r}: use redis://host:6379/0, sqlite:///path, immediate, or leave it unset")


def init_app(app: Flask) -> None:
    """Point the queue at this app's storage; tasks run in this app's context when no other is active."""
    global _app
    storage, immediate = storage_for(app.config, app.instance_path)
    huey.immediate = immediate
    huey.storage = storage
    huey.name = storage.name
    _app = app


@contextmanager
def _context():
    """Run a task inside an app context: the caller's (immediate mode), else the consumer's app."""
    if has_app_context():
        yield
        return
    if _app is None:  # pragma: no cover - the consumer creates its app before it takes a task
        raise RuntimeError("no app: start consumers with `python -m oneclick.consumer`")
    from .extensions import db

    with _app.app_context():
        try:
            yield
        finally:
            db.session.remove()


# --- Mail ---------------------------------------------------------------------------------------------------


@huey.task()
def deliver_mail(key: str) -> str:
    """Deliver one queued mail (claimed first, so a duplicate task or a second consumer sends nothing)."""
    from . import mailqueue

    with _context():
        return mailqueue.deliver(key)


@huey.periodic_task(crontab(minute="*"))
def sweep_outbox() -> int:
    """Every minute: enqueue mails that are due (a lost enqueue, a retry, a claim whose consumer died)."""
    from . import mailqueue
    from .clock import utcnow

    with _context():
        return mailqueue.sweep(utcnow())


# --- Periodic jobs (each also a `flask` command for cron) ----------------------------------------------------------


@huey.periodic_task(crontab(minute="0", hour="7"))
@huey.lock_task("oneclick-digest")
def daily_digest() -> int:
    """07:00 UTC: the daily digest (`flask notify digest`)."""
    from .clock import utcnow
    from .inbox.services import send_digests

    with _context():
        return send_digests(utcnow())


@huey.periodic_task(crontab(minute="17"))
@huey.lock_task("oneclick-purges")
def purges() -> dict[str, int]:
    """Hourly: the purges and expiries (`users purge-unverified`, `requests purge-unconfirmed`,
    `invitations purge-captchas`)."""
    from .auth.services import purge_unverified
    from .clock import utcnow
    from .extensions import db
    from .inbox.services import purge_unconfirmed
    from .invitations import captcha

    with _context():
        now = utcnow()
        done = {"unverified": purge_unverified(now), "unconfirmed": purge_unconfirmed(now)}
        done["captchas"] = captcha.purge(now)
        db.session.commit()
        return done


@huey.periodic_task(crontab(minute="41", hour="3"))
@huey.lock_task("oneclick-guest-retention")
def guest_retention() -> int:
    """03:41 UTC daily: erase or trim guests' data past GUEST_RETENTION_DAYS (`flask requests erase-expired`)."""
    from .clock import utcnow
    from .privacy.services import erase_expired_guest_data

    with _context():
        return erase_expired_guest_data(utcnow())


@huey.periodic_task(crontab(minute="5"))
@huey.lock_task("oneclick-link-warnings")
def link_warnings() -> int:
    """Hourly: warn owners whose links are about to expire or to reach their request limit."""
    from .clock import utcnow
    from .notifications.services import send_link_warnings

    with _context():
        return send_link_warnings(utcnow())


# --- Webhooks --------------------------------------------------------------------------------------------------


@huey.task()
def deliver_webhook(delivery_id: int) -> str:
    """Deliver one webhook (claimed first, so a duplicate task or a second consumer sends nothing)."""
    from .webhooks import services

    with _context():
        return services.deliver(delivery_id)


@huey.periodic_task(crontab(minute="*"))
def sweep_webhooks() -> int:
    """Every minute: enqueue webhook deliveries that are due (a lost enqueue, a retry, a claim whose consumer died)."""
    from .clock import utcnow
    from .webhooks import services

    with _context():
        return services.sweep(utcnow())
