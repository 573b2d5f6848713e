"""Link tokens: signed public id + version, no timestamp, own salt, SECRET_KEY_FALLBACKS honoured."""

from __future__ import annotations

import pytest
from flask import Flask

from oneclick import tokens


def _app(key: str, fallbacks: list[str] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=key, SECRET_KEY_FALLBACKS=fallbacks or [])
    return app


def test_round_trip_and_shape():
    with _app("k" * 32).app_context():
        token = tokens.sign_link("AbCdEfGhIjKl", 3)
        assert tokens.unsign_link(token) == ("AbCdEfGhIjKl", 3)
        # Short and URL-safe: the whole thing fits in a small QR code.
        assert len(token) <= 45
        assert all(c.isalnum() or c in "-_.~" for c in token)
        # Deterministic (no timestamp): a printed link stays the same link.
        assert tokens.sign_link("AbCdEfGhIjKl", 3) == token


def test_version_is_part_of_the_signature():
    with _app("k" * 32).app_context():
        v1, v2 = tokens.sign_link("pid", 1), tokens.sign_link("pid", 2)
        assert v1 != v2
        forged = v1.replace("~1.", "~2.")
        assert tokens.unsign_link(forged) is None


@pytest.mark.parametrize(
    "bad", ["", "x", "a.b", "pid~1", ".", "~.", "pid~zz.sig", "é~1.abc", "a" * 500, "pid~1.", "\x00~1.a"]
)
def test_garbage_is_rejected(bad):
    with _app("k" * 32).app_context():
        assert tokens.unsign_link(bad) is None


def test_every_single_character_change_is_rejected():
    with _app("k" * 32).app_context():
        token = tokens.sign_link("AbCdEfGhIjKl", 1)
        for i, ch in enumerate(token):
            mutated = token[:i] + ("A" if ch != "A" else "B") + token[i + 1 :]
            assert tokens.unsign_link(mutated) is None, mutated


def test_other_key_or_other_salt_is_rejected():
    with _app("k" * 32).app_context():
        token = tokens.sign_link("pid", 1)
        other_salt = tokens.signer("oneclick.other.v1").sign("pid~1").decode()
    with _app("z" * 32).app_context():
        assert tokens.unsign_link(token) is None
    with _app("k" * 32).app_context():
        assert tokens.unsign_link(other_salt) is None


def test_old_key_in_fallbacks_keeps_tokens_valid_and_new_ones_use_the_new_key():
    with _app("old-key-" * 4).app_context():
        old = tokens.sign_link("pid", 1)
    with _app("new-key-" * 4, fallbacks=["old-key-" * 4]).app_context():
        assert tokens.unsign_link(old) == ("pid", 1)
        fresh = tokens.sign_link("pid", 1)
    assert fresh != old
    with _app("new-key-" * 4).app_context():
        assert tokens.unsign_link(fresh) == ("pid", 1)
        assert tokens.unsign_link(old) is None  # once the fallback is dropped, the old key is gone


def test_only_the_canonical_spelling_of_a_signature_is_accepted():
    # The last base64 character carries spare bits; other spellings decode to the same bytes.
    import string

    with _app("k" * 32).app_context():
        for pid in ("AbCdEfGhIjKl", "a32ApwSXqgwW", "zzzzzzzzzzzz"):
            token = tokens.sign_link(pid, 1)
            accepted = [c for c in string.ascii_letters + string.digits + "-_" if tokens.unsign_link(token[:-1] + c)]
            assert accepted == [token[-1]]
