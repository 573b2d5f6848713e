"""Outgoing mail with pluggable backends.

``MAIL_BACKEND``: ``file`` (default: one .eml file per message in ``instance/outbox``), ``smtp``
(``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USE_TLS``, ``MAIL_USE_SSL``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``)
or ``memory`` (kept in ``app.extensions["oneclick.outbox"]``, for tests and the browser harness).
"""

from __future__ import annotations

import re
import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from .validators import CONTROL_ONE_LINE

_HEADER_CONTROL_RE = re.compile(f"[{CONTROL_ONE_LINE}]+")


def one_line_header(text: str) -> str:
    """Flatten control characters into spaces: a name stored before the validator existed can't drop a mail."""
    return _HEADER_CONTROL_RE.sub(" ", text).strip()


def build_message(to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """Return a ready-to-send message from the configured sender."""
    config = current_app.config
    msg = EmailMessage()
    msg["From"] = config["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = one_line_header(subject)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="oneclick.local")
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def send_mail(to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """Send one message through the configured backend and return it."""
    msg = build_message(to, subject, text, html)
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "memory":
        current_app.extensions.setdefault("oneclick.outbox", []).append(msg)
    elif backend == "smtp":
        _send_smtp(msg)
    elif backend == "file":
        outbox = Path(current_app.instance_path) / "outbox"
        outbox.mkdir(exist_ok=True)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        (outbox / name).write_bytes(bytes(msg))
    else:
        raise ValueError(f"Unknown MAIL_BACKEND {backend!r}: use file, smtp or memory")
    return msg


def outbox() -> list[EmailMessage]:
    """Return the messages the memory backend has kept."""
    return current_app.extensions.setdefault("oneclick.outbox", [])


def _send_smtp(msg: EmailMessage) -> None:
    config = current_app.config
    host, port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
    timeout = float(config["MAIL_TIMEOUT"])
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(msg)
