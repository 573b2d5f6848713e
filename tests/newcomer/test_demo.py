"""`flask --app oneclick demo`: an empty database filled through the services, every page populated."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from oneclick.extensions import db
from oneclick.models import Connection, ConnectionRequest, Invitation, InviteLink, User

PASSWORD = "demo-password-123"


def _run(runner, *args):
    return runner.invoke(args=["demo", *args])


def test_demo_fills_every_page_then_refuses_a_second_run(app, runner, client, auth):
    result = _run(runner, "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    assert "ada@example.com" in result.output and PASSWORD in result.output
    assert "grace@example.com (support admin)" in result.output
    with app.app_context():
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(User) == 4
        assert db.session.scalar(select(func.count()).select_from(User).where(User.is_admin)) == 1
        assert count(InviteLink) >= 2 and count(Invitation) >= 4 and count(Connection) >= 2
        statuses = set(db.session.scalars(select(ConnectionRequest.status)))
        assert {"pending", "accepted"} <= {str(getattr(s, "value", s)) for s in statuses}
        guests = db.session.scalar(select(func.count()).select_from(ConnectionRequest)
                                   .where(ConnectionRequest.requester_id.is_(None)))
        assert guests >= 2

    auth.login("ada@example.com", PASSWORD)
    pages = {
        "/": "Ada",
        "/requests": "Linus Torvalds",
        "/connections": "Margaret Hamilton",
        "/links": "Talk at PyCon",
        "/invitations": "",
    }
    for path, expected in pages.items():
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        assert expected in response.get_data(as_text=True), path
    assert "Barbara Liskov" in client.get("/requests").get_data(as_text=True)
    auth.logout()
    auth.login("grace@example.com", PASSWORD)
    assert client.get("/admin/").status_code == 200  # the demo admin reaches the support console

    again = _run(runner, "--password", PASSWORD)
    assert again.exit_code != 0
    assert "empty database only" in again.output


def test_demo_prints_a_random_password_once_that_signs_in(runner, client, auth):
    result = _run(runner)
    assert result.exit_code == 0, result.output
    password = re.search(r"shown only now\): (\S+)", result.output).group(1)
    response = auth.login("linus@example.com", password)
    assert response.status_code in (200, 302)
    assert client.get("/requests").status_code == 200


def test_demo_refuses_a_short_password(runner):
    result = _run(runner, "--password", "short")
    assert result.exit_code != 0
    assert "at least" in result.output
