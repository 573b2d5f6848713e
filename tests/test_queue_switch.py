"""QUEUE_URL=immediate (tasks run inline, without retries) is refused where it doesn't belong."""

from __future__ import annotations

import pytest

from oneclick.config import ConfigError, check

BASE = {"SECRET_KEY": "k" * 32, "SECRET_KEY_FALLBACKS": [], "PUBLIC_URL": "https://oneclick.example.com",
        "INVITE_MESSAGE_MAX": 300}


def test_an_inline_queue_only_in_testing_or_debug():
    with pytest.raises(ConfigError, match="QUEUE_URL=immediate"):
        check({**BASE, "QUEUE_URL": "immediate"}, debug=False)
    check({**BASE, "QUEUE_URL": "immediate"}, debug=True)
    check({**BASE, "QUEUE_URL": "immediate", "TESTING": True}, debug=False)
    check({**BASE, "QUEUE_URL": "redis://127.0.0.1:6379/0"}, debug=False)
