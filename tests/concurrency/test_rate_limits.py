"""Limits hold across several app servers because they share Redis."""

from __future__ import annotations

import pytest

from .harness import Browserless

pytestmark = pytest.mark.slow


@pytest.fixture
def server_settings(server_settings):
    return {**server_settings, "LOGIN_LIMIT_PER_IP": "6 per 10 minutes", "LOGIN_LIMIT_PER_ACCOUNT": "100 per hour"}


def test_per_ip_sign_in_limit_holds_across_two_servers(two_servers, user):
    client = Browserless(two_servers[0].url)
    statuses = []
    for attempt in range(10):
        server = two_servers[attempt % 2]
        token = client.csrf("/login", base_url=server.url)
        status, _, headers = client.request(
            "POST", "/login", {"csrf_token": token, "email": "ada@example.com", "password": "wrong password"},
            base_url=server.url,
        )
        statuses.append(status)
    assert statuses[:6] == [200] * 6, statuses
    assert statuses[6:] == [429] * 4, statuses
    assert int(headers["Retry-After"]) > 0
