"""Handing work to the task queue: at once, after a delay, or once the caller's transaction commits.

A table row is the durable record of the work (``mail_outbox``, ``webhook_deliveries``); the queue only says
"look at this row now". So a queue that can't be reached is logged, never raised: the row stays due and the
minute sweeper enqueues it. Work registered with ``after_commit`` is handed over when the session commits and
forgotten when it rolls back, so nothing is delivered for a change that didn't happen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event

from .extensions import db

log = logging.getLogger(__name__)

#: Session-info key of the (task, argument, what) triples to hand over after the commit (a test drops it to lose them).
PENDING = "oneclick.enqueue_after_commit"


def now(task: Callable[[Any], Any], args: Iterable[Any], what: str) -> None:
    """Enqueue ``task(arg)`` for each argument; a failure is logged (``what`` names the row) and left to the sweeper."""
    for arg in args:
        try:
            task(arg)
        except Exception:  # the queue is unreachable: the row stays due and the sweeper tries again
            log.exception("could not enqueue %s %s; the sweeper will", what, arg)


def later(task, arg: Any, delay: int, what: str) -> None:
    """Schedule ``task(arg)`` in ``delay`` seconds (a retry); a failure leaves it to the sweeper once it is due."""
    try:
        task.schedule((arg,), delay=delay)
    except Exception:  # the sweeper finds it when it is due
        log.exception("could not schedule the retry of %s %s", what, arg)


def after_commit(task: Callable[[Any], Any], args: Iterable[Any], what: str, session=None) -> None:
    """Enqueue ``task(arg)`` for each argument once ``session`` (default: the app's) commits; never on rollback."""
    pending = (session or db.session).info.setdefault(PENDING, [])
    pending.extend((task, arg, what) for arg in args)


def _after_commit(session) -> None:
    for task, arg, what in session.info.pop(PENDING, ()):
        now(task, (arg,), what)


def _after_rollback(session) -> None:
    session.info.pop(PENDING, None)


def init_app(app) -> None:
    """Listen on the app's session class once (every Flask-SQLAlchemy session shares it)."""
    if not event.contains(db.session, "after_commit", _after_commit):
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_rollback", _after_rollback)
