"""Make the limits counted only on failure (failed sign-ins) exact inside one threaded process.

Flask-Limiter checks a ``deduct_when`` limit before the view and counts the request after it, so several
requests from one client running at once on several threads all pass the check before any is counted.
With per-process storage the app runs as one process (gunicorn.conf.py), so a per-client lock held from
before the check until after the count makes every such limit exact for form posts. Shared storage
(Redis) is left alone: the lock would not reach across processes.
"""

from __future__ import annotations

import threading
import zlib

from flask import Flask, current_app, g, request
from flask_limiter.util import get_qualified_name, get_remote_address

from .config import storage_is_shared
from .extensions import limiter

_STRIPES = [threading.Lock() for _ in range(64)]
_counted_after: dict[str | None, bool] = {}  # endpoint -> has a deduct_when limit (the same for every app)


def _counts_on_failure(endpoint: str | None) -> bool:
    """Return True when the endpoint's view carries a limit counted after the response (``deduct_when``)."""
    if endpoint not in _counted_after:
        view = current_app.view_functions.get(endpoint) if endpoint else None
        limits = limiter.limit_manager.decorated_limits(get_qualified_name(view)) if view else []
        _counted_after[endpoint] = any(limit.deduct_when for limit in limits)
    return _counted_after[endpoint]


def _acquire() -> None:
    if request.method != "POST" or not _counts_on_failure(request.endpoint):
        return
    lock = _STRIPES[zlib.crc32(get_remote_address().encode()) % len(_STRIPES)]
    lock.acquire()
    g._client_lock = lock


def _release(exc=None) -> None:
    lock = g.pop("_client_lock", None)
    if lock is not None:
        lock.release()


def init_app(app: Flask) -> None:
    """With per-process rate-limit storage, serialise each client's requests to endpoints counted on failure."""
    if not app.config.get("RATELIMIT_ENABLED", True) or storage_is_shared(app.config):
        return
    # First in line, before Flask-Limiter's own check (registered when the extension was bound).
    app.before_request_funcs.setdefault(None, []).insert(0, _acquire)
    app.teardown_request(_release)
