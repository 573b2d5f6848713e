"""API: links (GET/POST /links, GET/PATCH/DELETE /links/{id}, POST /links/{id}/rotate)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.links import services
from oneclick.models import InviteLink, User

from ..factories import make_invite_link, make_request
from .conftest import error_of


def _link_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(InviteLink))


@pytest.fixture
def others_link(app, api_as):
    """A link that belongs to another member: (api client of that member, link id)."""
    grace = api_as(email="grace@example.com", name="Grace Hopper")
    return grace, grace.post("links", json={"label": "Grace's"}).get_json()["id"]


def test_create_and_read_a_link(app, api):
    expires = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    response = api.post(
        "links",
        json={
            "label": "  PyCon slides ",
            "channel": "slides",
            "message": "Hi!",
            "expires_at": expires.isoformat(),
            "max_requests": 50,
            "auto_accept": True,
        },
    )
    assert response.status_code == 201
    link = response.get_json()
    assert link["label"] == "PyCon slides" and link["channel"] == "slides" and link["message"] == "Hi!"
    assert link["expires_at"] == expires.isoformat().replace("+00:00", "Z")
    assert link["max_requests"] == 50 and link["auto_accept"] is True
    assert link["active"] is True and link["state"] == "ok" and link["primary"] is True
    assert link["url"].startswith("http://oneclick.test/c/")
    token = link["url"].rsplit("/", 1)[1]
    assert link["qr_svg_url"] == f"http://oneclick.test/c/{token}/qr.svg"
    assert link["qr_png_url"] == f"http://oneclick.test/c/{token}/qr.png"
    assert link["stats"] == {"clicks": 0, "requests": 0, "accepted": 0}
    assert api.client.get(link["qr_svg_url"].removeprefix("http://oneclick.test")).status_code == 200

    assert api.get(f"links/{link['id']}").get_json() == link
    listed = api.get("links").get_json()["items"]
    assert [item["id"] for item in listed] == [link["id"]]


def test_defaults_and_stats(app, api, user):
    link = api.post("links", json={"label": "Signature"}).get_json()
    assert link["channel"] == "other" and link["message"] == "" and link["expires_at"] is None
    assert link["max_requests"] is None and link["auto_accept"] is False
    with app.app_context():
        owner = db.session.get(User, user["id"])
        row = db.session.get(InviteLink, link["id"])
        make_request(owner, row)
        make_request(owner, row, status="accepted")
    stats = api.get(f"links/{link['id']}").get_json()["stats"]
    assert stats == {"clicks": 0, "requests": 2, "accepted": 1}
    assert api.get("links").get_json()["items"][0]["stats"] == stats


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "label"),
        ({"label": ""}, "label"),
        ({"label": "   "}, "label"),
        ({"label": "x" * 81}, "label"),
        ({"label": 5}, "label"),
        ({"label": "ok", "channel": "pigeon"}, "channel"),
        ({"label": "ok", "message": "m" * 501}, "message"),
        ({"label": "ok", "expires_at": "tomorrow"}, "expires_at"),
        ({"label": "ok", "expires_at": "2030-01-01T00:00:00"}, "expires_at"),
        ({"label": "ok", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"label": "ok", "max_requests": 0}, "max_requests"),
        ({"label": "ok", "max_requests": 100_001}, "max_requests"),
        ({"label": "ok", "max_requests": 1.5}, "max_requests"),
        ({"label": "ok", "max_requests": "10"}, "max_requests"),
        ({"label": "ok", "auto_accept": "yes"}, "auto_accept"),
        ({"label": "ok", "channel": None}, "channel"),
        ({"label": "ok", "owner_id": 1}, "owner_id"),
        ({"label": "bad\x00byte"}, "label"),
    ],
)
def test_create_refuses_bad_fields(app, api, data, field):
    response = api.post("links", json=data)
    assert response.status_code == 400
    assert error_of(response) == "invalid"
    assert field in response.get_json()["error"]["fields"]
    assert _link_count(app) == 0


@pytest.mark.config(LINKS_MAX_PER_OWNER=1)
def test_link_limit_is_409(app, api):
    assert api.post("links", json={"label": "one"}).status_code == 201
    response = api.post("links", json={"label": "two"})
    assert response.status_code == 409
    assert error_of(response) == "link_limit_reached"
    assert _link_count(app) == 1


def test_patch_changes_only_what_is_sent(app, api):
    data = {"label": "Old", "channel": "print", "message": "Hello", "max_requests": 5}
    link = api.post("links", json=data).get_json()
    response = api.patch(f"links/{link['id']}", json={"label": "New", "max_requests": None})
    assert response.status_code == 200
    changed = response.get_json()
    assert changed["label"] == "New" and changed["max_requests"] is None
    assert changed["channel"] == "print" and changed["message"] == "Hello"
    assert changed["url"] == link["url"]


def test_patch_pauses_and_resumes(app, api):
    link = api.post("links", json={"label": "Card"}).get_json()
    paused = api.patch(f"links/{link['id']}", json={"active": False}).get_json()
    assert paused["active"] is False and paused["state"] == "paused"
    token = link["url"].rsplit("/", 1)[1]
    with app.app_context():
        assert services.resolve_token(token, utcnow()).state == "paused"
    resumed = api.patch(f"links/{link['id']}", json={"active": True, "label": "Card 2"}).get_json()
    assert resumed["active"] is True and resumed["state"] == "ok" and resumed["label"] == "Card 2"


def test_patch_refuses_bad_fields(app, api):
    link = api.post("links", json={"label": "Keep"}).get_json()
    for data in ({"label": ""}, {"active": "no"}, {"expires_at": "2000-01-01T00:00:00Z"}, {"nope": 1}):
        response = api.patch(f"links/{link['id']}", json=data)
        assert response.status_code == 400 and error_of(response) == "invalid", data
    assert api.get(f"links/{link['id']}").get_json()["label"] == "Keep"
    assert api.patch(f"links/{link['id']}", json={}).status_code == 200


def test_rotate_gives_a_new_url_and_the_old_one_stops(app, api):
    link = api.post("links", json={"label": "Poster"}).get_json()
    response = api.post(f"links/{link['id']}/rotate")
    assert response.status_code == 200
    rotated = response.get_json()
    assert rotated["url"] != link["url"] and rotated["qr_png_url"] != link["qr_png_url"]
    with app.app_context():
        assert services.resolve_token(link["url"].rsplit("/", 1)[1], utcnow()).state == "replaced"
        assert services.resolve_token(rotated["url"].rsplit("/", 1)[1], utcnow()).state == "ok"


def test_delete(app, api):
    link = api.post("links", json={"label": "Gone soon"}).get_json()
    response = api.delete(f"links/{link['id']}")
    assert response.status_code == 204 and response.data == b""
    assert api.get(f"links/{link['id']}").status_code == 404
    assert api.delete(f"links/{link['id']}").status_code == 404


def test_someone_elses_link_is_404_everywhere(app, api, others_link):
    grace, link_id = others_link
    for response in (
        api.get(f"links/{link_id}"),
        api.patch(f"links/{link_id}", json={"label": "Mine now"}),
        api.patch(f"links/{link_id}", json={"active": False}),
        api.delete(f"links/{link_id}"),
        api.post(f"links/{link_id}/rotate"),
    ):
        assert response.status_code == 404
        assert error_of(response) == "not_found"
    assert api.get("links").get_json()["items"] == []
    unchanged = grace.get(f"links/{link_id}").get_json()
    assert unchanged["label"] == "Grace's" and unchanged["active"] is True


def test_links_need_a_token(api):
    for method, path in (("GET", "links"), ("POST", "links"), ("GET", "links/1"), ("PATCH", "links/1"),
                         ("DELETE", "links/1"), ("POST", "links/1/rotate")):
        response = api.request(method, path, json={"label": "x"}, token=None)
        assert response.status_code == 401, (method, path)


def test_link_made_by_factory_is_listed(app, api, user):
    with app.app_context():
        make_invite_link(db.session.get(User, user["id"]), label="Old one", is_primary=True)
    items = api.get("links").get_json()["items"]
    assert [i["label"] for i in items] == ["Old one"]


def test_patch_with_fields_and_active_is_one_transaction(app, api):
    from sqlalchemy import event

    link = api.post("links", json={"label": "Card"}).get_json()
    api.get("me")  # the token's last-used time is written now, not during the PATCH below
    commits = []

    def count(session):
        commits.append(session)

    with app.app_context():
        event.listen(db.session, "after_commit", count)
        try:
            response = api.patch(f"links/{link['id']}", json={"label": "Paused card", "active": False})
        finally:
            event.remove(db.session, "after_commit", count)
    assert response.status_code == 200
    body = response.get_json()
    assert body["label"] == "Paused card" and body["active"] is False
    assert len(commits) == 1  # the label and the pause land together, or not at all
