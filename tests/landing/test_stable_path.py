"""A link's stable short path /@handle/<slug>: follows rotations, refuses when paused, deleted or switched off."""

from __future__ import annotations

from sqlalchemy import select

from oneclick.extensions import db
from oneclick.links import services
from oneclick.models import InviteLink, LinkDailyStat, User

from .helpers import UA, new_link


def set_handle(app, user_id: int, handle: str | None = "ada", vanity: bool = True) -> None:
    with app.app_context():
        owner = db.session.get(User, user_id)
        owner.handle, owner.vanity_enabled = handle, vanity
        db.session.commit()


def clicks(app, link_id: int) -> int:
    with app.app_context():
        return sum(db.session.scalars(select(LinkDailyStat.clicks).where(LinkDailyStat.link_id == link_id)))


def current_token(app, link_id: int) -> str:
    with app.app_context():
        return services.link_token(db.session.get(InviteLink, link_id))


def test_stable_path_follows_a_rotation(app, client, user):
    set_handle(app, user["id"])
    link_id, token = new_link(app, user["id"], slug="pycon-talk")
    response = client.get("/@ada/pycon-talk", headers=UA)
    assert response.status_code == 302 and response.location == f"/c/{token}"
    assert response.headers["Cache-Control"] == "no-store" and "noindex" in response.headers["X-Robots-Tag"]
    assert client.get("/@ADA/pycon-talk").location == f"/c/{token}"  # handles are case-insensitive
    with app.app_context():
        assert services.rotate_link(db.session.get(User, user["id"]), link_id)
    rotated = current_token(app, link_id)
    assert rotated != token
    assert client.get("/@ada/pycon-talk").location == f"/c/{rotated}"
    assert client.get(f"/c/{token}", headers=UA).status_code == 410  # the old token URL is gone


def test_stable_path_passes_the_query_on_and_counts_one_click(app, client, user):
    set_handle(app, user["id"])
    link_id, token = new_link(app, user["id"], slug="slides")
    response = client.get("/@ada/slides?utm_source=pycon", headers=UA)
    assert response.location == f"/c/{token}?utm_source=pycon"
    assert clicks(app, link_id) == 0  # the redirect itself counts nothing
    page = client.get("/@ada/slides", headers=UA, follow_redirects=True)
    assert page.status_code == 200 and "Ada Lovelace" in page.get_data(as_text=True)
    assert clicks(app, link_id) == 1  # the token page counted it, once


def test_paused_expired_or_full_stable_path_is_410(app, client, user):
    from datetime import timedelta

    from oneclick.clock import utcnow

    set_handle(app, user["id"])
    new_link(app, user["id"], slug="paused", active=False)
    new_link(app, user["id"], slug="old", expires_at=utcnow() - timedelta(minutes=1))
    for path, words in (("/@ada/paused", "paused"), ("/@ada/old", "expired")):
        response = client.get(path, headers=UA)
        assert response.status_code == 410 and words in response.get_data(as_text=True), path
        assert response.headers["Cache-Control"] == "no-store"


def test_unknown_deleted_or_switched_off_stable_path_is_404(app, client, user):
    set_handle(app, user["id"])
    link_id, _ = new_link(app, user["id"], slug="talk")
    assert client.get("/@ada/nothing").status_code == 404
    assert client.get("/@nobody/talk").status_code == 404
    assert client.get("/@ada/" + "x" * 300).status_code == 404
    assert client.get("/@ada/Talk%00").status_code == 404
    set_handle(app, user["id"], vanity=False)  # the owner switched their /@handle address off
    response = client.get("/@ada/talk")
    assert response.status_code == 404 and "find this link" in response.get_data(as_text=True)
    set_handle(app, user["id"])
    assert client.get("/@ada/talk").status_code == 302
    with app.app_context():
        assert services.delete_link(db.session.get(User, user["id"]), link_id)
    assert client.get("/@ada/talk").status_code == 404


def test_share_url_is_the_stable_path_only_when_chosen_and_working(app, user):
    set_handle(app, user["id"], handle=None)
    link_id, token = new_link(app, user["id"], slug="slides", share_stable=True)
    other_id, other_token = new_link(app, user["id"], slug="bio")
    with app.app_context():
        assert services.share_url(db.session.get(InviteLink, link_id)) == f"http://oneclick.test/c/{token}"  # no handle
    set_handle(app, user["id"])
    with app.app_context():
        link = db.session.get(InviteLink, link_id)
        assert services.share_url(link) == "http://oneclick.test/@ada/slides"
        assert services.share_url(db.session.get(InviteLink, other_id)) == f"http://oneclick.test/c/{other_token}"
        snapshot = services.fetch_link(link.public_id)  # a landing snapshot works too
        assert services.share_url(snapshot) == "http://oneclick.test/@ada/slides"
    set_handle(app, user["id"], vanity=False)
    with app.app_context():
        assert services.share_url(db.session.get(InviteLink, link_id)) == f"http://oneclick.test/c/{token}"
