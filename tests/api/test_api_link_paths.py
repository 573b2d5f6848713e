"""API: a link's stable short path (slug), its share choice and share_url on the link endpoints."""

from __future__ import annotations

import pytest

from oneclick.extensions import db
from oneclick.models import InviteLink, User

from .conftest import error_of


@pytest.fixture
def handle(app, user):
    with app.app_context():
        db.session.get(User, user["id"]).handle = "ada-lovelace"
        db.session.commit()


def test_slug_and_share_url_round_trip(app, api, handle):
    link = api.post("links", json={"label": "Slides", "slug": "slides", "share_stable": True}).get_json()
    assert link["slug"] == "slides" and link["share_stable"] is True
    assert link["stable_url"] == link["share_url"] == "http://oneclick.test/@ada-lovelace/slides"
    assert link["share_qr_svg_url"] == "http://oneclick.test/@ada-lovelace/slides/qr.svg"
    assert link["url"].startswith("http://oneclick.test/c/")  # the token URL stays where it was
    assert api.client.get(link["share_qr_png_url"].removeprefix("http://oneclick.test")).status_code == 200
    rotated = api.post(f"links/{link['id']}/rotate").get_json()
    assert rotated["url"] != link["url"] and rotated["share_url"] == link["share_url"]
    assert api.client.get("/@ada-lovelace/slides").location == rotated["url"].removeprefix("http://oneclick.test")
    patched = api.patch(f"links/{link['id']}", json={"share_stable": False}).get_json()
    assert patched["share_url"] == patched["url"] and patched["slug"] == "slides"
    patched = api.patch(f"links/{link['id']}", json={"slug": None}).get_json()
    assert patched["slug"] is None and patched["stable_url"] is None


def test_a_link_without_a_path_shares_its_token_url(api):
    link = api.post("links", json={"label": "Bio"}).get_json()
    assert link["slug"] is None and link["share_stable"] is False and link["stable_url"] is None
    assert link["share_url"] == link["url"] and link["share_qr_png_url"] == link["qr_png_url"]


@pytest.mark.parametrize(
    "data,message",
    [
        ({"slug": "admin"}, "reserved"),
        ({"slug": "Upper"}, "lowercase letters"),
        ({"slug": "a--b"}, "lowercase letters"),
        ({"slug": "x" * 41}, "40 characters"),
        ({"slug": 5}, "string"),
        ({"share_stable": True}, "short path first"),
        ({"share_stable": "yes"}, "true or false"),
    ],
)
def test_bad_paths_are_refused(app, api, handle, data, message):
    response = api.post("links", json={"label": "Slides", **data})
    assert response.status_code == 400 and error_of(response) == "invalid"
    assert message in " ".join(response.get_json()["error"]["fields"].values())
    with app.app_context():
        assert db.session.query(InviteLink).count() == 0


def test_a_slug_needs_a_handle_and_must_be_free(app, api, api_as, handle):
    first = api.post("links", json={"label": "One", "slug": "talk"}).get_json()
    response = api.post("links", json={"label": "Two", "slug": "talk"})
    assert response.status_code == 400 and "already use" in response.get_json()["error"]["fields"]["slug"]
    second = api.post("links", json={"label": "Two"}).get_json()
    response = api.patch(f"links/{second['id']}", json={"slug": "talk"})
    assert response.status_code == 400 and "already use" in response.get_json()["error"]["fields"]["slug"]
    assert api.patch(f"links/{first['id']}", json={"slug": "talk", "label": "Same"}).status_code == 200
    grace = api_as(email="grace@example.com", name="Grace Hopper")  # no handle
    response = grace.post("links", json={"label": "G", "slug": "talk"})
    assert response.status_code == 400 and "handle" in response.get_json()["error"]["fields"]["slug"]
    # Someone else's link: 404, nothing changed.
    response = grace.patch(f"links/{first['id']}", json={"slug": "mine"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(InviteLink, first["id"]).slug == "talk"
