"""Outgoing mail: ``send_mail`` queues it (a ``mail_outbox`` row in the caller's transaction, see
``oneclick.mailqueue``); a queue task later hands it to Flask-Mailman (``transmit``), with the backend
``MAIL_BACKEND`` names.

``file`` (default: one .eml file per message in ``instance/outbox``), ``smtp`` (``MAIL_SERVER``, ``MAIL_PORT``,
``MAIL_USE_TLS``, ``MAIL_USE_SSL``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``, ``MAIL_TIMEOUT``) or ``memory`` (kept in
``app.extensions["oneclick.outbox"]`` as parsed messages, for tests and the browser harness). The settings are
read at each send, so a test may point a running app at another server.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import time
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from flask_mailman import EmailMultiAlternatives
from flask_mailman.backends.base import BaseEmailBackend
from flask_mailman.backends.file import EmailBackend as _FileBackend
from flask_mailman.backends.smtp import EmailBackend as _SmtpBackend

from .extensions import mailman
from .validators import CONTROL_ONE_LINE

_HEADER_CONTROL_RE = re.compile(f"[{CONTROL_ONE_LINE}]+")


def one_line_header(text: str) -> str:
    """Flatten control characters into spaces: a name stored before the validator existed can't drop a mail."""
    return _HEADER_CONTROL_RE.sub(" ", text).strip()


def _parsed(message: EmailMultiAlternatives) -> EmailMessage:
    """Return the message as the stdlib parses it off the wire (``m["To"]``, ``m.get_content()``)."""
    return message_from_bytes(message.message().as_bytes(), policy=policy.default)


class MemoryBackend(BaseEmailBackend):
    """Keep every message, parsed, in the app's outbox list (tests and the browser harness read it)."""

    def send_messages(self, email_messages) -> int:
        box = current_app.extensions.setdefault("oneclick.outbox", [])
        box.extend(_parsed(m) for m in email_messages)
        return len(email_messages)


class FileBackend(_FileBackend):
    """Write one .eml file per message into ``instance/outbox`` (a dev server's mail you can open)."""

    def _get_filename(self) -> str:
        if self._fname is None:
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
            self._fname = str(Path(self.file_path) / name)
        return self._fname

    def write_message(self, message) -> None:
        self.stream.write(message.message().as_bytes())

    def close(self) -> None:
        super().close()
        self._fname = None  # the next message gets a file of its own


class _VerifiedSMTP(smtplib.SMTP):
    """smtplib.SMTP whose STARTTLS checks the server certificate (Flask-Mailman passes no context for it)."""

    def starttls(self, *args, context: ssl.SSLContext | None = None, **kwargs):
        return super().starttls(*args, context=context or ssl.create_default_context(), **kwargs)


class SmtpBackend(_SmtpBackend):
    """Flask-Mailman's SMTP backend with certificate checks on STARTTLS as well as on implicit TLS."""

    @property
    def connection_class(self):
        return smtplib.SMTP_SSL if self.use_ssl else _VerifiedSMTP


BACKENDS = {"file": FileBackend, "smtp": SmtpBackend, "memory": MemoryBackend}


def _connection(config) -> BaseEmailBackend:
    """Return a backend for the configured MAIL_BACKEND, with the settings as they are now."""
    name = config["MAIL_BACKEND"]
    backend = BACKENDS.get(name)
    if backend is None:
        raise ValueError(f"Unknown MAIL_BACKEND {name!r}: use file, smtp or memory")
    if backend is SmtpBackend:
        return mailman.get_connection(
            backend, host=config["MAIL_SERVER"], port=int(config["MAIL_PORT"]),
            username=config["MAIL_USERNAME"] or "", password=config["MAIL_PASSWORD"] or "",
            use_tls=bool(config["MAIL_USE_TLS"]) and not config["MAIL_USE_SSL"], use_ssl=bool(config["MAIL_USE_SSL"]),
            timeout=float(config["MAIL_TIMEOUT"]),
        )
    if backend is FileBackend:
        return mailman.get_connection(backend, file_path=str(Path(current_app.instance_path) / "outbox"))
    return mailman.get_connection(backend)


def send_mail(to: str, subject: str, text: str, html: str | None = None, key: str | None = None) -> str:
    """Queue one message from MAIL_FROM: a ``mail_outbox`` row added to the current session.

    The caller's commit makes it durable together with the change that causes it (a rollback drops it), and a
    queue task delivers it after the commit. ``key`` (optional) names the mail for idempotency: a second mail
    with the same key in another transaction fails that transaction's commit. Returns the key.
    """
    from .mailqueue import add

    return add(to, one_line_header(subject), text, html, key)


def transmit(to: str, subject: str, text: str, html: str | None, message_id: str) -> None:
    """Hand one message to the configured backend now (a failure raises); only the queue's delivery task calls it."""
    config = current_app.config
    message = EmailMultiAlternatives(
        subject=one_line_header(subject), body=text, from_email=config["MAIL_FROM"], to=[to],
        headers={"Message-ID": message_id},
        connection=_connection(config),
    )
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


def file_outbox() -> Path | None:
    """Return the folder the ``file`` backend writes mail into, or None when mail goes elsewhere."""
    if current_app.config["MAIL_BACKEND"] != "file":
        return None
    return Path(current_app.instance_path).resolve() / "outbox"


def outbox() -> list[EmailMessage]:
    """Return the messages the memory backend has kept."""
    return current_app.extensions.setdefault("oneclick.outbox", [])
