"""The support console speaks about the member, disables what can't apply, and lists each member's status (issue 12)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import event

from oneclick.clock import utcnow
from oneclick.extensions import db

from ..factories import make_user
from .conftest import post_form
from .test_support_console import quota


def _button(page: str, label: str) -> str:
    found = re.search(rf"<button[^>]*>{re.escape(label)}</button>|<input[^>]*value=\"{re.escape(label)}\"[^>]*>", page)
    assert found, label
    return found.group(0)


def test_member_page_speaks_about_the_member_not_to_them(app, client, people, as_member):
    as_member(people.root)
    page = client.get(f"/admin/members/{people.ada.public_id}").get_data(as_text=True).replace("&#39;", "'")
    assert "This member isn't restricted." in page and "Your account" not in page
    response = post_form(client, f"/admin/members/{people.ada.public_id}/lift", follow_redirects=True)
    text = response.get_data(as_text=True).replace("&#39;", "'")
    assert "Refused: This member isn't restricted." in text and "Your account" not in text


def test_actions_that_cant_apply_are_disabled_with_the_reason(app, client, people, as_member):
    as_member(people.root)
    base = f"/admin/members/{people.ada.public_id}"
    page = client.get(base).get_data(as_text=True)
    lift, label, unlabel = (_button(page, x) for x in ("Lift restriction", "Label spammer", "Remove spammer label"))
    assert "disabled" in lift and 'aria-describedby="why-lift"' in lift
    assert "disabled" not in label
    assert "disabled" in unlabel and 'id="why-unlabel"' in page
    assert "disabled" not in _button(page, "Grant")

    quota(app, people.ada, restricted=True, restrictions=1, spammer=True)
    page = client.get(base).get_data(as_text=True).replace("&#39;", "'")
    assert "disabled" not in _button(page, "Lift restriction")
    assert "disabled" not in _button(page, "Remove spammer label")
    assert "disabled" in _button(page, "Label spammer") and "already labelled a spammer" in page
    grant = _button(page, "Grant")
    assert "disabled" in grant and 'aria-describedby="why-grant"' in grant
    assert "labelled a spammer, so no more invitations can be granted" in page


def test_grant_is_disabled_within_the_interval(app, client, people, as_member):
    quota(app, people.ada, last_grant_at=utcnow() - timedelta(days=1))
    as_member(people.root)
    page = client.get(f"/admin/members/{people.ada.public_id}").get_data(as_text=True)
    assert "disabled" in _button(page, "Grant") and "Possible again from" in page


@contextmanager
def _statements(app):
    seen = []

    def count(*_args, **_kwargs):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_member_list_shows_status_in_a_fixed_number_of_queries(app, client, people, as_member):
    quota(app, people.ada, restricted=True, restrictions=1, invitations_sent=100)
    quota(app, people.bob, spammer=True, invitations_sent=3000)
    as_member(people.root)
    page = client.get("/admin/").get_data(as_text=True)

    def row(name):
        item = page[page.index(f">{name}</a>"):]
        return item[:item.index("</li>")]

    assert ">restricted<" in row("Ada Lovelace") and ">spammer<" not in row("Ada Lovelace")
    assert "2900 invitations left" in row("Ada Lovelace")
    assert ">spammer<" in row("Bob Babbage") and "0 invitations left" in row("Bob Babbage")
    assert ">restricted<" not in row("Cy Clone") and "3000 invitations left" in row("Cy Clone")

    with _statements(app) as few:
        client.get("/admin/")
    with app.app_context():
        extra = [make_user(email=f"extra{n}@example.com", name=f"Extra {n}").id for n in range(10)]
    for user_id in extra[:5]:
        quota(app, SimpleNamespace(id=user_id), restricted=True)
    with _statements(app) as many:
        page = client.get("/admin/").get_data(as_text=True)
    assert page.count(">restricted<") == 6
    assert len(many) == len(few)  # no query per member
