"""Fixtures for the invitation tests: a few members, and helpers to act as them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from oneclick.extensions import db
from oneclick.models import Captcha, Invitation, MemberQuota, User

from ..conftest import csrf_from
from ..factories import make_user


@dataclass(frozen=True)
class Ref:
    id: int
    email: str
    name: str
    public_id: str


def ref(user: User) -> Ref:
    return Ref(user.id, user.email, user.name, user.public_id)


class People:
    """ada (the sender in most tests), bob, cy, dee and eve (recipients); root is a support admin."""

    def __init__(self, app):
        self.app = app
        with app.app_context():
            self.ada = ref(make_user(email="ada@example.com", name="Ada Lovelace", handle="ada"))
            self.bob = ref(make_user(email="bob@example.com", name="Bob Babbage", handle="bobb"))
            self.cy = ref(make_user(email="cy@example.com", name="Cy Clone"))
            self.dee = ref(make_user(email="dee@example.com", name="Dee Dee"))
            self.eve = ref(make_user(email="eve@example.com", name="Eve Evans"))
            self.root = ref(make_user(email="root@example.com", name="Root Support", is_admin=True))

    def user(self, who: Ref) -> User:
        """Return the ORM user in the current app context."""
        return db.session.get(User, who.id)


@pytest.fixture
def people(app):
    return People(app)


@pytest.fixture
def as_member(client, auth):
    """Sign the test client in as a member; returns the auth helper."""

    def sign_in(who: Ref):
        response = auth.login(who.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return auth

    return sign_in


def post_form(client, path: str, data: dict | None = None, token_from: str = "/settings", **kwargs):  # noqa: S107
    """POST with a real CSRF token taken from a page that has one."""
    token = csrf_from(client.get(token_from).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)


def quota_of(app, who: Ref) -> MemberQuota | None:
    with app.app_context():
        row = db.session.get(MemberQuota, who.id)
        if row is not None:
            db.session.expunge(row)
        return row


def invitations_of(app, who: Ref) -> list[Invitation]:
    from sqlalchemy import select

    with app.app_context():
        stmt = select(Invitation).where(Invitation.sender_id == who.id).order_by(Invitation.id)
        rows = db.session.scalars(stmt).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def known_captcha_answer(app, captcha_id: str, answer: str = "424242") -> str:
    """Give an issued captcha a known answer (the real one is random and stored only as a hash)."""
    from oneclick.invitations.captcha import _hash

    with app.app_context():
        row = db.session.get(Captcha, captcha_id)
        row.answer_hash = _hash(captcha_id, answer)
        db.session.commit()
    return answer
