"""The two test-only switches are refused where they don't belong; https is the rule everywhere else."""

from __future__ import annotations

import pytest

from oneclick.config import ConfigError, check

BASE = {"SECRET_KEY": "k" * 32, "SECRET_KEY_FALLBACKS": [], "PUBLIC_URL": "https://oneclick.example.com",
        "INVITE_MESSAGE_MAX": 300}


def test_http_endpoints_only_in_testing_or_debug():
    with pytest.raises(ConfigError, match="WEBHOOK_ALLOW_HTTP"):
        check({**BASE, "WEBHOOK_ALLOW_HTTP": True}, debug=False)
    check({**BASE, "WEBHOOK_ALLOW_HTTP": True}, debug=True)
    check({**BASE, "WEBHOOK_ALLOW_HTTP": True, "TESTING": True}, debug=False)


def test_loopback_destinations_only_in_the_test_suite():
    for debug in (False, True):
        with pytest.raises(ConfigError, match="WEBHOOK_ALLOW_PRIVATE"):
            check({**BASE, "WEBHOOK_ALLOW_PRIVATE": True}, debug=debug)
    check({**BASE, "WEBHOOK_ALLOW_PRIVATE": True, "TESTING": True}, debug=False)


def test_the_defaults_are_off(app):
    assert app.config["WEBHOOK_ALLOW_HTTP"] is False and app.config["WEBHOOK_ALLOW_PRIVATE"] is False
