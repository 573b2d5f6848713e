"""A member's export: one zip with JSON of everything about them (and vCards), from Settings and the API."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest

from oneclick import audit
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.models import Block, Connection, ContactCard, LinkDailyStat, User

from ..conftest import body, csrf_from
from ..factories import make_api_token, make_invitation, make_invite_link, make_request, make_user


@pytest.fixture
def data(app, user):
    """Ada with a link (and clicks), a request each way, a connection, an invitation, a block, audit entries;
    Bob with his own, which must not show up."""
    with app.app_context():
        ada = db.session.get(User, user["id"])
        bob = make_user(email="bob@example.com", name="Bob Builder")
        link, _ = make_invite_link(ada, label="Conference badge")
        db.session.add(LinkDailyStat(link_id=link.id, day=date(2026, 11, 30), clicks=7))
        make_request(ada, link, requester_email="grace@example.org", name="Grace Hopper", note="Met at PyCon")
        bob_link, _ = make_invite_link(bob, label="Bob's secret link")
        make_request(bob, bob_link, requester_email=ada.email, requester_id=ada.id, name=ada.name)
        make_request(bob, bob_link, requester_email="stranger@example.org", name="Not Ada's business")
        db.session.add(Connection(owner_id=ada.id, email="carol@example.org", name="Carol Shaw",
                                  card={"phone": "+44 20 7946 0018"}))
        db.session.add(Block(owner_id=ada.id, email="spam@example.org"))
        db.session.add(ContactCard(user_id=ada.id, organisation="Analytical Engines Ltd", photo=b"\xff\xd8 a jpeg"))
        make_invitation(ada, bob, message="Hello Bob")
        audit.record("command line", "grant", ada, "5 invitations", utcnow() - timedelta(days=1))
        audit.record("command line", "grant", bob, "Bob's own entry", utcnow())
        db.session.commit()
        token = make_api_token(ada)
    return {"token": token}


def _archive(raw: bytes) -> dict[str, object]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        assert archive.testzip() is None
        return {name: (json.loads(archive.read(name)) if name.endswith(".json") else
                       archive.read(name) if name.endswith(".jpg") else archive.read(name).decode())
                for name in archive.namelist()}


def _check(files: dict[str, object]) -> None:
    assert {"README.txt", "profile.json", "links.json", "requests.json", "connections.json", "invitations.json",
            "blocks.json", "audit.json", "api_tokens.json", "notifications.json"} <= set(files)
    profile = files["profile.json"]
    assert profile["email"] == "ada@example.com" and profile["name"] == "Ada Lovelace"
    assert "password_hash" not in profile and "session_token" not in profile
    [link] = files["links.json"]
    assert link["label"] == "Conference badge" and link["daily_clicks"][0]["clicks"] == 7
    requests = files["requests.json"]
    assert [r["note"] for r in requests["received"]] == ["Met at PyCon"]
    assert [r["requester_email"] for r in requests["sent"]] == ["ada@example.com"]
    carol = [(c["name"], c["card"]) for c in files["connections.json"]]
    assert carol == [("Carol Shaw", {"phone": "+44 20 7946 0018"})]
    assert [i["message"] for i in files["invitations.json"]["sent"]] == ["Hello Bob"]
    assert [b["email"] for b in files["blocks.json"]] == ["spam@example.org"]
    assert [a["detail"] for a in files["audit.json"]] == ["5 invitations"]
    assert files["card.json"]["organisation"] == "Analytical Engines Ltd" and "photo" not in files["card.json"]
    assert files["card-photo.jpg"] == b"\xff\xd8 a jpeg"
    [token] = files["api_tokens.json"]
    assert "token_hash" not in token
    everything = json.dumps({k: v for k, v in files.items() if not isinstance(v, bytes)})
    assert "Bob's secret link" not in everything and "Not Ada's business" not in everything
    assert "Bob's own entry" not in everything
    import vobject

    [carol] = vobject.readComponents(files["connections.vcf"])  # parsed back by the library that wrote it
    assert carol.fn.value == "Carol Shaw" and carol.version.value == "4.0"
    [ada] = vobject.readComponents(files["my-card.vcf"])
    assert ada.fn.value == "Ada Lovelace"


def test_settings_download_holds_everything_and_nothing_of_others(app, client, auth, data):
    auth.login()
    page = client.get("/settings/data")
    assert page.status_code == 200 and "Download my data" in body(page)
    response = client.post("/settings/data", data={"csrf_token": csrf_from(body(page))})
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="oneclick-data-')
    _check(_archive(response.data))


def test_the_download_needs_a_session_and_the_csrf_token(app, client, auth, data):
    assert client.get("/settings/data").status_code == 302  # to sign in
    assert client.post("/settings/data").status_code in (302, 400)
    auth.login()
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/settings/data", data={})
    assert response.status_code == 400 and response.mimetype != "application/zip"


def test_the_api_answers_the_same_archive(app, client, data):
    response = client.get("/api/v1/account/export", headers={"Authorization": f"Bearer {data['token']}"})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    _check(_archive(response.data))
    refused = client.get("/api/v1/account/export")
    assert refused.status_code == 401 and refused.is_json
