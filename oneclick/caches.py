"""The per-worker caches (cachetools), created once in ``create_app`` and kept on ``app.extensions``.

Never for state another worker needs: each holds what a worker may serve slightly stale or recompute at will.

- ``oneclick.link_cache``: link snapshots for LINK_CACHE_SECONDS (None when that is 0: every visit queries);
- ``oneclick.landing_cache``: rendered fresh-guest landing pages, keyed by the whole link snapshot;
- ``oneclick.qr_cache``: rendered QR codes, bounded by total bytes (see oneclick.qr.QrCache).

The caches run under gunicorn's threads, and cachetools' caches aren't thread-safe (even a read reorders an
LRU), so every access goes through a lock. ``timer`` is the clock the TTL cache reads: tests pass a fake one
and advance it instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import Cache, LRUCache, TTLCache
from flask import Flask

from .qr import QrCache

#: Link snapshots kept per worker (a few hundred bytes each).
LINK_CACHE_SIZE = 4096
#: Rendered landing pages kept per worker (a few KB each).
LANDING_CACHE_SIZE = 512


class Locked:
    """A cachetools cache behind a lock: ``get`` and ``put`` are safe from several threads."""

    def __init__(self, cache: Cache):
        self._cache = cache
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        """Return the live value for ``key`` (and mark it recently used), or ``default``."""
        with self._lock:
            return self._cache.get(key, default)

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value`` under ``key``, evicting what the cache's policy says."""
        with self._lock:
            self._cache[key] = value

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)


def init_app(app: Flask, timer: Callable[[], float] = time.monotonic) -> None:
    """Create the app's caches from its settings (again, when a test injects ``timer``)."""
    ttl = float(app.config["LINK_CACHE_SECONDS"])
    link_cache = Locked(TTLCache(LINK_CACHE_SIZE, ttl, timer=timer)) if ttl > 0 else None
    app.extensions["oneclick.link_cache"] = link_cache
    app.extensions["oneclick.landing_cache"] = Locked(LRUCache(LANDING_CACHE_SIZE))
    app.extensions["oneclick.qr_cache"] = QrCache(int(app.config["QR_CACHE_MAX_BYTES"]))
