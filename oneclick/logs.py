"""Structured request logging: one JSON line per request on the ``oneclick.request`` logger."""

from __future__ import annotations

import json
import logging
import secrets
import sys
import time

from flask import Flask, g, request

logger = logging.getLogger("oneclick.request")


def init_app(app: Flask) -> None:
    """Log every request as JSON (method, path, status, duration, client, request id) when REQUEST_LOG is on."""
    if not app.config.get("REQUEST_LOG"):
        return
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False

    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or secrets.token_hex(8)

    @app.after_request
    def _log(response):
        started = g.pop("request_started", None)
        if started is not None:
            logger.info(
                json.dumps(
                    {
                        "ts": round(time.time(), 3),
                        "id": g.get("request_id"),
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                        "ip": request.remote_addr,
                        "ua": (request.user_agent.string or "")[:120],
                    },
                    separators=(",", ":"),
                )
            )
            response.headers["X-Request-Id"] = g.request_id
        return response
