"""Bad input gets a clear answer, never a 500 and never a mangled mail.

Control characters in human fields are refused by one shared rule (oneclick/validators.py) on every web form
and every API field; cursors with Unicode digits or ids beyond 64 bits and far-future link expiries are
answered normally.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from oneclick.extensions import db
from oneclick.mail import outbox
from oneclick.models import InviteLink, User
from oneclick.validators import control_problem

from .conftest import body, csrf_from
from .factories import make_api_token, make_invite_link, make_user, set_quota
from .inbox.helpers import member_post, owner_with_link

ONE_LINE_BAD = ["Bob\r\nBcc: eve@example.com", "Bob\nPS", "Bob\rX", "Bob\x00", "Bob\tBabbage", "Bob\x85X",
                "Bob\x9bX", "Bob\x7f", "Bob\u2028X", "Bob\u2029X", "Bob\x1b[31m"]


# --- The rule itself ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ONE_LINE_BAD)
def test_one_line_text_refuses_every_control_character(text):
    assert control_problem(text) is not None


@pytest.mark.parametrize("text", ["Bob Babbage", "Zoë Ångström", "李小龍", "O'Brien – “Bob”", "🙂", "", None])
def test_one_line_text_keeps_real_names(text):
    assert control_problem(text) is None


@pytest.mark.parametrize("text", ["Hi\r\nthere", "Hi\nthere\n\nBye", "a\tb"])
def test_multi_line_text_keeps_line_breaks_and_tabs(text):
    assert control_problem(text, multiline=True) is None


@pytest.mark.parametrize("text", ["Hi\x00", "Hi\x0bthere", "Hi\x85", "Hi\u2028", "Hi\x1b", "Hi\x7f"])
def test_multi_line_text_refuses_other_controls(text):
    assert control_problem(text, multiline=True) is not None


# --- Web forms ----------------------------------------------------------------------------------------------


def _name_of(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).name


@pytest.mark.parametrize("name", ["Bob\r\nBcc: eve@example.com", "Bob\x00", "Bob\x85X"])
def test_register_refuses_a_name_with_control_characters_and_keeps_the_input(client, auth, app, name):
    response = auth.post("/register", {"name": name, "email": "new@example.com", "password": "a long password"})
    assert response.status_code == 200
    page = body(response)
    assert "Use a single line without control characters." in page
    assert 'value="new@example.com"' in page  # nothing lost: the form comes back filled in
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "new@example.com")) is None


def test_profile_name_with_crlf_is_refused_so_the_owner_still_gets_the_request_mail(client, auth, app):
    """Old code saved the name; the mail subject then held CR/LF and the owner's notification was dropped."""
    owner = owner_with_link(app)
    with app.app_context():
        db.session.execute(db.update(User).where(User.id == owner["id"]).values(notify_mode="instant"))
        db.session.commit()
        bob_id = make_user(email="bob@example.com", name="Bob Babbage").id
    auth.login("bob@example.com")
    response = auth.post("/settings", {"name": "Bob\r\nBcc: eve@example.com", "headline": "", "handle": ""})
    assert response.status_code == 200
    assert "Use a single line without control characters." in body(response)
    assert _name_of(app, bob_id) == "Bob Babbage"

    member_post(client, owner["token"])
    with app.app_context():
        mails = [m for m in outbox() if m["To"] == "ada@example.com"]
    assert len(mails) == 1
    assert mails[0]["Subject"] == "Bob Babbage wants to connect with you"
    assert mails[0]["Bcc"] is None


def test_profile_headline_refuses_control_characters(client, auth, app, user):
    auth.login()
    response = auth.post("/settings", {"name": "Ada", "headline": "Engineer\x0bat Example", "handle": ""})
    assert response.status_code == 200 and "Use a single line" in body(response)


def test_invitation_mail_gets_no_extra_lines_from_the_sender_name(client, auth, app):
    """Old code saved "Ada\\nPS: ..." as the name and the invitation mail carried the extra line."""
    with app.app_context():
        make_user(email="ada@example.com", name="Ada Lovelace")
    auth.login()
    refused = auth.post("/settings", {"name": "Ada\nPS: pay at http://evil.example", "headline": "", "handle": ""})
    assert refused.status_code == 200 and "Use a single line" in body(refused)

    typed = {"how_known": "colleague", "message": "We met at PyCon.\r\nSee you!", "email": "ivy@example.org"}
    bad = auth.post("/invitations/invite-by-email", {**typed, "name": "Ivy\r\nPS: evil"})
    assert bad.status_code == 200 and "Use a single line" in body(bad)
    assert 'value="ivy@example.org"' in body(bad)

    sent = auth.post("/invitations/invite-by-email", {**typed, "name": "Ivy"})
    assert sent.status_code == 302
    with app.app_context():
        [mail] = [m for m in outbox() if m["To"] == "ivy@example.org"]
    assert "PS:" not in mail.get_content()
    assert mail["Subject"] == "Ada Lovelace invites you to connect on oneclick"
    assert "We met at PyCon.\nSee you!" in mail.get_content()  # a note may have several lines


@pytest.mark.parametrize(
    ("path", "data", "field"),
    [
        ("/links/new", {"label": "Slides\r\nX", "channel": "other"}, "label"),
        ("/links/new", {"label": "Slides", "channel": "other", "message": "Hi\x00"}, "message"),
        ("/settings/tokens", {"name": "CRM\nsync"}, "name"),
        ("/invitations/more", {"message": "Please\x1b[2J"}, "message"),
        ("/invitations/invite-by-email", {"how_known": "colleague", "email": "ivy@example.org",
                                          "message": "Hi\x1b[2J"}, "message"),
        ("/settings/blocked", {"email": "a@example.com\x00"}, "email"),
    ],
)
def test_member_forms_refuse_control_characters(client, auth, app, user, path, data, field):
    if path == "/invitations/more":  # the form is there once the allotment is used up
        with app.app_context():
            set_quota(db.session.get(User, user["id"]), invitations_sent=app.config["INVITE_ALLOTMENT"])
    auth.login()
    response = auth.post(path, data)
    assert response.status_code == 200, path
    page = body(response)
    assert "control characters" in page or "valid email" in page, path


def test_link_message_keeps_its_line_breaks(client, auth, app, user):
    auth.login()
    response = auth.post("/links/new", {"label": "Slides", "channel": "other", "message": "Hi!\r\nSay hello."})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(InviteLink.message)) in ("Hi!\r\nSay hello.", "Hi!\nSay hello.")


# --- API ----------------------------------------------------------------------------------------------------


def _token(app, user):
    with app.app_context():
        return {"Authorization": "Bearer " + make_api_token(db.session.get(User, user["id"]))}


@pytest.mark.parametrize("label", ["Slides\r\nX", "Slides\nX", "Slides\tX", "Slides\x85", "Slides\u2028"])
def test_api_one_line_fields_refuse_line_breaks_and_c1(client, app, user, label):
    response = client.post("/api/v1/links", json={"label": label}, headers=_token(app, user))
    assert response.status_code == 400
    assert response.json["error"]["fields"]["label"] == "Use a single line without control characters."


def test_api_multi_line_fields_keep_line_breaks_but_refuse_c1(client, app, user):
    headers = _token(app, user)
    ok = client.post("/api/v1/links", json={"label": "Slides", "message": "Hi!\nSay hello."}, headers=headers)
    assert ok.status_code == 201, ok.json
    bad = client.post("/api/v1/links", json={"label": "Slides", "message": "Hi!\x85"}, headers=headers)
    assert bad.status_code == 400 and "message" in bad.json["error"]["fields"]


def test_api_request_note_refuses_nul(client, app):
    owner = owner_with_link(app)
    with app.app_context():
        guest = make_user(email="bob@example.com", name="Bob Babbage")
        headers = {"Authorization": "Bearer " + make_api_token(guest)}
    response = client.post("/api/v1/requests", json={"url": owner["token"], "note": "Hi\x00"}, headers=headers)
    assert response.status_code == 400 and "note" in response.json["error"]["fields"]


def test_openapi_patterns_state_the_same_rule(client):
    import re

    doc = client.get("/api/v1/openapi.json").json
    schemas = {
        (path, method, name): prop
        for path, item in doc["paths"].items()
        for method, op in item.items()
        for name, prop in op.get("requestBody", {}).get("content", {}).get("application/json", {})
        .get("schema", {}).get("properties", {}).items()
        if "pattern" in prop
    }
    assert schemas
    for where, prop in schemas.items():
        assert not re.search(prop["pattern"], "Bob\x85X\x00"), where
    label = schemas[("/api/v1/links", "post", "label")]["pattern"]
    message = schemas[("/api/v1/links", "post", "message")]["pattern"]
    assert not re.search(label, "Slides\nX") and re.search(message, "Hi\nthere")


# --- No 500s: cursors and far-future dates ------------------------------------------------------------------


@pytest.mark.parametrize("after", ["²-1", "1-²", "٣-1", "1-" + "9" * 20, "1-18446744073709551616",
                                   "1-9223372036854775808", "1-2147483648", "1-4294967296", "253402300799999999-1",
                                   "9" * 19 + "-1"])
@pytest.mark.parametrize("path", ["/requests", "/connections"])
def test_odd_cursors_show_the_first_page(client, auth, app, user, path, after):
    with app.app_context():
        owner = db.session.get(User, user["id"])
        link, _ = make_invite_link(owner, label="Email signature")
    auth.login()
    response = client.get(path, query_string={"after": after})
    assert response.status_code == 200, (path, after)


@pytest.mark.parametrize("path", ["/links/{}", "/links/{}/edit", "/links/{}/delete", "/links/{}/rotate"])
def test_path_ids_beyond_the_id_column_are_a_404(client, auth, user, path):
    auth.login()
    for too_big in (2**31, 2**63, 2**64):
        assert client.get(path.format(too_big)).status_code == 404
    assert client.get(path.format(2**31 - 1)).status_code == 404  # the largest id: looked up, not found


def test_cursor_beyond_the_id_column_is_malformed():
    from oneclick.inbox.services import decode_cursor

    assert decode_cursor("1-" + str(2**31)) is None  # PostgreSQL's INTEGER ids stop below it
    assert decode_cursor("1-" + str(2**63)) is None
    assert decode_cursor("1-" + str(2**31 - 1)) is not None
    assert decode_cursor("²-1") is None


@pytest.mark.parametrize("path", ["/api/v1/requests", "/api/v1/connections", "/api/v1/invitations/sent"])
@pytest.mark.parametrize("cursor", ["²", "1-" + str(2**64), "x" * 300])
def test_api_odd_cursors_are_a_400(client, app, user, path, cursor):
    response = client.get(path, query_string={"cursor": cursor}, headers=_token(app, user))
    assert response.status_code == 400, (path, cursor, response.status_code)
    assert response.json["error"]["code"] == "invalid"


def test_api_signed_cursor_with_an_id_beyond_the_id_column_is_the_first_page(client, app, user):
    """A cursor we signed can't carry a huge id today, but decoding one must still never reach the database."""
    from oneclick.api.core import encode_cursor

    headers = _token(app, user)
    with app.test_request_context():
        for kind, path in (("requests", "/api/v1/requests"), ("connections", "/api/v1/connections")):
            cursor = encode_cursor(kind, "1-" + str(2**40))
            response = client.get(path, query_string={"cursor": cursor}, headers=headers)
            assert response.status_code == 200, (path, response.json)


@pytest.mark.parametrize("day", ["9999-12-31", "9999-12-30"])
def test_link_expiring_on_the_last_representable_day_saves_and_shows(client, auth, app, user, day):
    auth.login()
    response = auth.post("/links/new", {"label": "Forever", "channel": "other", "expires_preset": "custom",
                                        "expires_custom": f"{day}T23:59", "tz": "America/New_York"})
    assert response.status_code == 302, body(response)
    with app.app_context():
        link = db.session.scalar(select(InviteLink))
        link_id = link.id
        assert link.expires_at.year == 9999
    listing = client.get("/links")
    assert listing.status_code == 200
    edit = client.get(f"/links/{link_id}/edit")
    assert edit.status_code == 200 and "Keep: 3" in body(edit) and "Dec 9999" in body(edit)
    again = auth.post(f"/links/{link_id}/edit", {"label": "Forever", "channel": "other", "expires_preset": "keep"},
                      token_from=f"/links/{link_id}/edit")
    assert again.status_code == 302


def test_far_future_link_still_takes_requests(client, auth, app, user):
    auth.login()
    auth.post("/links/new", {"label": "Forever", "channel": "other", "expires_preset": "custom",
                             "expires_custom": "9999-12-31T23:59"})
    with app.app_context():
        link = db.session.scalar(select(InviteLink))
        from oneclick.tokens import sign_link

        token = sign_link(link.public_id, link.version)
    page = client.get(f"/c/{token}")
    assert page.status_code == 200
    assert csrf_from(page.get_data(as_text=True))


@pytest.mark.parametrize("ids", [["²"], ["٣"], [str(2**31)], [str(2**62)], ["1", "²", "99999999999999999"]])
def test_bulk_ids_with_unicode_digits_or_huge_numbers_are_dropped(client, auth, app, user, ids):
    auth.login()
    response = auth.post("/requests/bulk", {"ids": ids, "action": "accept"}, token_from="/requests")
    assert response.status_code in (302, 303), response.status_code


def test_a_name_stored_with_crlf_before_the_validator_still_gets_its_mail_out(client, auth, app):
    """Rows saved by older releases may hold CR/LF: the subject is flattened so the owner's mail still goes."""
    owner = owner_with_link(app)
    with app.app_context():
        db.session.execute(db.update(User).where(User.id == owner["id"]).values(notify_mode="instant"))
        make_user(email="bob@example.com", name="Bob Babbage")
        db.session.execute(db.update(User).where(User.email == "bob@example.com").values(name="Bob\r\nBcc: eve@x"))
        db.session.commit()
    auth.login("bob@example.com")
    member_post(client, owner["token"])
    with app.app_context():
        mails = [m for m in outbox() if m["To"] == "ada@example.com"]
    assert len(mails) == 1
    assert mails[0]["Subject"] == "Bob Bcc: eve@x wants to connect with you"
    assert mails[0]["Bcc"] is None
