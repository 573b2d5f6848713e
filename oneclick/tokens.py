"""Every use of itsdangerous lives here: one salt per purpose, the key list honouring fallbacks.

Tokens carry a random public id and a version, never an email or a sequential id. A valid signature
only says that we issued the token; the database says whether it is still live.
"""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, Signer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode

LINK_SALT = "oneclick.link.v1"


def _secret_keys() -> list[str]:
    """Return the keys to verify with, oldest first; itsdangerous signs with the last one."""
    config = current_app.config
    return [*config["SECRET_KEY_FALLBACKS"], config["SECRET_KEY"]]


def signer(salt: str) -> Signer:
    """Return a timestamp-free signer for one purpose."""
    return Signer(_secret_keys(), salt=salt, sep=".")


def sign_link(public_id: str, version: int) -> str:
    """Return the token for a link's public id and version, as printed in ``/c/<token>``."""
    return signer(LINK_SALT).sign(f"{public_id}~{version:x}").decode("ascii")


def unsign_link(token: str) -> tuple[str, int] | None:
    """Return ``(public_id, version)`` for a genuine link token, or None for anything else."""
    if not token or len(token) > 200:
        return None
    try:
        payload = signer(LINK_SALT).unsign(token).decode("ascii")
        # base64 leaves spare bits in the last character: accept only the one spelling we issue.
        signature = token.rpartition(".")[2]
        if base64_encode(base64_decode(signature)).decode("ascii") != signature:
            return None
    except (BadSignature, UnicodeError, ValueError):
        return None
    public_id, sep, version = payload.partition("~")
    if not sep or not public_id:
        return None
    try:
        number = int(version, 16)
    except ValueError:
        return None
    if number < 1:
        return None
    return public_id, number


ACTIVATION_SALT = "oneclick.activate.v1"


def _timed(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret_keys(), salt=salt)


def password_fingerprint(password_hash: str) -> str:
    """Return a short digest of a password hash, so a token dies when the password changes.

    The hash carries its own random salt, so the digest reveals nothing a guess could be checked against.
    """
    return hashlib.sha256(password_hash.encode()).hexdigest()[:20]


def _unsign_account_token(salt: str, token: str, max_age: int) -> tuple[str, str] | None:
    if not token or len(token) > 300:
        return None
    try:
        value = _timed(salt).loads(token, max_age=max_age)
    except (BadSignature, UnicodeError, ValueError):
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) and v for v in value)):
        return None
    return value[0], value[1]


def sign_activation(public_id: str, password_hash: str) -> str:
    """Return a timed token that activates this account while its pending password is still ``password_hash``."""
    return _timed(ACTIVATION_SALT).dumps([public_id, password_fingerprint(password_hash)])


def unsign_activation(token: str, max_age: int) -> tuple[str, str] | None:
    """Return ``(public_id, password fingerprint)`` inside a genuine, unexpired activation token, else None."""
    return _unsign_account_token(ACTIVATION_SALT, token, max_age)


PASSWORD_RESET_SALT = "oneclick.password-reset.v1"  # noqa: S105 - a salt name, not a secret


def sign_password_reset(public_id: str, password_hash: str) -> str:
    """Return a timed reset token, good only while the account's password is still ``password_hash`` (single use)."""
    return _timed(PASSWORD_RESET_SALT).dumps([public_id, password_fingerprint(password_hash)])


def unsign_password_reset(token: str, max_age: int) -> tuple[str, str] | None:
    """Return ``(public_id, password fingerprint)`` inside a genuine, unexpired reset token, else None."""
    return _unsign_account_token(PASSWORD_RESET_SALT, token, max_age)


FORM_STARTED_SALT = "oneclick.form-started.v1"


def sign_form_started(now: datetime) -> str:
    """Return a signed timestamp of when a public form was shown (for the minimum fill time)."""
    return signer(FORM_STARTED_SALT).sign(str(int(now.timestamp()))).decode("ascii")


def form_started_age(value: str | None, now: datetime) -> float | None:
    """Return how many seconds ago a signed form timestamp was issued, or None when it isn't ours."""
    if not value or len(value) > 100:
        return None
    try:
        stamp = int(signer(FORM_STARTED_SALT).unsign(value).decode("ascii"))
    except (BadSignature, UnicodeError, ValueError):
        return None
    return now.timestamp() - stamp


SECOND_PRESS_SALT = "oneclick.second-press.v1"


def sign_second_press(started: str) -> str:
    """Return the marker a guest form carries after "That was quick!": its next press goes through.

    It signs the form's own start stamp, so it is good for that form only (and expires with the stamp).
    """
    return signer(SECOND_PRESS_SALT).sign(hashlib.sha256(started.encode()).hexdigest()[:32]).decode("ascii")


def is_second_press(marker: str | None, started: str | None) -> bool:
    """Return True when ``marker`` is our second-press marker for the form started at ``started``."""
    if not marker or not started or len(marker) > 200:
        return False
    try:
        payload = signer(SECOND_PRESS_SALT).unsign(marker).decode("ascii")
    except (BadSignature, UnicodeError):
        return False
    return payload == hashlib.sha256(started.encode()).hexdigest()[:32]


CLICK_COUNTED_SALT = "oneclick.click-counted.v1"


def sign_click_counted(public_id: str) -> str:
    """Return the marker a landing page's request form carries when its visit was counted as a click.

    A request posted without it (from a browser the bot filter took for a scanner, a page served to a HEAD, or
    no page at all) counts the click then, so a link never shows more requests than clicks. It names the link
    only (the same for every visitor), so the cached guest page holds it.
    """
    return signer(CLICK_COUNTED_SALT).sign(public_id).decode("ascii")


def is_click_counted(marker: str | None, public_id: str) -> bool:
    """Return True when ``marker`` is our click-counted marker for the link with this public id."""
    if not marker or len(marker) > 200:
        return False
    try:
        return signer(CLICK_COUNTED_SALT).unsign(marker).decode("ascii") == public_id
    except (BadSignature, UnicodeError):
        return False


GUEST_CONFIRM_SALT = "oneclick.guest-confirm.v1"


def sign_guest_confirmation(public_id: str) -> str:
    """Return the timed token of the confirmation link mailed to a guest for one pending request."""
    return _timed(GUEST_CONFIRM_SALT).dumps(public_id)


def unsign_guest_confirmation(token: str, max_age: int) -> tuple[str, str | None]:
    """Return ``("ok", public_id)``, ``("expired", None)`` or ``("bad", None)`` for a guest confirmation token."""
    if not token or len(token) > 300:
        return "bad", None
    try:
        value = _timed(GUEST_CONFIRM_SALT).loads(token, max_age=max_age)
    except SignatureExpired:
        return "expired", None
    except (BadSignature, UnicodeError, ValueError):
        return "bad", None
    return ("ok", value) if isinstance(value, str) and 0 < len(value) <= 16 else ("bad", None)


#: The purpose string of the key that encrypts webhook signing secrets at rest (oneclick/webhooks/crypto.py).
WEBHOOK_KEY_SALT = "oneclick.webhook-secret.v1"


#: The purpose string of the key that encrypts a guest's private link (what they sent, withdraw, erase).
GUEST_ACCESS_SALT = "oneclick.guest-access.v1"


def _guest_access_fernets() -> list:
    from cryptography.fernet import Fernet

    return [
        Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"{GUEST_ACCESS_SALT}\x00{key}".encode()).digest()))
        for key in reversed(_secret_keys())
    ]


def sign_guest_access(email: str) -> str:
    """Return the token of a guest's private link, bound to their (confirmed-by-mail) address.

    The address is encrypted, not only signed (tokens never show an email); the token carries when it was
    issued, so an erasure of the address revokes every link issued before it (``oneclick.privacy.services``).
    """
    return _guest_access_fernets()[0].encrypt(email.encode()).decode("ascii")


def unsign_guest_access(token: str, max_age: int) -> tuple[str, str | None, int | None]:
    """Return ``("ok", email, issued_at)``, ``("expired", None, None)`` or ``("bad", None, None)``."""
    from cryptography.fernet import InvalidToken

    if not token or len(token) > 400:
        return "bad", None, None
    for fernet in _guest_access_fernets():
        try:
            email = fernet.decrypt(token.encode("ascii")).decode()
            issued = fernet.extract_timestamp(token.encode("ascii"))
        except (InvalidToken, UnicodeError, ValueError):
            continue
        if time.time() - issued > max_age:
            return "expired", None, None
        return "ok", email, issued
    return "bad", None, None
