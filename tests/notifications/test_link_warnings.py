"""Warnings before a link stops working: on the dashboard and the links list, and by mail and notification once
per link and threshold. The request-limit warning fires with the request that reaches it (same transaction);
the expiry warning from ``send_link_warnings(now)`` / ``flask links warn``. A new limit or expiry re-arms it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.inbox import services as inbox
from oneclick.links import services as links
from oneclick.models import InviteLink, LinkWarning, Notification, User
from oneclick.notifications import services

from ..conftest import body
from ..factories import make_invite_link, make_request, make_user
from ..helpers import at_once


def _outbox(app):
    return app.extensions.setdefault("oneclick.outbox", [])


def _warning_mails(app):
    return [(m["To"], m["Subject"]) for m in _outbox(app) if m["Subject"].startswith("Your link")]


def _events(app, kind):
    with app.app_context():
        return [(n.user_id, n.subject_id, n.payload) for n in
                db.session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id))]


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", body(response)).split())


@pytest.fixture
def limited(app):
    """Ada's link "Slides" with a limit of 10 and 7 requests so far; Grace and Linus, members who may ask."""
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace")
        link, token = make_invite_link(ada, label="Slides", max_requests=10)
        for _ in range(7):
            make_request(ada, link)
        members = [make_user(email=f"{n}@example.com", name=n.title()).id for n in ("grace", "linus", "margaret")]
        return {"ada": ada.id, "link": link.id, "token": token, "members": members}


def _send(member_id, token):
    return inbox.send_request(token, db.session.get(User, member_id), "", "", "", utcnow())


def test_the_request_that_reaches_80_percent_warns_once(app, limited):
    with app.app_context():
        assert _send(limited["members"][0], limited["token"]).outcome == "sent"  # 8 of 10
    assert _warning_mails(app) == [("ada@example.com", 'Your link "Slides": 8 of 10 requests used')]
    assert _events(app, "link_requests") == [(limited["ada"], limited["link"], {"label": "Slides", "used": 8,
                                                                                "max": 10})]
    with app.app_context():
        assert _send(limited["members"][1], limited["token"]).outcome == "sent"  # 9 of 10: warned already
    assert len(_warning_mails(app)) == 1 and len(_events(app, "link_requests")) == 1


def test_two_requests_crossing_the_threshold_at_once_warn_once(app, limited):
    with app.app_context():
        make_request(db.session.get(User, limited["ada"]), db.session.get(InviteLink, limited["link"]))  # 8 of 10
        db.session.execute(sa.delete(Notification))
        db.session.commit()
    # Two requests at once: 9 and 10 of 10 (the threshold of 8 was passed without one: a row stored directly).
    outcomes = at_once(app, 2, lambda i: _send(limited["members"][i], limited["token"]).outcome)
    assert sorted(outcomes) == ["sent", "sent"]
    assert len(_warning_mails(app)) == 1 and len(_events(app, "link_requests")) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LinkWarning)) == 1


def test_the_link_still_pauses_itself_at_its_limit(app, limited):
    with app.app_context():
        for member in limited["members"][:2]:
            _send(member, limited["token"])
        make_request(db.session.get(User, limited["ada"]), db.session.get(InviteLink, limited["link"]))  # 10 of 10
        result = _send(limited["members"][2], limited["token"])
    assert (result.outcome, result.link_state) == ("unavailable", "full")


def test_one_warning_row_per_link_and_kind(app, limited):
    now = utcnow()
    with app.app_context():
        db.session.add(LinkWarning(link_id=limited["link"], kind="requests", fired_for="10", fired_at=now))
        db.session.commit()
        db.session.add(LinkWarning(link_id=limited["link"], kind="requests", fired_for="20", fired_at=now))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_a_new_limit_rearms_the_warning_and_a_rotation_does_not(app, limited):
    with app.app_context():
        ada = db.session.get(User, limited["ada"])
        _send(limited["members"][0], limited["token"])  # 8 of 10: warned
        assert links.rotate_link(ada, limited["link"])
        token = links.link_token(db.session.get(InviteLink, limited["link"]))
        _send(limited["members"][1], token)  # 9 of 10 through the new URL: still warned already
        assert len(_warning_mails(app)) == 1
        assert links.change_link(ada, limited["link"], {"max_requests": 11})  # 9 of 11 is over 80 % of 11 too
        _send(limited["members"][2], token)  # 10 of 11: the new limit's warning
    assert [s for _, s in _warning_mails(app)] == ['Your link "Slides": 8 of 10 requests used',
                                                    'Your link "Slides": 10 of 11 requests used']


def test_a_guest_confirmation_can_fire_the_warning(app, client, limited):
    from ..inbox.helpers import guest_request

    guest_request(client, app, limited["token"])
    assert _warning_mails(app) == [("ada@example.com", 'Your link "Slides": 8 of 10 requests used')]


# --- Expiry: the periodic sweep --------------------------------------------------------------------------------


@pytest.fixture
def expiring(app):
    now = utcnow()
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace")
        soon, _ = make_invite_link(ada, label="Soon", expires_at=now + timedelta(hours=20))
        make_invite_link(ada, label="Later", expires_at=now + timedelta(hours=30))
        make_invite_link(ada, label="Paused", expires_at=now + timedelta(hours=5), active=False)
        make_invite_link(ada, label="Gone", expires_at=now - timedelta(hours=1))
        full, _ = make_invite_link(ada, label="Full", expires_at=now + timedelta(hours=5), max_requests=1)
        make_request(ada, full)
        return {"ada": ada.id, "soon": soon.id, "now": now}


def test_the_sweep_warns_once_per_link_and_expiry(app, expiring):
    now = expiring["now"]
    with app.app_context():
        assert services.send_link_warnings(now) == 1
        assert services.send_link_warnings(now) == 0  # idempotent
        assert services.send_link_warnings(now + timedelta(hours=2)) == 0
    assert _warning_mails(app) == [("ada@example.com", 'Your link "Soon": expires in 20 hours')]
    [(user_id, link_id, payload)] = _events(app, "link_expiring")
    assert (user_id, link_id, payload["label"]) == (expiring["ada"], expiring["soon"], "Soon")
    # A new expiry re-arms it; moving the clock on alone does not.
    with app.app_context():
        ada = db.session.get(User, expiring["ada"])
        links.change_link(ada, expiring["soon"], {"expires_at": now + timedelta(hours=10)})
        assert services.send_link_warnings(now) == 1
    assert _warning_mails(app)[-1] == ("ada@example.com", 'Your link "Soon": expires in 10 hours')


def test_the_sweep_is_safe_to_run_twice_at_once(app, expiring):
    fired = at_once(app, 2, lambda i: services.send_link_warnings(expiring["now"]))
    assert sorted(fired) == [0, 1]
    assert len(_warning_mails(app)) == 1 and len(_events(app, "link_expiring")) == 1


def test_a_failed_mail_is_tried_again_on_the_next_run(app, expiring, monkeypatch):
    from oneclick import emails

    def refuse(*args, **kwargs):
        raise OSError("SMTP server down")

    with app.app_context():
        monkeypatch.setattr(emails, "send_link_warning", refuse)
        assert services.send_link_warnings(expiring["now"]) == 0
        assert _events(app, "link_expiring") == []
        monkeypatch.undo()
        assert services.send_link_warnings(expiring["now"]) == 1


def test_the_cli_command_runs_the_sweep(app, expiring, runner):
    result = runner.invoke(args=["links", "warn"])
    assert result.exit_code == 0 and "Sent 1 expiry warning." in result.output
    assert runner.invoke(args=["links", "warn"]).output.strip() == "Sent 0 expiry warnings."


# --- Shown on the dashboard and the links list -----------------------------------------------------------------


def test_the_dashboard_warns_about_links_that_will_soon_stop(app, client, auth, limited):
    now = utcnow()
    with app.app_context():
        ada = db.session.get(User, limited["ada"])
        make_invite_link(ada, label="Workshop", expires_at=now + timedelta(hours=20, minutes=30))
        make_invite_link(ada, label="Quiet")
        make_request(ada, db.session.get(InviteLink, limited["link"]))  # 8 of 10
    auth.login("ada@example.com")
    text = _text(client.get("/dashboard"))
    assert "Links that will soon stop working" in text
    assert "Slides : 8 of 10 requests used" in text and "Workshop : Expires in 20 hours" in text
    assert "Quiet :" not in text


def test_no_warning_section_without_reason(app, client, auth, limited):
    auth.login("ada@example.com")  # 7 of 10: under 80 %
    assert "Links that will soon stop working" not in body(client.get("/dashboard"))


def test_the_links_list_shows_each_links_warning(app, client, auth, limited):
    now = utcnow()
    with app.app_context():
        ada = db.session.get(User, limited["ada"])
        make_invite_link(ada, label="Workshop", expires_at=now + timedelta(minutes=30, seconds=30))
        make_request(ada, db.session.get(InviteLink, limited["link"]))  # 8 of 10
    auth.login("ada@example.com")
    html = body(client.get("/links"))
    assert re.search(r'class="link-warning link-warning-requests">8 of 10 requests used', html)
    assert re.search(r'class="link-warning link-warning-expiring">Expires in 30 minutes', html)
