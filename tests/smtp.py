"""A real SMTP server (aiosmtpd) on loopback for the mail tests: plain, or STARTTLS with a self-signed certificate."""

from __future__ import annotations

import socket
import ssl
import threading
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

DATA = Path(__file__).parent / "data"
#: A self-signed certificate for 127.0.0.1 (tests only): a client trusts it only when told to (SSL_CERT_FILE).
CERT, KEY = DATA / "smtp-test-cert.pem", DATA / "smtp-test-key.pem"


class Collect:
    """The server's handler: keeps (mail_from, rcpt_tos, content) of every message, and who signed in."""

    def __init__(self):
        self.messages = []
        self.logins = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, data):
        """Accept exactly user "mailer" with password "s3cret"."""
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"mailer", b"s3cret")
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(tls: bool = False):
    """Yield (controller, handler) of a running server; ``tls`` offers STARTTLS and AUTH (after TLS only)."""
    handler = Collect()
    options = {}
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(CERT, KEY)
        options = {"tls_context": context, "authenticator": handler.authenticate, "auth_require_tls": True}
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port(), **options)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()
