"""Health endpoints for load balancers and orchestrators."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .. import tasks
from ..extensions import db, limiter

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Answer 200 while the process is up (liveness)."""
    return jsonify(status="ok")


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """Answer 200 when the database, the rate-limit store and the queue are reachable (readiness), else 503."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        db.session.rollback()
        checks["database"] = f"error: {type(exc).__name__}"
    storage_uri = str(current_app.config.get("RATELIMIT_STORAGE_URI", ""))
    if storage_uri.startswith(("redis://", "rediss://", "redis+")):
        try:
            ok = limiter.storage.check()
            checks["redis"] = "ok" if ok else "error: no answer"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"error: {type(exc).__name__}"
    if not tasks.huey.immediate:  # the queue's storage (a SQLite file, or Redis at scale) takes and holds work
        try:
            tasks.huey.storage.queue_size()
            checks["queue"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["queue"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503
