"""Webhook signing secrets at rest: encrypted (Fernet: AES-128-CBC + HMAC-SHA256) with a key derived from
SECRET_KEY, so a copy of the database alone does not let anyone sign as us. The server has to read a secret
to sign with it, so it can't be a one-way hash like the API tokens. SECRET_KEY_FALLBACKS still decrypt, so
rotating SECRET_KEY the documented way keeps every endpoint working (a rotated secret is stored under the new key).
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from ..tokens import WEBHOOK_KEY_SALT

PREFIX = "whsec_"


def new_secret() -> str:
    """Return a new Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _fernet(key: str) -> Fernet:
    derived = hashlib.sha256(f"{WEBHOOK_KEY_SALT}\x00{key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def _keys() -> MultiFernet:
    config = current_app.config
    return MultiFernet([_fernet(k) for k in [config["SECRET_KEY"], *config.get("SECRET_KEY_FALLBACKS", [])]])


def encrypt(secret: str) -> str:
    return _keys().encrypt(secret.encode()).decode("ascii")


def decrypt(stored: str) -> str | None:
    """Return the secret, or None when no configured key opens it (SECRET_KEY changed without a fallback)."""
    try:
        return _keys().decrypt(stored.encode()).decode()
    except (InvalidToken, ValueError):
        return None
