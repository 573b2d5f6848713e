"""Account operations. Each takes the acting user explicitly and commits one transaction."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .. import emails, tokens
from ..clock import utcnow
from ..extensions import db
from ..invitations import captcha as captchas
from ..models import Captcha, User, new_session_token
from . import attempts

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

    A repeat registration of an address nobody verified yet replaces the pending name and password and mails a
    fresh link; the link is bound to the pending password, so every older link dies with it and the password
    that works after activation is the one the owner of the address typed last. The page shown afterwards is
    the same in every case, so registration never tells a stranger which addresses have accounts.
    """
    email = email.strip().lower()
    password_hash = hash_password(password)  # same work in every branch
    now = utcnow()
    for _ in range(2):  # a second pass when a concurrent registration of the same address won the insert
        existing = find_user_by_email(email)
        if existing is None:
            user = User(email=email, name=name, password_hash=password_hash, activation_sent_at=now)
            db.session.add(user)
            try:
                db.session.flush()
            except IntegrityError:
                db.session.rollback()
                continue
            _send_activation(user)  # queued in the transaction that creates the account
            db.session.commit()
            return
        if existing.email_verified_at is None and _replace_pending(existing, name, password_hash, now):
            _send_activation(existing)
            db.session.commit()
            return
        _send_already_registered(existing, "register")
        db.session.commit()
        return


def _replace_pending(user: User, name: str, password_hash: str, now) -> bool:
    """Give a still-unverified account a new pending name and password; False when it was verified meanwhile.
    The caller commits (after queueing the activation mail in the same transaction)."""
    done = db.session.execute(
        update(User)
        .where(User.id == user.id, User.email_verified_at.is_(None))
        .values(name=name, password_hash=password_hash, activation_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user)
    return done.rowcount == 1


def _send_activation(user: User) -> None:
    emails.send_activation(user.email, tokens.sign_activation(user.public_id, user.password_hash))


def _send_already_registered(user: User, reason: str) -> None:
    emails.send_already_registered(user.email, user.name, reason)


def resend_activation(email: str) -> None:
    """Mail a fresh activation link to an account waiting for one; any other address gets a short note instead.

    Exactly one message leaves in every case, so neither the page nor its timing tells a stranger anything.
    """
    user = find_user_by_email(email)
    if user is None:
        emails.send_no_account(email.strip().lower(), "activation")
        db.session.commit()
        return
    if user.email_verified_at is not None:
        _send_already_registered(user, "activation")
        db.session.commit()
        return
    db.session.execute(
        update(User)
        .where(User.id == user.id, User.email_verified_at.is_(None))
        .values(activation_sent_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    _send_activation(user)
    db.session.commit()


def _pending_by_token(token: str) -> User | None:
    """Return the unverified account a live activation token names (its pending password unchanged), else None."""
    found = tokens.unsign_activation(token, current_app.config["ACTIVATION_MAX_AGE"])
    if found is None:
        return None
    public_id, fingerprint = found
    user = db.session.scalar(select(User).where(User.public_id == public_id[:16]))
    if user is None or user.email_verified_at is not None:
        return None
    if not hmac.compare_digest(tokens.password_fingerprint(user.password_hash), fingerprint):
        return None
    return user


def activation_target(token: str) -> User | None:
    """Return the account an activation link may still activate, or None (bad, expired, used or superseded)."""
    return _pending_by_token(token)


@dataclass(frozen=True)
class ActivationResult:
    user: User | None
    reason: str  # "ok", "invalid" or "wrong_password"


def activate(token: str, password: str) -> ActivationResult:
    """Verify the address in ``token`` when ``password`` is the pending one, and attach what waited for it.

    Whoever opens the mail must also know the password chosen at (the latest) registration, so a stranger who
    registered the address first can never end up sharing the account with its owner.
    """
    user = _pending_by_token(token)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return ActivationResult(None, "invalid")
    if not check_password_hash(user.password_hash, password):
        return ActivationResult(None, "wrong_password")
    now = utcnow()
    done = db.session.execute(
        update(User)
        .where(User.id == user.id, User.email_verified_at.is_(None), User.password_hash == user.password_hash)
        .values(email_verified_at=now, activation_sent_at=None)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        db.session.rollback()
        return ActivationResult(None, "invalid")
    db.session.refresh(user)
    _on_verified(user)
    db.session.commit()
    return ActivationResult(user, "ok")


def _on_verified(user: User) -> None:
    """Attach what waited for the address now that its owner proved it (part of the caller's transaction)."""
    # Requests and connections made as a guest with this address now belong to the member.
    from ..inbox.services import attach_guest_history

    attach_guest_history(user, user.email_verified_at)
    # Invitations sent to this address before the account existed are waiting for the member.
    from ..invitations.services import claim_invitations

    claim_invitations(user)


def request_password_reset(email: str) -> None:
    """Mail a single-use reset link to the account with this address; any other address gets a short note.

    Exactly one message leaves in every case, so neither the page nor its timing tells a stranger anything.
    """
    user = find_user_by_email(email)
    if user is None:
        emails.send_no_account(email.strip().lower(), "reset")
        db.session.commit()
        return
    emails.send_password_reset(user.email, user.name, tokens.sign_password_reset(user.public_id, user.password_hash))
    db.session.commit()


def reset_target(token: str) -> User | None:
    """Return the account a reset link may still change (unexpired, and its password unchanged since), or None."""
    found = tokens.unsign_password_reset(token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    if found is None:
        return None
    public_id, fingerprint = found
    user = db.session.scalar(select(User).where(User.public_id == public_id[:16]))
    if user is None or not hmac.compare_digest(tokens.password_fingerprint(user.password_hash), fingerprint):
        return None
    return user


def reset_password(token: str, new_password: str) -> User | None:
    """Set a new password from a reset link and end every session; None when the link is no longer good.

    The link proves the address, so an account nobody had verified is verified by it (its pending password,
    possibly a stranger's, is gone). Single use: the link names the old password, which this replaces.
    """
    user = reset_target(token)
    if user is None:
        hash_password(new_password)  # same work either way
        return None
    now = utcnow()
    newly_verified = user.email_verified_at is None
    values = {"password_hash": hash_password(new_password), "session_token": new_session_token()}
    if newly_verified:
        values.update(email_verified_at=now, activation_sent_at=None)
    done = db.session.execute(
        update(User)
        .where(User.id == user.id, User.password_hash == user.password_hash)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        db.session.rollback()
        return None
    db.session.refresh(user)
    if newly_verified:
        _on_verified(user)
    db.session.commit()
    return user


def purge_unverified(now) -> int:
    """Delete accounts nobody verified within ACTIVATION_MAX_AGE of their last activation mail; return how many."""
    cutoff = now - timedelta(seconds=int(current_app.config["ACTIVATION_MAX_AGE"]))
    stale = (
        User.email_verified_at.is_(None),
        func.coalesce(User.activation_sent_at, User.created_at) < cutoff,
    )
    ids = list(db.session.scalars(select(User.id).where(*stale).with_for_update()))
    if not ids:
        db.session.rollback()
        return 0
    # Invitations addressed to such an account stay the sender's, as invitations to the address.
    from ..models import Invitation

    db.session.execute(
        update(Invitation).where(Invitation.recipient_id.in_(ids)).values(recipient_id=None)
        .execution_options(synchronize_session=False)
    )
    # ON DELETE CASCADE removes what the account owned; the conditions again, so an activation that won stays.
    done = db.session.execute(delete(User).where(User.id.in_(ids), *stale).execution_options(synchronize_session=False))
    db.session.commit()
    return done.rowcount


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    # "ok", "bad_credentials", "unverified", "captcha_required" or "captcha_wrong"
    reason: str
    needs_captcha: bool = False


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


def sign_in(email: str, password: str, captcha_id: str | None, captcha_answer: str | None) -> LoginResult:
    """Check a sign-in, asking for the visitor's captcha while the account is under attack.

    Failures are counted per typed address from anywhere (``attempts``); past the threshold the right password
    needs a solved captcha too, and then always gets in. The captcha is the visitor's own (its id lives in
    their session), so an attacker can't use up the owner's. Nothing here depends on whether the account
    exists, so neither the answer nor its timing tells.
    """
    needs_captcha = attempts.captcha_needed(email)
    if needs_captcha:
        solved = captcha_answer and captchas.consume(None, captcha_id, captcha_answer, utcnow())
        db.session.commit()  # a captcha, once tried, stays used
        if not solved:
            check_password_hash(_dummy_hash(), password)  # same work as a checked password
            attempts.record_failure(email)
            return LoginResult(None, "captcha_wrong" if captcha_answer else "captcha_required", True)
    result = authenticate(email, password)
    if result.reason == "bad_credentials":
        attempts.record_failure(email)
        return LoginResult(None, "bad_credentials", attempts.captcha_needed(email))
    return result


def login_captcha(captcha_id: str | None, kind: str | None = None) -> Captcha:
    """Return the visitor's live sign-in captcha, or issue one (of ``kind``, when they asked to switch)."""
    now = utcnow()
    row = captchas.challenge(None, captcha_id, now) if captcha_id else None
    if row is not None and row.purpose == "login" and (kind is None or row.kind == kind):
        return row
    if row is not None:  # switching between picture and audio: the unanswered one goes, its answer with it
        db.session.execute(delete(Captcha).where(Captcha.id == row.id, Captcha.user_id.is_(None)))
    row = captchas.create(None, now, kind or "image", purpose="login")
    db.session.commit()
    return row


def login_captcha_media(captcha_id: str | None, wanted_id: str, ext: str) -> Captcha | None:
    """Return the visitor's own live sign-in captcha for its image or audio, or None."""
    if not captcha_id or wanted_id != captcha_id:
        return None
    row = captchas.challenge(None, captcha_id, utcnow())
    if row is None or row.purpose != "login" or row.kind != {"png": "image", "wav": "audio"}.get(ext):
        return None
    return row


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
    email, name = user.email, user.name
    db.session.execute(delete(User).where(User.id == user.id))
    emails.send_account_deleted(email, name, utcnow())  # the receipt, queued in the same transaction
    db.session.commit()
    return True
