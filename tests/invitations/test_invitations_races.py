"""Races: many sends (and declines, and grants) at the same moment, each thread with its own app context,
session and database connection. Run on SQLite and on PostgreSQL (ONECLICK_TEST_DATABASE_URL).

tests/concurrency/test_invitation_races.py does the same through two gunicorn servers (four worker processes).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from oneclick.admin import services as support
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.invitations import services
from oneclick.models import AuditLog, Grant, Invitation, User

from ..factories import make_invitation, make_user, set_quota
from ..helpers import at_once
from .conftest import quota_of


def send_to_guest(sender_id: int, **extra):
    def send(i: int):
        sender = db.session.get(User, sender_id)
        result = services.send_invitation(sender, utcnow(), email=f"guest{i}@example.org", how_known="colleague",
                                          message="hello", **extra)
        return result.decision.reason

    return send


def invitation_count(app, sender_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Invitation).where(Invitation.sender_id == sender_id))


def test_forty_sends_at_allotment_minus_three_exactly_three_succeed(app, people):
    with app.app_context():
        set_quota(people.user(people.ada), invitations_sent=2997)
    reasons = at_once(app, 40, send_to_guest(people.ada.id), request_context=True)
    assert reasons.count("ok") == 3
    assert reasons.count("allotment_exhausted") == 37
    assert quota_of(app, people.ada).invitations_sent == 3000
    assert invitation_count(app, people.ada.id) == 3


def test_first_sends_ever_race_to_create_the_counter_row(app, people):
    app.config["INVITE_ALLOTMENT"] = 3
    assert quota_of(app, people.ada) is None
    reasons = at_once(app, 12, send_to_guest(people.ada.id), request_context=True)
    assert reasons.count("ok") == 3
    assert quota_of(app, people.ada).invitations_sent == 3
    assert invitation_count(app, people.ada.id) == 3


def test_twenty_sends_at_97_in_24h_only_three_go_without_captcha(app, people):
    with app.app_context():
        ada = people.user(people.ada)
        set_quota(ada, invitations_sent=197)
        for n in range(97):
            make_invitation(ada, recipient_email=f"earlier{n}@example.org", created_at=utcnow() - timedelta(hours=2))
        for n in range(100):  # older than 24 h: don't count for the captcha
            make_invitation(ada, recipient_email=f"old{n}@example.org", created_at=utcnow() - timedelta(hours=25))
    reasons = at_once(app, 20, send_to_guest(people.ada.id), request_context=True)
    assert reasons.count("ok") == 3
    assert reasons.count("captcha_required") == 17
    with app.app_context():
        since = utcnow() - timedelta(days=1)
        in_window = db.session.scalar(select(func.count()).select_from(Invitation)
                                      .where(Invitation.sender_id == people.ada.id, Invitation.created_at > since))
    assert in_window == 100
    assert quota_of(app, people.ada).invitations_sent == 200


def test_concurrent_declines_are_all_counted_and_restrict_once(app, people):
    with app.app_context():
        ada = people.user(people.ada)
        recipients = [make_user(email=f"r{n}@example.org") for n in range(12)]
        pairs = [(r.id, make_invitation(ada, r).public_id) for r in recipients]

    def decline(i: int):
        user_id, public_id = pairs[i]
        return services.respond(db.session.get(User, user_id), public_id, "idk" if i % 2 else "spam", utcnow()).reason

    assert at_once(app, len(pairs), decline, request_context=True) == ["ok"] * len(pairs)
    q = quota_of(app, people.ada)
    assert (q.declines_total, q.declines_since_lift, q.restricted, q.restrictions) == (12, 12, True, 1)
    with app.app_context():
        assert db.session.scalars(select(AuditLog.action)).all() == ["restricted"]


def test_double_decline_of_one_invitation_counts_once(app, people):
    with app.app_context():
        public_id = make_invitation(people.user(people.ada), people.user(people.bob)).public_id

    def decline(i: int):
        return services.respond(db.session.get(User, people.bob.id), public_id, "spam", utcnow()).reason

    reasons = at_once(app, 8, decline, request_context=True)
    assert reasons.count("ok") == 1
    assert quota_of(app, people.ada).declines_total == 1


def test_two_support_agents_grant_at_once_only_one_grant(app, people):
    with app.app_context():
        set_quota(people.user(people.ada), invitations_sent=3000)

    def grant(i: int):
        member = db.session.get(User, people.ada.id)
        actor = db.session.get(User, people.root.id)
        return support.grant(actor, member, 500 + i, utcnow()).reason

    reasons = at_once(app, 6, grant, request_context=True)
    assert reasons.count("ok") == 1 and reasons.count("grant_too_soon") == 5
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Grant)) == 1
    assert 500 <= quota_of(app, people.ada).extra_allotment <= 505


def test_concurrent_self_lift_lifts_once(app, people):
    with app.app_context():
        set_quota(people.user(people.ada), restricted=True, restrictions=1, declines_since_lift=5)

    def lift(i: int):
        return services.self_lift(db.session.get(User, people.ada.id), utcnow()).reason

    reasons = at_once(app, 6, lift, request_context=True)
    assert reasons.count("ok") == 1 and reasons.count("not_restricted") == 5


def test_concurrent_captcha_views_store_one_captcha(app, people):
    """Eight invite pages (or API refusals) at once: one live captcha row, the same one for all of them."""
    from oneclick.invitations import captcha as captchas
    from oneclick.models import Captcha

    def view(i: int):
        row = captchas.issue(people.ada.id, utcnow())
        db.session.commit()
        return row.id

    for _ in range(3):  # a few rounds: each starts with no live captcha (the previous one is answered)
        ids = at_once(app, 8, view)
        assert len(set(ids)) == 1
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Captcha).where(Captcha.used_at.is_(None))) == 1
            assert not captchas.consume(people.ada.id, ids[0], "not it", utcnow())
            db.session.commit()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Captcha).where(Captcha.used_at.is_(None))) == 0
