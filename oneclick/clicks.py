"""Click counting kept off the hot path.

Each worker process adds clicks to an in-memory tally and a background thread writes the tally every
``CLICK_FLUSH_SECONDS`` as one batched upsert per (link, day): the landing page never waits for a write.
The tally is flushed when the worker exits cleanly (atexit, and gunicorn's ``worker_exit`` hook), so a clean
shutdown or restart loses no click; a worker killed with SIGKILL loses at most one interval of its own clicks.
``CLICK_FLUSH_SECONDS = 0`` writes every click at once, in the request (the tests use this).

Where clicks came from is tallied beside them, on the same path and in the same transaction: per link and day,
one counter per referring host, utm_source and device class (``link_source_stats``; the buckets come from
oneclick.landing.sources). Only counts: no IP address, no full URL, no cookie, no row per visitor. A link keeps
at most ``limits.SOURCE_VALUES_PER_DAY`` named referrers (and as many utm_sources) a day; later new values add
to "other", decided under one lock (PostgreSQL: a transaction-level advisory lock; SQLite: the write lock its
``BEGIN IMMEDIATE`` takes), so the bound holds exactly with any number of workers. A worker's own tally of
distinct sources is bounded too (``SOURCE_TALLY_MAX``): a flood of fake referrers costs neither memory nor rows.
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
from .limits import SOURCE_VALUES_PER_DAY
from .models import LinkDailyStat, LinkSourceStat

log = logging.getLogger(__name__)
_COUNTERS: weakref.WeakSet[ClickCounter] = weakref.WeakSet()
_UPSERTS: dict[str, object] = {}
_SOURCE_UPSERTS: dict[str, object] = {}
#: Distinct (link, day, referrer, utm, device) keys one worker tallies between two writes; past it, new keys
#: go to "other" at once.
SOURCE_TALLY_MAX = 10_000
#: Any constant: the key of the PostgreSQL advisory lock that serialises the writers of link_source_stats.
_SOURCES_LOCK_KEY = 0x0C11C5
OTHER = "other"
#: One click's source as the landing page tallies it: (referring host, utm_source or None, device class).
Source = tuple[str, "str | None", str]


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


def upsert_sources(dialect: str):
    """Return the (cached) upsert that adds ``n`` clicks to one (link, day, kind, value) source counter."""
    stmt = _SOURCE_UPSERTS.get(dialect)
    if stmt is None:
        insert = insert_for(dialect)
        table = LinkSourceStat.__table__
        base = insert(table).values(link_id=bindparam("link_id"), day=bindparam("day"), kind=bindparam("kind"),
                                    value=bindparam("value"), count=bindparam("n"))
        stmt = _SOURCE_UPSERTS[dialect] = base.on_conflict_do_update(
            index_elements=[table.c.link_id, table.c.day, table.c.kind, table.c.value],
            set_={"count": table.c.count + base.excluded.count},
        )
    return stmt


def source_counts(sources: dict[tuple, int]) -> Counter:
    """Spread a tally of (link, day, referrer, utm, device) clicks into (link, day, kind, value) counts."""
    counts: Counter[tuple[int, date, str, str]] = Counter()
    for (link_id, day, referrer, utm, device), n in sources.items():
        counts[(link_id, day, "referrer", referrer)] += n
        if utm is not None:
            counts[(link_id, day, "utm", utm)] += n
        counts[(link_id, day, "device", device)] += n
    return counts


def write_sources(connection, sources: dict[tuple, int]) -> None:
    """Add a tally of click sources on ``connection`` (inside the caller's write transaction), bounded per day.

    Under one lock, read which values each (link, day) already has; a value not there yet is added while its
    kind has fewer than SOURCE_VALUES_PER_DAY named values that day (most clicked first), else its clicks go to
    "other".
    """
    if not sources:
        return
    counts = source_counts(sources)
    dialect = connection.dialect.name
    table = LinkSourceStat.__table__
    link_ids = sorted({key[0] for key in counts})
    days = sorted({key[1] for key in counts})
    known: dict[tuple[int, date, str], set[str]] = {}
    rows = connection.execute(
        table.select().with_only_columns(table.c.link_id, table.c.day, table.c.kind, table.c.value)
        .where(table.c.link_id.in_(link_ids), table.c.day.in_(days), table.c.kind.in_(("referrer", "utm")))
    )
    for link_id, day, kind, value in rows:
        known.setdefault((link_id, day, kind), set()).add(value)
    bounded: Counter[tuple[int, date, str, str]] = Counter()
    for key, n in sorted(counts.items(), key=lambda item: -item[1]):
        link_id, day, kind, value = key
        if kind != "device" and value != OTHER:
            have = known.setdefault((link_id, day, kind), set())
            if value not in have:
                if len(have - {OTHER}) >= SOURCE_VALUES_PER_DAY:
                    key = (link_id, day, kind, OTHER)
                else:
                    have.add(value)
        bounded[key] += n
    connection.execute(
        upsert_sources(dialect),
        [{"link_id": link_id, "day": day, "kind": kind, "value": value, "n": n}
         for (link_id, day, kind, value), n in sorted(bounded.items())],
    )


def write_tally(connection, tally: dict[tuple[int, date], int], sources: dict[tuple, int]) -> None:
    """Write clicks and their sources in the caller's transaction, one writer at a time.

    PostgreSQL takes a transaction-level advisory lock first (SQLite's BEGIN IMMEDIATE already holds the write
    lock): the per-day bound on source values holds exactly, and two workers' batches never deadlock.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SOURCES_LOCK_KEY})")
    write_sources(connection, sources)
    write_clicks(connection, tally)


class ClickCounter:
    """One worker's tally of clicks, written by a background thread."""

    def __init__(self, app: Flask, interval: float):
        self.app = app
        self.interval = interval
        self._tally: Counter[tuple[int, date]] = Counter()
        self._sources: Counter[tuple] = Counter()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        _COUNTERS.add(self)

    def add(self, link_id: int, day: date, source: Source | None = None) -> None:
        """Count one click (and its source); it reaches the database within ``interval`` seconds."""
        with self._lock:
            self._tally[(link_id, day)] += 1
            if source is not None:
                key = (link_id, day, *source)
                if key not in self._sources and len(self._sources) >= SOURCE_TALLY_MAX:
                    key = (link_id, day, OTHER, None if source[1] is None else OTHER, source[2])
                self._sources[key] += 1
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
                sources, self._sources = self._sources, Counter()
            if not tally:
                return 0
            try:
                with self.app.app_context(), db.engine.begin() as connection:
                    write_tally(connection, tally, sources)
            except Exception:
                log.exception("could not write %d clicks; keeping them for the next try", sum(tally.values()))
                with self._lock:
                    self._tally.update(tally)
                    self._sources.update(sources)
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
