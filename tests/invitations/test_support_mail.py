"""Undelivered mail in the support console (/admin/mail): a mail the queue gave up on is listed with its error, and
an admin can queue it again. Access control, CSRF and bad input like every console action."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from oneclick import emails
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.mail import outbox
from oneclick.models import AuditLog, MailOutbox

from .conftest import post_form


def failed_mail(app, to="lost@example.org") -> int:
    with app.app_context():
        now = utcnow()
        row = MailOutbox(idempotency_key=f"k-{to}", to_address=to, subject="Your oneclick request", body="Body",
                         status="failed", attempts=12, next_attempt_at=now, created_at=now,
                         last_error="SMTPServerDisconnected: Connection unexpectedly closed")
        db.session.add(row)
        db.session.commit()
        return row.id


def status_of(app, mail_id: int) -> tuple:
    with app.app_context():
        row = db.session.get(MailOutbox, mail_id)
        return row.status, row.attempts


def test_anonymous_and_members_never_see_or_retry_it(app, client, people, as_member):
    mail_id = failed_mail(app)
    response = client.get("/admin/mail")
    assert response.status_code == 302 and "/login" in response.location
    assert client.post(f"/admin/mail/{mail_id}/retry").status_code in (302, 400)
    as_member(people.ada)
    assert client.get("/admin/mail").status_code == 404
    assert post_form(client, f"/admin/mail/{mail_id}/retry").status_code == 404
    assert status_of(app, mail_id) == ("failed", 12)


def test_admin_sees_the_failed_mail_with_its_error_and_retries_it(app, client, people, as_member):
    mail_id = failed_mail(app)
    as_member(people.root)
    assert "Undelivered mail" in client.get("/admin/").get_data(as_text=True)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "lost@example.org" in page and "SMTPServerDisconnected: Connection unexpectedly closed" in page
    assert "Failed (1)" in page
    response = post_form(client, f"/admin/mail/{mail_id}/retry")
    assert response.status_code == 302 and response.location.endswith("/admin/mail")
    # Queued again after the commit and (tests run the queue inline) delivered at once.
    assert status_of(app, mail_id) == ("sent", 1)
    with app.app_context():
        assert [m["To"] for m in outbox()] == ["lost@example.org"]
        assert db.session.scalar(select(AuditLog.action).order_by(AuditLog.id.desc())) == "retry_mail"
    assert "No failed mail." in client.get("/admin/mail").get_data(as_text=True)


def test_retry_needs_csrf(app, client, people, as_member):
    mail_id = failed_mail(app)
    as_member(people.root)
    assert client.post(f"/admin/mail/{mail_id}/retry").status_code == 400
    assert status_of(app, mail_id) == ("failed", 12)


@pytest.mark.parametrize("path", ["/admin/mail/0/retry", "/admin/mail/999999/retry"])
def test_retrying_no_such_mail_says_so(app, client, people, as_member, path):
    as_member(people.root)
    response = post_form(client, path, follow_redirects=True)
    assert response.status_code == 200 and "not waiting for a retry" in response.get_data(as_text=True)


def test_a_huge_or_garbled_id_is_404(client, people, as_member):
    as_member(people.root)
    for path in ("/admin/mail/99999999999999999999/retry", "/admin/mail/abc/retry", "/admin/mail/-1/retry"):
        assert post_form(client, path).status_code == 404


def test_a_second_retry_of_the_same_mail_does_nothing(app, client, people, as_member):
    mail_id = failed_mail(app)
    as_member(people.root)
    post_form(client, f"/admin/mail/{mail_id}/retry")
    response = post_form(client, f"/admin/mail/{mail_id}/retry", follow_redirects=True)
    assert "not waiting for a retry" in response.get_data(as_text=True)
    with app.app_context():
        assert len(outbox()) == 1


@pytest.mark.config(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_MAX_ATTEMPTS=1)
def test_a_mail_that_fails_its_last_attempt_is_recorded_for_admins(app, client, people, as_member):
    with app.app_context():
        emails.send_no_account("gone@example.org", "reset")
        db.session.commit()  # queued, then tried at once (inline queue): refused, and it was the last attempt
        row = db.session.scalar(select(MailOutbox).where(MailOutbox.to_address == "gone@example.org"))
        assert (row.status, row.attempts) == ("failed", 1)
        assert row.last_error.startswith("ConnectionRefusedError") and len(row.last_error) <= 300
    as_member(people.root)
    assert "gone@example.org" in client.get("/admin/mail").get_data(as_text=True)
