"""Sending one webhook: resolve the host, check EVERY address it resolves to, connect to the checked address
(so a DNS answer that changes between the check and the connection can't lead anywhere else), POST once,
follow no redirect, read at most a few hundred bytes of the answer."""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass

from . import rules


class Blocked(Exception):
    """The destination may not receive deliveries; ``reason`` is a rules.MESSAGES key."""

    def __init__(self, reason: str):
        super().__init__(rules.MESSAGES.get(reason, reason))
        self.reason = reason


def resolve(host: str, port: int, *, allow_loopback: bool) -> str:
    """Return the address to connect to: the host's first address, after checking every one it resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Blocked("unresolvable") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise Blocked("unresolvable")
    for address in addresses:
        decision = rules.check_address(address, allow_loopback=allow_loopback)
        if not decision.allowed:
            raise Blocked(decision.reason)
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to a fixed, checked address; the Host header keeps the URL's host."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to a fixed, checked address; TLS verifies the certificate for the URL's host."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: str


def post(target: rules.Target, body: bytes, headers: dict[str, str], *, timeout: float, allow_loopback: bool,
         max_body: int) -> Answer:
    """POST ``body`` to the checked target; raise Blocked, OSError or http.client errors on failure."""
    address = resolve(target.host, target.port, allow_loopback=allow_loopback)
    cls = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = cls(target.host, target.port, address, timeout)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read(max_body).decode("utf-8", "replace")
        return Answer(response.status, text[:max_body])
    finally:
        conn.close()
