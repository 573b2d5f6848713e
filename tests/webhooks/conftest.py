"""A real HTTP receiver on loopback (http.server in a thread) and an app allowed to deliver to it."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.models import User
from oneclick.webhooks import services

from ..factories import make_user

#: What the webhook tests add to the test config: http:// and loopback, both refused everywhere else.
LOOPBACK = {"WEBHOOK_ALLOW_HTTP": True, "WEBHOOK_ALLOW_PRIVATE": True}


class Receiver:
    """Records every POST (path, headers, body) and answers with the next status of ``statuses`` (then 204)."""

    def __init__(self, statuses=(), redirect_to: str | None = None, delay: float = 0):
        self.statuses = list(statuses)
        self.delay = delay
        self.redirect_to = redirect_to
        self.received: list[tuple[str, dict, bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.delay:
                    time.sleep(receiver.delay)  # a slow endpoint: deliveries are in flight for a while
                with receiver.lock:
                    receiver.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                if receiver.redirect_to:
                    self.send_header("Location", receiver.redirect_to)
                answer = b"x" * 5000 if status >= 500 else b""
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hooks", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def add_endpoint(app, user_id: int, url: str, events=("link.paused",)):
    """Register an endpoint through the service; return (endpoint id, secret)."""
    with app.app_context():
        created = services.create_endpoint(db.session.get(User, user_id), url, list(events), utcnow())
        return created.endpoint.id, created.secret


@pytest.fixture
def ada(app):
    with app.app_context():
        u = make_user(email="ada@example.com", name="Ada Lovelace")
        return {"id": u.id, "email": u.email}
