"""The per-account sign-in failure count that asks for a captcha holds across servers and workers (Redis)."""

from __future__ import annotations

import pytest

from .harness import Browserless

pytestmark = pytest.mark.slow


@pytest.fixture
def server_settings(server_settings):
    return {**server_settings, "LOGIN_LIMIT_PER_IP": "100 per 10 minutes", "LOGIN_LIMIT_PER_ACCOUNT": "100 per hour",
            "LOGIN_CAPTCHA_AFTER_PER_ACCOUNT": "4 per 10 minutes"}


def _sign_in(server, password: str, client: Browserless | None = None) -> tuple[int, str]:
    client = client or Browserless(server.url)
    token = client.csrf("/login")
    status, text, _ = client.request("POST", "/login", {"csrf_token": token, "email": "ada@example.com",
                                                        "password": password})
    return status, text


def test_captcha_threshold_counts_failures_on_every_server(two_servers, user):
    # Four failures spread over two servers (four workers): per-process counts would each stay below 4.
    for attempt in range(4):
        status, text = _sign_in(two_servers[attempt % 2], "wrong password")
        assert status == 200 and ("Security check" in text) == (attempt == 3), attempt
    for server in two_servers:  # now every server asks for the captcha, even with the right password
        status, text = _sign_in(server, "correct horse battery")
        assert status == 200 and "Solve the security check" in text
