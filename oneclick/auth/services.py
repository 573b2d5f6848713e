"""Account operations. Each takes the acting user explicitly and commits one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template, url_for
from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import tokens
from ..clock import utcnow
from ..extensions import db
from ..mail import send_mail
from ..models import User, new_session_token

# Checked against when no account matches, so an unknown email costs the same time as a wrong password.
_DUMMY_HASH: dict[str, str] = {}


def hash_password(password: str) -> str:
    """Return a salted, memory-hard hash of ``password``."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASH:
        _DUMMY_HASH[method] = generate_password_hash("not a password", method=method)
    return _DUMMY_HASH[method]


def find_user_by_email(email: str) -> User | None:
    """Return the user with this (normalised) email, if any."""
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(email: str, name: str, password: str, *, admin: bool = False, verified: bool = True) -> User:
    """Create an account (for operators and tests; visitors go through ``register``)."""
    user = User(
        email=email.strip().lower(),
        name=name.strip(),
        password_hash=hash_password(password),
        is_admin=admin,
        email_verified_at=utcnow() if verified else None,
    )
    db.session.add(user)
    db.session.commit()
    return user


def register(email: str, name: str, password: str) -> None:
    """Start a registration: mail an activation link, or a note if the address already has an account.

    The page shown afterwards is the same either way, so registration never tells a stranger which
    addresses have accounts.
    """
    existing = find_user_by_email(email)
    if existing is not None:
        hash_password(password)  # same work as the other branch
        send_mail(
            existing.email,
            "Someone tried to register with your address",
            render_template("email/already_registered.txt", user=existing, login_url=_absolute("auth.login")),
        )
        return
    user = User(email=email, name=name, password_hash=hash_password(password))
    db.session.add(user)
    db.session.commit()
    url = _absolute("auth.activate", token=tokens.sign_activation(user.public_id))
    send_mail(user.email, "Activate your oneclick account", render_template("email/activate.txt", user=user, url=url))


def activate(token: str) -> User | None:
    """Mark the account in ``token`` verified and return it; None for a bad, expired or used token."""
    public_id = tokens.unsign_activation(token, current_app.config["ACTIVATION_MAX_AGE"])
    if public_id is None:
        return None
    user = db.session.scalar(select(User).where(User.public_id == public_id))
    if user is None or user.email_verified_at is not None:
        return None
    user.email_verified_at = utcnow()
    # Requests and connections made as a guest with this address now belong to the member.
    from ..requests.services import attach_guest_history

    attach_guest_history(user, user.email_verified_at)
    # Invitations sent to this address before the account existed are waiting for the member.
    from ..invitations.services import claim_invitations

    claim_invitations(user)
    db.session.commit()
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    reason: str  # "ok", "bad_credentials" or "unverified"


def authenticate(email: str, password: str) -> LoginResult:
    """Check a sign-in attempt; the same work is done whether or not the account exists."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return LoginResult(None, "bad_credentials")
    if not check_password_hash(user.password_hash, password):
        return LoginResult(None, "bad_credentials")
    if user.email_verified_at is None:
        return LoginResult(None, "unverified")
    user.last_login_at = utcnow()
    db.session.commit()
    return LoginResult(user, "ok")


def end_all_sessions(user: User) -> None:
    """Sign ``user`` out everywhere: every session and remember cookie stops working."""
    user.session_token = new_session_token()
    db.session.commit()


def change_password(user: User, current: str, new: str) -> bool:
    """Change the password if ``current`` is right; ends every other session. Return success."""
    if not check_password_hash(user.password_hash, current):
        return False
    user.password_hash = hash_password(new)
    user.session_token = new_session_token()
    db.session.commit()
    return True


def handle_taken(user: User, handle: str | None) -> bool:
    """Return True when another account already uses ``handle``."""
    if not handle:
        return False
    return db.session.scalar(select(User.id).where(User.handle == handle, User.id != user.id)) is not None


def update_profile(user: User, name: str, headline: str, handle: str | None) -> None:
    """Save the profile fields."""
    user.name = name
    user.headline = headline or ""
    user.handle = handle or None
    db.session.commit()


def delete_account(user: User, password: str) -> bool:
    """Delete the account and everything it owns if the password is right. Return success."""
    if not check_password_hash(user.password_hash, password):
        return False
    # ON DELETE CASCADE removes links, stats, requests, connections and blocks with the user.
    db.session.execute(delete(User).where(User.id == user.id))
    db.session.commit()
    return True


def _absolute(endpoint: str, **values) -> str:
    return current_app.config["PUBLIC_URL"] + url_for(endpoint, **values)
