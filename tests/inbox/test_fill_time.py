"""The guest form's minimum fill time catches bots, not people whose browser filled the form in (issue 12)."""

from __future__ import annotations

import re

from sqlalchemy import select

from oneclick.extensions import db
from oneclick.models import GuestConfirmation

from ..conftest import body, csrf_from
from .helpers import guest_post, old_stamp, owner_with_link


def _unconfirmed(app):
    with app.app_context():
        return db.session.scalars(select(GuestConfirmation)).all()


def _hidden(html: str, name: str) -> str | None:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    return found.group(1) if found else None


def test_a_second_press_after_that_was_quick_always_goes_through(client, app):
    owner = owner_with_link(app)
    first = guest_post(client, app, owner["token"], started=old_stamp(app, seconds=0))
    html = body(first)
    assert first.status_code == 200 and "That was quick!" in html
    assert _unconfirmed(app) == []
    marker, started = _hidden(html, "second"), _hidden(html, "started")
    assert marker and started
    # Pressed again at once (still faster than the minimum fill time): it goes through.
    again = client.post(f"/c/{owner['token']}/request", data={
        "csrf_token": csrf_from(html), "started": started, "second": marker, "website": "",
        "name": "Grace Hopper", "email": "grace@example.com", "note": "",
    })
    assert again.status_code == 302
    assert len(_unconfirmed(app)) == 1


def test_a_forged_or_borrowed_second_press_marker_does_not_skip_the_check(client, app):
    owner = owner_with_link(app)
    html = body(guest_post(client, app, owner["token"], started=old_stamp(app, seconds=1)))
    marker = _hidden(html, "second")
    # The marker belongs to its own form's start stamp: with a fresh stamp (a later second) it counts for nothing.
    for forged in ("forged.marker", marker):
        response = guest_post(client, app, owner["token"], started=old_stamp(app, seconds=0), second=forged)
        assert response.status_code == 200 and "That was quick!" in body(response)
    assert _unconfirmed(app) == []


def test_speed_warning_is_never_shown_together_with_field_errors(client, app):
    owner = owner_with_link(app)
    response = guest_post(client, app, owner["token"], started=old_stamp(app, seconds=0), name="", email="nope")
    html = body(response)
    assert response.status_code == 200
    assert "This field is required" in html and "Enter a valid email address." in html
    assert "That was quick!" not in html and "press Send again" not in html
    assert _hidden(html, "second") is None  # no free pass earned by a form with errors


def test_field_errors_first_then_the_speed_check_once_every_field_is_valid(client, app):
    owner = owner_with_link(app)
    response = guest_post(client, app, owner["token"], started="forged", name="")
    assert "This field is required" in body(response) and "press Send again" not in body(response)
    response = guest_post(client, app, owner["token"], started="forged")
    assert "This form is incomplete" in body(response)
    assert _unconfirmed(app) == []
