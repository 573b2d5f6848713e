"""Personal access tokens: create, list, revoke and authenticate. Each takes the acting user explicitly.

A raw token is ``oc_`` followed by 43 URL-safe characters (256 random bits). We keep only its SHA-256:
with that much entropy a preimage can't be guessed, so a fast hash is as safe as a slow one and lets every
API request find its token with one lookup on a unique index. The first characters stay visible as
``prefix`` so members can tell their tokens apart.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload

from .. import limits
from ..extensions import db
from ..models import ApiToken, User

TOKEN_PREFIX = "oc_"  # noqa: S105 - the visible marker of our tokens, not a secret
PREFIX_LENGTH = 10  # "oc_" and 7 random characters
_RAW_RE = re.compile(r"^oc_[A-Za-z0-9_-]{43}$")


def hash_token(raw: str) -> str:
    """Return the hex SHA-256 of a raw token, as stored."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_raw_token() -> str:
    """Return a fresh raw token with 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class TokenLimitReached(Exception):
    """The member already holds as many active tokens as allowed."""


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token just created: the stored row and the raw value, which is never available again."""

    token: ApiToken
    raw: str


def active_tokens(user: User) -> list[ApiToken]:
    """Return the member's tokens that are not revoked, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def create_token(user: User, name: str, now: datetime) -> NewToken:
    """Create a token for the member; raise TokenLimitReached when they hold the maximum already."""
    name = (name or "").strip()[: limits.TOKEN_NAME_MAX] or "API token"
    # Lock the member's row so two concurrent creates can't both pass the cap (SQLite: BEGIN IMMEDIATE).
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    held = db.session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if held >= current_app.config["API_TOKENS_MAX_PER_USER"]:
        db.session.rollback()
        raise TokenLimitReached
    raw = new_raw_token()
    token = ApiToken(
        user_id=user.id, name=name, prefix=raw[:PREFIX_LENGTH], token_hash=hash_token(raw), created_at=now
    )
    db.session.add(token)
    db.session.commit()
    return NewToken(token=token, raw=raw)


def revoke_token(user: User, token_id: int, now: datetime) -> bool:
    """Revoke the member's token; return False when it isn't theirs or was revoked already."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.commit()
    return result.rowcount == 1


def authenticate(raw: str | None, now: datetime) -> ApiToken | None:
    """Return the live token (with its member loaded) for a raw token, or None; note when it was used.

    The last-used time is written at most once per ``API_TOKEN_TOUCH_SECONDS`` per token, by a conditional
    UPDATE, so a busy integration doesn't turn every read into a write.
    """
    if not raw or not _RAW_RE.match(raw):
        return None
    token = db.session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == hash_token(raw), ApiToken.revoked_at.is_(None))
    )
    if token is None or token.user.email_verified_at is None:
        db.session.rollback()
        return None
    touch_before = now - timedelta(seconds=current_app.config["API_TOKEN_TOUCH_SECONDS"])
    if token.last_used_at is None or token.last_used_at <= touch_before:
        db.session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token.id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= touch_before),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    else:
        db.session.rollback()
    return token

