"""Click counting kept off the hot path.

Each worker process adds clicks to an in-memory tally and a background thread writes the tally every
``CLICK_FLUSH_SECONDS`` as one batched upsert per (link, day): the landing page never waits for a write.
The tally is flushed when the worker exits cleanly (atexit, and gunicorn's ``worker_exit`` hook), so a clean
shutdown or restart loses no click; a worker killed with SIGKILL loses at most one interval of its own clicks.
``CLICK_FLUSH_SECONDS = 0`` writes every click at once, in the request (the tests use this).
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections import Counter
from datetime import date

from flask import Flask
from sqlalchemy import bindparam

from .db_helpers import insert_for
from .extensions import db
from .models import LinkDailyStat

log = logging.getLogger(__name__)
_COUNTERS: weakref.WeakSet[ClickCounter] = weakref.WeakSet()
_UPSERTS: dict[str, object] = {}


def upsert_clicks(dialect: str):
    """Return the (cached) INSERT ... ON CONFLICT DO UPDATE that adds ``n`` clicks to a link's day."""
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        insert = insert_for(dialect)
        table = LinkDailyStat.__table__  # Core, not the ORM bulk path
        base = insert(table).values(link_id=bindparam("link_id"), day=bindparam("day"), clicks=bindparam("n"))
        stmt = _UPSERTS[dialect] = base.on_conflict_do_update(
            index_elements=[table.c.link_id, table.c.day],
            set_={"clicks": table.c.clicks + base.excluded.clicks},
        )
    return stmt


def write_clicks(connection, tally: dict[tuple[int, date], int]) -> None:
    """Add a tally of clicks to the database on ``connection`` (inside the caller's transaction)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # Clicks are statistics: don't wait for the WAL flush (a database crash may lose the last few).
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    rows = [{"link_id": link_id, "day": day, "n": n} for (link_id, day), n in tally.items()]
    connection.execute(upsert_clicks(dialect), rows)


class ClickCounter:
    """One worker's tally of clicks, written by a background thread."""

    def __init__(self, app: Flask, interval: float):
        self.app = app
        self.interval = interval
        self._tally: Counter[tuple[int, date]] = Counter()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        _COUNTERS.add(self)

    def add(self, link_id: int, day: date) -> None:
        """Count one click; it reaches the database within ``interval`` seconds."""
        with self._lock:
            self._tally[(link_id, day)] += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="oneclick-clicks", daemon=True)
                self._thread.start()

    def pending(self) -> int:
        """Return how many clicks wait to be written."""
        with self._lock:
            return sum(self._tally.values())

    def flush(self) -> int:
        """Write the tally now and return how many clicks were written (kept for later if the write fails)."""
        with self._flush_lock:
            with self._lock:
                tally, self._tally = self._tally, Counter()
            if not tally:
                return 0
            try:
                with self.app.app_context(), db.engine.begin() as connection:
                    write_clicks(connection, tally)
            except Exception:
                log.exception("could not write %d clicks; keeping them for the next try", sum(tally.values()))
                with self._lock:
                    self._tally.update(tally)
                return 0
            return sum(tally.values())

    def _run(self) -> None:
        while not self._wake.wait(self.interval):
            self.flush()


def counter(app: Flask) -> ClickCounter:
    """Return the app's click counter (one per app, per process)."""
    found = app.extensions.get("oneclick.clicks")
    if found is None:
        found = app.extensions.setdefault("oneclick.clicks", ClickCounter(app, app.config["CLICK_FLUSH_SECONDS"]))
    return found


def flush_all() -> int:
    """Write every pending click of this process (called at exit); return how many were written."""
    return sum(c.flush() for c in list(_COUNTERS))


atexit.register(flush_all)
