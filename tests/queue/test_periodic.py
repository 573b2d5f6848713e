"""The periodic jobs run from the queue's scheduler: the schedule, and that each job does its command's work.

The jobs are the ``flask`` commands' service functions, so cron users keep the commands (tests/test_cli.py and the
feature tests cover those); here each task is run the way the consumer runs it (the suite's queue runs inline)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from oneclick import enqueue, tasks
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.mail import outbox, send_mail
from oneclick.models import Captcha, GuestConfirmation, MailOutbox, User

from ..factories import make_invite_link, make_request, make_user


def at(hour: int, minute: int) -> datetime:
    """A naive UTC time, as Huey's scheduler passes it (utc=True)."""
    return datetime(2026, 12, 2, hour, minute)


def runs_at(task, times) -> list[tuple[int, int]]:
    """The (hour, minute) pairs among ``times`` at which the consumer's scheduler enqueues ``task`` (UTC)."""
    periodic = task.task_class()
    return [(h, m) for h, m in times if periodic.validate_datetime(at(h, m))]


def test_the_schedule():
    day = [(h, m) for h in range(24) for m in range(60)]
    assert len(runs_at(tasks.sweep_outbox, day)) == 24 * 60  # every minute
    assert runs_at(tasks.daily_digest, day) == [(7, 0)]
    assert runs_at(tasks.purges, day) == [(h, 17) for h in range(24)]
    assert runs_at(tasks.link_warnings, day) == [(h, 5) for h in range(24)]


def test_the_digest_job_mails_daily_owners_once(app):
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace", notify_mode="daily")
        make_request(ada, name="Grace Hopper", requester_email="grace@example.com")
    tasks.daily_digest()
    tasks.daily_digest()  # run twice (two schedulers, or cron as well): one mail
    with app.app_context():
        assert [(m["To"], m["Subject"]) for m in outbox()] == [("ada@example.com", "1 new connection request")]
        assert db.session.scalar(select(func.count()).select_from(MailOutbox).where(MailOutbox.status == "sent")) == 1


def test_the_purge_job_deletes_what_each_purge_command_deletes(app):
    now = utcnow()
    with app.app_context():
        owner = make_user(email="ada@example.com")
        link, _ = make_invite_link(owner)
        make_user(email="never@example.com", email_verified_at=None,
                  activation_sent_at=now - timedelta(seconds=app.config["ACTIVATION_MAX_AGE"] + 60))
        keep = make_user(email="fresh@example.com", email_verified_at=None, activation_sent_at=now)
        db.session.add(GuestConfirmation(owner_id=owner.id, link_id=link.id, email="old@example.org", name="Old",
                                         note="", created_at=now - timedelta(days=5),
                                         sent_at=now - timedelta(days=5)))
        db.session.add(Captcha(id="c1", user_id=owner.id, kind="image", answer_hash="h", challenge=b"png",
                               created_at=now - timedelta(hours=2), expires_at=now - timedelta(hours=1)))
        db.session.commit()
        keep_id = keep.id
    tasks.purges()
    with app.app_context():
        assert db.session.scalars(select(User.email).order_by(User.id)).all() == ["ada@example.com",
                                                                                  "fresh@example.com"]
        assert db.session.get(User, keep_id) is not None
        assert db.session.scalar(select(func.count()).select_from(GuestConfirmation)) == 0
        assert db.session.scalar(select(func.count()).select_from(Captcha)) == 0


def test_the_sweeper_job_sends_a_mail_whose_enqueue_was_lost(app):
    with app.app_context():
        now = utcnow()
        # A row committed while its enqueue never happened (the process died right after the commit).
        db.session.add(MailOutbox(idempotency_key="lost-1", to_address="x@example.org", subject="Hi", body="Body",
                                  next_attempt_at=now, created_at=now))
        db.session.info.pop(enqueue.PENDING, None)
        db.session.commit()
        assert outbox() == []
    tasks.sweep_outbox()
    with app.app_context():
        assert [m["To"] for m in outbox()] == ["x@example.org"]
        assert db.session.scalar(select(MailOutbox.status)) == "sent"


def test_the_link_warnings_job_warns_once_before_a_link_expires(app):
    with app.app_context():
        owner = make_user(email="ada@example.com", name="Ada Lovelace")
        make_invite_link(owner, label="Conference badge", expires_at=utcnow() + timedelta(hours=2))
    tasks.link_warnings()
    tasks.link_warnings()  # hourly: the warning goes once per link and expiry
    with app.app_context():
        assert [(m["To"], m["Subject"].startswith('Your link "Conference badge"')) for m in outbox()] == [
            ("ada@example.com", True)]


def test_two_digest_runs_at_once_queue_one_mail(app):
    """Cron and the queue's scheduler at the same moment (on PostgreSQL both read the same window): the digest's
    idempotency key lets one of them queue it; the other's commit fails and changes nothing."""
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace", notify_mode="daily",
                        notify_digest_at=utcnow() - timedelta(hours=24))
        make_request(ada, name="Grace Hopper", requester_email="grace@example.com")
        since = ada.notify_digest_at
        # The other run got there first: its mail holds this window's key.
        send_mail("ada@example.com", "1 new connection request", "Body", key=f"digest:{ada.id}:{since.isoformat()}")
        db.session.commit()
        from oneclick.inbox.services import send_digests

        assert send_digests(utcnow()) == 0
        assert [m["To"] for m in outbox()] == ["ada@example.com"]  # the first run's mail only
        assert db.session.scalar(select(func.count()).select_from(MailOutbox)) == 1
