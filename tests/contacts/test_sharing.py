"""Cards are exchanged on acceptance only: per-link field choice, share-back, connection pages, vCards, removal."""

from __future__ import annotations

import pytest
import vobject
from sqlalchemy import select

from oneclick.extensions import db
from oneclick.models import Connection, ConnectionRequest

from ..conftest import body, csrf_from
from ..factories import make_api_token
from ..inbox.helpers import confirm_post, guest_post
from .helpers import ADA_CARD, GRACE_CARD, member_request, world


def _request_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(ConnectionRequest.id))


def _connection_id(app, owner_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(Connection.id).where(Connection.owner_id == owner_id))


def _accept(client, auth, app, request_id: int):
    auth.logout()
    auth.login("ada@example.com")
    response = auth.post(f"/requests/{request_id}/accept", {}, token_from="/requests")
    assert response.status_code == 302


PRIVATE_ADA = [ADA_CARD["work_email"], ADA_CARD["linkedin"], ADA_CARD["phone"], ADA_CARD["personal_email"]]
PRIVATE_GRACE = [GRACE_CARD["phone"], GRACE_CARD["work_email"], GRACE_CARD["personal_email"], "US Navy"]


def test_member_exchange_hidden_before_and_shown_after_acceptance(client, auth, app):
    ids = world(app, card_fields="work_email,linkedin")
    page = member_request(client, auth, ids["token"], "grace@example.com", ["phone", "organisation"])
    # Grace's request box offered her filled card fields, the defaults ticked; Ada's card shows nowhere.
    assert 'name="share" value="phone"' in page and 'name="share" value="work_email" checked' in page
    assert not [v for v in PRIVATE_ADA if v in page]
    pending = client.get(f"/c/{ids['token']}").get_data(as_text=True)
    assert "Request sent" in body(client.get(f"/c/{ids['token']}")) and not [v for v in PRIVATE_ADA if v in pending]
    with app.app_context():
        row = db.session.scalar(select(ConnectionRequest))
        assert row.share_fields == "organisation,phone" and row.status == "pending"
    # Ada's inbox (web and API) shows the request without Grace's shared fields.
    auth.logout()
    auth.login("ada@example.com")
    inbox = client.get("/requests").get_data(as_text=True)
    assert "Grace Hopper" in inbox and not [v for v in PRIVATE_GRACE if v in inbox]
    with app.app_context():
        token = make_api_token(db.session.get(__import__("oneclick.models", fromlist=["User"]).User, ids["ada"]))
    api = client.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)
    assert "Grace Hopper" in api and not [v for v in PRIVATE_GRACE if v in api]
    assert client.get("/api/v1/connections", headers={"Authorization": f"Bearer {token}"}).json["items"] == []

    _accept(client, auth, app, _request_id(app))
    # Ada sees what Grace chose to share (phone, organisation), not her other fields.
    ada_side = _connection_id(app, ids["ada"])
    page = body(client.get(f"/connections/{ada_side}"))
    assert GRACE_CARD["phone"] in page and "US Navy" in page
    assert GRACE_CARD["work_email"] not in page and GRACE_CARD["personal_email"] not in page
    items = client.get("/api/v1/connections", headers={"Authorization": f"Bearer {token}"}).json["items"]
    assert items[0]["card"] == {"name": "Grace Hopper", "organisation": "US Navy", "phone": GRACE_CARD["phone"]}
    # Grace sees what the link shares (work email and LinkedIn), not Ada's phone or personal email.
    auth.logout()
    auth.login("grace@example.com")
    grace_side = _connection_id(app, ids["grace"])
    page = body(client.get(f"/connections/{grace_side}"))
    assert ADA_CARD["work_email"] in page and ADA_CARD["linkedin"] in page
    assert "as stated by Ada Lovelace, not verified" in page
    assert ADA_CARD["phone"] not in page and ADA_CARD["personal_email"] not in page
    # The acceptance mail to Grace carries the link's share of Ada's card, nothing else.
    mails = [m for m in app.extensions["oneclick.outbox"] if m["To"] == "grace@example.com"
             and "accepted" in m["Subject"]]
    assert mails, "no acceptance mail"
    text = mails[-1].get_content()
    assert ADA_CARD["work_email"] in text and ADA_CARD["linkedin"] in text and ADA_CARD["phone"] not in text


def test_vcards_parse_back_and_carry_only_shared_fields(client, auth, app):
    ids = world(app, card_fields="work_email,phone,github,organisation")
    member_request(client, auth, ids["token"], "grace@example.com", ["github"])
    _accept(client, auth, app, _request_id(app))
    auth.logout()
    auth.login("grace@example.com")
    grace_side = _connection_id(app, ids["grace"])
    response = client.get(f"/connections/{grace_side}.vcf")
    assert response.status_code == 200 and response.mimetype == "text/vcard"
    assert response.headers["Content-Disposition"] == 'attachment; filename="ada-lovelace.vcf"'
    card = vobject.readOne(response.get_data(as_text=True))
    assert card.version.value == "4.0" and card.fn.value == "Ada Lovelace"
    assert card.email.value == ADA_CARD["work_email"] and card.email.type_param == "work"
    assert card.tel.value == ADA_CARD["phone"] and card.org.value == ["Analytical Engines Ltd"]
    assert card.contents["x-socialprofile"][0].value == ADA_CARD["github"]
    assert "linkedin" not in response.get_data(as_text=True).lower()
    everything = client.get("/connections/all.vcf")
    cards = list(vobject.readComponents(everything.get_data(as_text=True)))
    assert [c.fn.value for c in cards] == ["Ada Lovelace"]
    # Ada's side: Grace shared GitHub only.
    auth.logout()
    auth.login("ada@example.com")
    card = vobject.readOne(client.get(f"/connections/{_connection_id(app, ids['ada'])}.vcf").get_data(as_text=True))
    assert card.fn.value == "Grace Hopper" and card.contents["x-socialprofile"][0].value == GRACE_CARD["github"]
    assert "tel" not in card.contents and "email" not in card.contents


def test_someone_elses_connection_is_404_and_pages_need_sign_in(client, auth, app):
    ids = world(app)
    member_request(client, auth, ids["token"], "grace@example.com", [])
    _accept(client, auth, app, _request_id(app))
    ada_side = _connection_id(app, ids["ada"])
    auth.logout()
    for path in (f"/connections/{ada_side}", f"/connections/{ada_side}.vcf", "/connections/all.vcf"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login("bob@example.com")
    assert client.get(f"/connections/{ada_side}").status_code == 404
    assert client.get(f"/connections/{ada_side}.vcf").status_code == 404
    assert client.get("/connections/99999999999999999999").status_code == 404
    assert client.get("/connections/all.vcf").get_data(as_text=True) == ""  # Bob has none


def test_removing_the_connection_stops_sharing_both_ways(client, auth, app):
    ids = world(app, card_fields="work_email,phone")
    member_request(client, auth, ids["token"], "grace@example.com", ["phone"])
    _accept(client, auth, app, _request_id(app))
    ada_side, grace_side = _connection_id(app, ids["ada"]), _connection_id(app, ids["grace"])
    assert GRACE_CARD["phone"] in body(client.get(f"/connections/{ada_side}"))
    confirm = csrf_from(client.get("/connections").get_data(as_text=True))
    assert client.post(f"/connections/{ada_side}/remove", data={"csrf_token": confirm}).status_code == 302
    assert client.get(f"/connections/{ada_side}").status_code == 404
    assert GRACE_CARD["phone"] not in client.get("/connections/all.vcf").get_data(as_text=True)
    auth.logout()
    auth.login("grace@example.com")
    assert client.get(f"/connections/{grace_side}").status_code == 404
    assert ADA_CARD["work_email"] not in client.get("/connections/all.vcf").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Connection)).all() == []


def test_guest_shares_phone_and_organisation_on_acceptance_only(client, auth, app):
    ids = world(app)
    sent = guest_post(client, app, ids["token"], organisation="Harvard Mark I", phone="+1 617 555 0199")
    assert sent.status_code == 302
    assert confirm_post(client, app).status_code == 302
    auth.login("ada@example.com")
    inbox = client.get("/requests").get_data(as_text=True)
    assert "Grace Hopper" in inbox and "+1 617 555 0199" not in inbox and "Harvard Mark I" not in inbox
    _accept(client, auth, app, _request_id(app))
    page = body(client.get(f"/connections/{_connection_id(app, ids['ada'])}"))
    assert "+1 617 555 0199" in page and "Harvard Mark I" in page
    card = vobject.readOne(client.get(f"/connections/{_connection_id(app, ids['ada'])}.vcf").get_data(as_text=True))
    assert card.tel.value == "+1 617 555 0199" and card.email.value == "grace@example.com"
    # The guest's acceptance mail carries Ada's shared card (this link: work email and LinkedIn).
    text = [m for m in app.extensions["oneclick.outbox"] if m["To"] == "grace@example.com"][-1].get_content()
    assert ADA_CARD["work_email"] in text and ADA_CARD["phone"] not in text


def test_guest_bad_phone_is_refused_with_a_message(client, app):
    ids = world(app)
    response = guest_post(client, app, ids["token"], phone="<script>")
    assert response.status_code == 200 and "Use digits" in body(response)
    too_long = guest_post(client, app, ids["token"], organisation="o" * 101)
    assert too_long.status_code == 200 and "100 characters" in body(too_long)
    assert "/requests/confirm/" not in "".join(m.get_content() for m in app.extensions.get("oneclick.outbox", []))


def test_per_link_choice(client, auth, app):
    """Two links of one owner share different fields with the people who connect through each."""
    ids = world(app, card_fields="work_email")
    from oneclick.models import User

    from ..factories import make_invite_link
    with app.app_context():
        _, personal = make_invite_link(db.session.get(User, ids["ada"]), label="Personal", card_fields="phone")
    member_request(client, auth, personal, "grace@example.com", [])
    _accept(client, auth, app, _request_id(app))
    auth.logout()
    auth.login("grace@example.com")
    page = body(client.get(f"/connections/{_connection_id(app, ids['grace'])}"))
    assert ADA_CARD["phone"] in page and ADA_CARD["work_email"] not in page


def test_link_form_saves_the_field_choice(client, auth, app):
    ids = world(app)
    auth.login("ada@example.com")
    form = client.get(f"/links/{ids['link']}/edit").get_data(as_text=True)
    assert 'name="card_fields" value="work_email" id="card_fields-work_email" checked' in form
    data = {"csrf_token": csrf_from(form), "label": "Slides", "channel": "slides", "expires_preset": "never",
            "max_requests_preset": "none", "share_stable": "token", "card_fields": ["phone", "github"],
            "public_fields": ["organisation"]}
    response = client.post(f"/links/{ids['link']}/edit", data=data)
    assert response.status_code == 302, body(response)
    from oneclick.models import InviteLink
    with app.app_context():
        link = db.session.get(InviteLink, ids["link"])
        assert (link.card_fields, link.public_fields) == ("phone,github", "organisation")
    bad = client.post(f"/links/{ids['link']}/edit", data={**data, "card_fields": ["password_hash"]})
    assert bad.status_code == 200 and 'class="error"' in body(bad)
    with app.app_context():
        assert db.session.get(InviteLink, ids["link"]).card_fields == "phone,github"  # unchanged


@pytest.mark.parametrize("public", ["organisation,linkedin"])
def test_save_contact_offers_only_the_public_fields(client, auth, app, public):
    ids = world(app, card_fields="work_email,phone", public_fields=public)
    page = client.get(f"/c/{ids['token']}").get_data(as_text=True)
    assert f'href="/c/{ids["token"]}/contact.vcf"' in page
    response = client.get(f"/c/{ids['token']}/contact.vcf")
    text = response.get_data(as_text=True)
    card = vobject.readOne(text)
    assert card.fn.value == "Ada Lovelace" and card.org.value == ["Analytical Engines Ltd"]
    assert card.contents["x-socialprofile"][0].value == ADA_CARD["linkedin"]
    assert ADA_CARD["work_email"] not in text and ADA_CARD["phone"] not in text
    assert ADA_CARD["personal_email"] not in text and "ada@example.com" not in text


def test_save_contact_absent_without_public_fields_and_for_bad_tokens(client, app):
    ids = world(app)
    page = client.get(f"/c/{ids['token']}").get_data(as_text=True)
    assert "contact.vcf" not in page
    assert client.get(f"/c/{ids['token']}/contact.vcf").status_code == 404
    assert client.get("/c/garbled/contact.vcf").status_code == 404
    from oneclick.models import InviteLink
    with app.app_context():
        link = db.session.get(InviteLink, ids["link"])
        link.public_fields, link.active = "organisation", False
        db.session.commit()
    assert client.get(f"/c/{ids['token']}/contact.vcf").status_code == 410


def test_auto_accept_link_exchanges_cards_at_once(client, auth, app):
    """A link that accepts everyone connects in the request's own transaction, with the same sharing."""
    ids = world(app, card_fields="phone")
    from oneclick.models import InviteLink
    with app.app_context():
        db.session.get(InviteLink, ids["link"]).auto_accept = True
        db.session.commit()
    member_request(client, auth, ids["token"], "grace@example.com", ["organisation"])
    page = body(client.get(f"/connections/{_connection_id(app, ids['grace'])}"))
    assert ADA_CARD["phone"] in page and ADA_CARD["work_email"] not in page
    text = [m for m in app.extensions["oneclick.outbox"] if m["To"] == "grace@example.com"][-1].get_content()
    assert ADA_CARD["phone"] in text
    auth.logout()
    auth.login("ada@example.com")
    page = body(client.get(f"/connections/{_connection_id(app, ids['ada'])}"))
    assert "US Navy" in page and GRACE_CARD["phone"] not in page


def test_share_back_ignores_unknown_keys(client, auth, app):
    ids = world(app)
    member_request(client, auth, ids["token"], "grace@example.com", ["password_hash", "phone", "name", "x" * 500])
    with app.app_context():
        assert db.session.scalar(select(ConnectionRequest.share_fields)) == "phone"


def test_guest_who_joins_later_sees_what_the_link_shares(client, auth, app):
    ids = world(app, card_fields="phone")
    guest_post(client, app, ids["token"], email="lin@example.org", name="Lin Guest", phone="+1 555 0142")
    assert confirm_post(client, app, "lin@example.org").status_code == 302
    auth.login("ada@example.com")
    assert auth.post(f"/requests/{_request_id(app)}/accept", {}, token_from="/requests").status_code == 302
    auth.logout()
    from oneclick.auth import services as accounts
    from oneclick.models import User
    with app.app_context():
        user = accounts.create_user("lin@example.org", "Lin Guest", "correct horse battery", verified=True)
        from oneclick.clock import utcnow
        from oneclick.inbox import services as inbox
        inbox.attach_guest_history(db.session.get(User, user.id), utcnow())
        db.session.commit()
        lin_id = user.id
    auth.login("lin@example.org")
    page = body(client.get(f"/connections/{_connection_id(app, lin_id)}"))
    assert ADA_CARD["phone"] in page and ADA_CARD["work_email"] not in page
