"""Finding members and sending invitations: the invite screen, rules 1-3, 7 and 10, captcha, email invites."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.invitations import services
from oneclick.mail import outbox
from oneclick.models import Captcha, Connection, Invitation

from ..factories import make_invitation, set_quota
from ..helpers import activate_account
from .conftest import invitations_of, known_captcha_answer, post_form, quota_of

CAPTCHA_ID_RE = re.compile(r'name="captcha_id"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="captcha_id"')


def note(**extra):
    return {"how_known": "colleague", "message": "We worked together at the Analytical Engine project.", **extra}


def captcha_id_in(html: str) -> str:
    match = CAPTCHA_ID_RE.search(html)
    assert match, "no captcha on the page"
    return match.group(1) or match.group(2)


# ---- find members -----------------------------------------------------------------------------------------


def test_find_members_by_name_and_handle(client, people, as_member):
    as_member(people.ada)
    page = client.get("/invitations/find?q=babb").get_data(as_text=True)
    assert "Bob Babbage" in page and f"/invitations/invite/{people.bob.public_id}" in page
    page = client.get("/invitations/find?q=bobb").get_data(as_text=True)  # the handle
    assert "Bob Babbage" in page
    page = client.get("/invitations/find?q=ada").get_data(as_text=True)
    assert f"/invitations/invite/{people.ada.public_id}" not in page  # never yourself


def test_find_shows_connected_pending_and_invited_before(app, client, people, as_member):
    with app.app_context():
        ada = people.user(people.ada)
        db.session.add(Connection(owner_id=ada.id, member_id=people.bob.id, email=people.bob.email, name="Bob"))
        db.session.commit()
        make_invitation(ada, people.user(people.cy))
        make_invitation(ada, people.user(people.dee), status="withdrawn")
    as_member(people.ada)
    assert "Connected" in client.get("/invitations/find?q=bob").get_data(as_text=True)
    assert "Invitation pending" in client.get("/invitations/find?q=clone").get_data(as_text=True)
    assert "Invited before: invite by email" in client.get("/invitations/find?q=dee").get_data(as_text=True)
    assert ">Invite<" in client.get("/invitations/find?q=evans").get_data(as_text=True)


@pytest.mark.parametrize("q", ["%", "_", "a" * 500, "<script>"])
def test_find_survives_odd_queries(client, people, as_member, q):
    as_member(people.ada)
    response = client.get("/invitations/find", query_string={"q": q})
    assert response.status_code == 200
    assert "<script>" not in response.get_data(as_text=True).split("<main", 1)[1]


def test_find_wildcards_are_literal(client, people, as_member):
    as_member(people.ada)
    assert "Bob Babbage" not in client.get("/invitations/find?q=%25%25").get_data(as_text=True)


# ---- the invite screen and sending to a member ---------------------------------------------------------------------


def test_invite_screen_asks_how_you_know_them(client, people, as_member):
    as_member(people.ada)
    page = client.get(f"/invitations/invite/{people.bob.public_id}").get_data(as_text=True)
    assert "How do you know Bob Babbage?" in page
    labels = ("Colleague", "Classmate", "done business together", "Friend", "Other", "I don&#39;t know Bob Babbage")
    for label in labels:
        assert label in page
    assert 'name="email"' not in page  # rule 3/7 don't apply: no email field
    assert 'name="captcha_answer"' not in page


def test_send_to_member(app, client, people, as_member):
    as_member(people.ada)
    path = f"/invitations/invite/{people.bob.public_id}"
    response = post_form(client, path, note(), token_from=path)
    assert response.status_code == 302 and response.location.endswith("/invitations/sent")
    [inv] = invitations_of(app, people.ada)
    assert (inv.recipient_id, inv.status, inv.how_known) == (people.bob.id, "pending", "colleague")
    assert quota_of(app, people.ada).invitations_sent == 1
    with app.app_context():
        mail = outbox()[-1]
        assert mail["To"] == people.bob.email and "Ada Lovelace" in mail["Subject"]
        assert "Analytical Engine" in mail.get_content()


def test_blank_note_is_nudged_then_allowed(app, client, people, as_member):
    as_member(people.ada)
    path = f"/invitations/invite/{people.bob.public_id}"
    response = post_form(client, path, {"how_known": "friend", "message": "  "}, token_from=path)
    assert response.status_code == 200
    assert "has no personal note" in response.get_data(as_text=True)
    assert invitations_of(app, people.ada) == []
    response = post_form(client, path, {"how_known": "friend", "message": "", "send_without_note": "y"},
                         token_from=path)
    assert response.status_code == 302
    assert len(invitations_of(app, people.ada)) == 1


@pytest.mark.parametrize(
    "data,message",
    [
        (note(message="x" * 301), "Keep your note to 300 characters"),
        (note(how_known="enemy"), "Not a valid choice"),
        ({"message": "hello"}, "Choose how you know them"),
        (note(how_known="dont_know"), "You can only invite people you know"),
    ],
)
def test_bad_input_is_refused_with_a_message(app, client, people, as_member, data, message):
    as_member(people.ada)
    path = f"/invitations/invite/{people.bob.public_id}"
    response = post_form(client, path, data, token_from=path)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert invitations_of(app, people.ada) == []


def test_exactly_300_characters_is_fine(app, client, people, as_member):
    as_member(people.ada)
    path = f"/invitations/invite/{people.bob.public_id}"
    assert post_form(client, path, note(message="x" * 300), token_from=path).status_code == 302


def test_unknown_member_is_404(client, people, as_member):
    as_member(people.ada)
    assert client.get("/invitations/invite/nobody-here").status_code == 404
    assert post_form(client, "/invitations/invite/nobody-here", note()).status_code == 404


def test_unactivated_member_is_404(app, client, people, as_member):
    from ..factories import make_user

    with app.app_context():
        ghost = make_user(email="ghost@example.com", verified=False)
        pid = ghost.public_id
    as_member(people.ada)
    assert client.get(f"/invitations/invite/{pid}").status_code == 404


# ---- rule 10: never yourself, never a connection ------------------------------------------------------------


def test_cannot_invite_yourself(app, client, people, as_member):
    as_member(people.ada)
    page = client.get(f"/invitations/invite/{people.ada.public_id}").get_data(as_text=True)
    assert "You can&#39;t invite yourself" in page and 'name="how_known"' not in page
    post_form(client, f"/invitations/invite/{people.ada.public_id}", note())
    assert invitations_of(app, people.ada) == []
    post_form(client, "/invitations/invite-by-email", note(email="ADA@example.com"),
              token_from="/invitations/invite-by-email")
    assert invitations_of(app, people.ada) == []


def test_cannot_invite_a_connection(app, client, people, as_member):
    with app.app_context():
        db.session.add(Connection(owner_id=people.ada.id, member_id=people.bob.id, email=people.bob.email, name="Bob"))
        db.session.commit()
    as_member(people.ada)
    page = client.get(f"/invitations/invite/{people.bob.public_id}").get_data(as_text=True)
    assert "already connected" in page
    response = post_form(client, f"/invitations/invite/{people.bob.public_id}", note())
    assert response.status_code == 200
    assert invitations_of(app, people.ada) == []


def test_cannot_invite_a_guest_connection_by_email(app, client, people, as_member):
    with app.app_context():
        db.session.add(Connection(owner_id=people.ada.id, email="guest@example.org", name="Guest"))
        db.session.commit()
    as_member(people.ada)
    response = post_form(client, "/invitations/invite-by-email", note(email="guest@example.org"),
                         token_from="/invitations/invite-by-email")
    assert "already connected" in response.get_data(as_text=True)
    assert invitations_of(app, people.ada) == []


# ---- rule 3: invited before -> email only -------------------------------------------------------------------


def test_invited_before_needs_the_right_email(app, client, people, as_member):
    with app.app_context():
        make_invitation(people.user(people.ada), people.user(people.bob), status="withdrawn",
                        created_at=utcnow() - timedelta(days=3))
    as_member(people.ada)
    path = f"/invitations/invite/{people.bob.public_id}"
    page = client.get(path).get_data(as_text=True)
    assert "You invited Bob Babbage before" in page and 'name="email"' in page
    response = post_form(client, path, note(), token_from=path)
    assert "Enter their email address" in response.get_data(as_text=True)
    response = post_form(client, path, note(email="robert@example.com"), token_from=path)
    assert "isn&#39;t their email address" in response.get_data(as_text=True)
    response = post_form(client, path, note(email="not-an-email"), token_from=path)
    assert "Enter a valid email address" in response.get_data(as_text=True)
    assert len(invitations_of(app, people.ada)) == 1
    response = post_form(client, path, note(email="Bob@Example.com"), token_from=path)
    assert response.status_code == 302
    assert len(invitations_of(app, people.ada)) == 2


def test_pending_invitation_is_not_sent_twice(app, client, people, as_member):
    as_member(people.ada)
    path = f"/invitations/invite/{people.bob.public_id}"
    assert post_form(client, path, note(), token_from=path).status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "still waiting for an answer" in page
    response = post_form(client, path, note(email=people.bob.email))
    assert response.status_code == 200
    assert len(invitations_of(app, people.ada)) == 1
    assert quota_of(app, people.ada).invitations_sent == 1


def test_accepted_before_and_disconnected_is_a_fresh_invite(app, client, people, as_member):
    with app.app_context():
        make_invitation(people.user(people.ada), people.user(people.bob), status="accepted")
    as_member(people.ada)
    page = client.get(f"/invitations/invite/{people.bob.public_id}").get_data(as_text=True)
    assert 'name="email"' not in page  # "any status but accepted"


# ---- rule 7: restricted -> email for every invitation ----------------------------------------------------------


def test_restricted_member_needs_email_for_everyone(app, client, people, as_member):
    with app.app_context():
        set_quota(people.user(people.ada), restricted=True, restrictions=1, declines_since_lift=5, declines_total=5)
    as_member(people.ada)
    path = f"/invitations/invite/{people.bob.public_id}"
    page = client.get(path).get_data(as_text=True)
    assert "Your account is restricted" in page and 'name="email"' in page
    assert "Enter their email address" in post_form(client, path, note(), token_from=path).get_data(as_text=True)
    assert post_form(client, path, note(email=people.bob.email), token_from=path).status_code == 302


# ---- rule 1: the allotment --------------------------------------------------------------------------------------


@pytest.mark.config(INVITE_ALLOTMENT=2)
def test_allotment_exactly_then_refused(app, client, people, as_member):
    as_member(people.ada)
    for who in (people.bob, people.cy):
        path = f"/invitations/invite/{who.public_id}"
        assert post_form(client, path, note(), token_from=path).status_code == 302
    path = f"/invitations/invite/{people.dee.public_id}"
    page = client.get(path).get_data(as_text=True)
    assert "used all of your invitations" in page and "/invitations/more" in page
    assert post_form(client, path, note()).status_code == 200
    assert len(invitations_of(app, people.ada)) == 2
    assert quota_of(app, people.ada).invitations_sent == 2


def test_withdrawing_never_credits_back(app, people):
    with app.app_context():
        app.config["INVITE_ALLOTMENT"] = 1
        ada = people.user(people.ada)
        with app.test_request_context():
            first = services.send_invitation(ada, utcnow(), member=people.user(people.bob), how_known="friend")
            assert first.invitation is not None
            assert services.withdraw(ada, first.invitation.public_id, utcnow()).allowed
            again = services.send_invitation(ada, utcnow(), member=people.user(people.cy), how_known="friend")
            assert again.decision.reason == "allotment_exhausted"


# ---- rule 2: captcha beyond the free daily count -------------------------------------------------------------------


@pytest.mark.config(CAPTCHA_AFTER_PER_DAY=2)
def test_third_invitation_in_24h_needs_a_captcha(app, client, people, as_member):
    as_member(people.ada)
    for who in (people.bob, people.cy):
        path = f"/invitations/invite/{who.public_id}"
        page = client.get(path).get_data(as_text=True)
        assert 'name="captcha_answer"' not in page
        assert post_form(client, path, note(), token_from=path).status_code == 302

    path = f"/invitations/invite/{people.dee.public_id}"
    page = client.get(path).get_data(as_text=True)
    assert 'name="captcha_answer"' in page and "Listen to an audio check instead" in page
    captcha_id = captcha_id_in(page)
    image = client.get(f"/invitations/captcha/{captcha_id}.png")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data[:4] == b"\x89PNG"
    assert "no-store" in image.headers["Cache-Control"]
    cookie = client.get_cookie("oneclick_session")
    session = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert captcha_id not in repr(session) and "captcha" not in repr(session)

    # Without an answer: refused, nothing sent.
    response = post_form(client, path, note(captcha_id=captcha_id), token_from=path)
    assert "security check" in response.get_data(as_text=True)
    assert len(invitations_of(app, people.ada)) == 2

    # A wrong answer uses the captcha up.
    page = client.get(path).get_data(as_text=True)
    captcha_id = captcha_id_in(page)
    answer = known_captcha_answer(app, captcha_id)
    response = post_form(client, path, note(captcha_id=captcha_id, captcha_answer="000000x"), token_from=path)
    assert "wasn&#39;t right" in response.get_data(as_text=True)
    response = post_form(client, path, note(captcha_id=captcha_id, captcha_answer=answer), token_from=path)
    assert response.status_code == 200, "a used captcha must not work again"
    assert client.get(f"/invitations/captcha/{captcha_id}.png").status_code == 404

    # The right answer on a fresh captcha sends it.
    page = client.get(path).get_data(as_text=True)
    captcha_id = captcha_id_in(page)
    answer = known_captcha_answer(app, captcha_id, "135790")
    response = post_form(client, path, note(captcha_id=captcha_id, captcha_answer=" 135 790 "), token_from=path)
    assert response.status_code == 302
    assert len(invitations_of(app, people.ada)) == 3

    # One captcha per invitation: the solved one can't send a fourth.
    path = f"/invitations/invite/{people.eve.public_id}"
    response = post_form(client, path, note(captcha_id=captcha_id, captcha_answer=answer), token_from=path)
    assert response.status_code == 200
    assert len(invitations_of(app, people.ada)) == 3


@pytest.mark.config(CAPTCHA_AFTER_PER_DAY=1)
def test_captcha_answer_is_stored_only_hashed_and_expires(app, client, people, as_member):
    as_member(people.ada)
    path = f"/invitations/invite/{people.bob.public_id}"
    assert post_form(client, path, note(), token_from=path).status_code == 302
    path = f"/invitations/invite/{people.cy.public_id}"
    captcha_id = captcha_id_in(client.get(path).get_data(as_text=True))
    with app.app_context():
        row = db.session.get(Captcha, captcha_id)
        assert len(row.answer_hash) == 64 and row.user_id == people.ada.id
        assert row.expires_at - row.created_at == timedelta(seconds=app.config["CAPTCHA_TTL_SECONDS"])
        # Expire it: a correct answer no longer works.
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    answer = known_captcha_answer(app, captcha_id)
    response = post_form(client, path, note(captcha_id=captcha_id, captcha_answer=answer), token_from=path)
    assert response.status_code == 200
    assert len(invitations_of(app, people.ada)) == 1


@pytest.mark.config(CAPTCHA_AFTER_PER_DAY=0)
def test_audio_alternative(client, people, as_member):
    as_member(people.ada)
    page = client.get(f"/invitations/invite/{people.bob.public_id}?captcha=audio").get_data(as_text=True)
    captcha_id = captcha_id_in(page)
    assert "<audio" in page and "Show a picture instead" in page
    audio = client.get(f"/invitations/captcha/{captcha_id}.wav")
    assert audio.status_code == 200 and audio.mimetype == "audio/wav" and audio.data[:4] == b"RIFF"
    assert client.get(f"/invitations/captcha/{captcha_id}.png").status_code == 404  # wrong kind


@pytest.mark.config(CAPTCHA_AFTER_PER_DAY=0)
def test_someone_elses_captcha_is_404(app, client, people, as_member, auth):
    as_member(people.ada)
    captcha_id = captcha_id_in(client.get(f"/invitations/invite/{people.bob.public_id}").get_data(as_text=True))
    auth.logout()
    as_member(people.bob)
    assert client.get(f"/invitations/captcha/{captcha_id}.png").status_code == 404
    assert client.get("/invitations/captcha/garbage.png").status_code == 404
    assert client.get(f"/invitations/captcha/{captcha_id}.exe").status_code == 404


@pytest.mark.config(CAPTCHA_AFTER_PER_DAY=0, CAPTCHA_LIMIT="3 per minute")
def test_captcha_attempts_are_rate_limited(app, client, people, as_member):
    as_member(people.ada)
    path = f"/invitations/invite/{people.bob.public_id}"
    statuses = []
    for _ in range(5):
        captcha_id = captcha_id_in(client.get(path).get_data(as_text=True))
        statuses.append(post_form(client, path, note(captcha_id=captcha_id, captcha_answer="111111"),
                                  token_from="/settings").status_code)
    assert statuses == [200, 200, 200, 429, 429]


@pytest.mark.config(CAPTCHA_AFTER_PER_DAY=0)
def test_page_views_show_one_live_captcha_instead_of_minting_more(app, client, people, as_member):
    as_member(people.ada)
    path = f"/invitations/invite/{people.bob.public_id}"
    audio_ids = {captcha_id_in(client.get(f"{path}?captcha=audio").get_data(as_text=True)) for _ in range(40)}
    assert len(audio_ids) == 1
    # Without asking for a kind the page shows the live one as it is; asking for a picture replaces it.
    assert captcha_id_in(client.get(path).get_data(as_text=True)) in audio_ids
    picture = captcha_id_in(client.get(f"{path}?captcha=image").get_data(as_text=True))
    assert picture not in audio_ids
    with app.app_context():
        rows = db.session.scalars(select(Captcha)).all()
        assert [(r.id, r.kind) for r in rows] == [(picture, "image")]  # 40 audio views stored 40 WAVs before
    # A refused post shows it again; only an answer uses it up.
    response = post_form(client, path, note(captcha_id=""), token_from=path)
    assert captcha_id_in(response.get_data(as_text=True)) == picture


@pytest.mark.config(CAPTCHA_AFTER_PER_DAY=0, CAPTCHA_LIMIT="3 per minute")
def test_captcha_media_is_rate_limited_per_member(app, client, people, as_member, auth):
    as_member(people.ada)
    captcha_id = captcha_id_in(client.get(f"/invitations/invite/{people.bob.public_id}").get_data(as_text=True))
    statuses = [client.get(f"/invitations/captcha/{captcha_id}.png").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    auth.logout()
    as_member(people.bob)  # per member, not per address: Bob on the same address isn't held back
    captcha_id = captcha_id_in(client.get(f"/invitations/invite/{people.cy.public_id}").get_data(as_text=True))
    assert client.get(f"/invitations/captcha/{captcha_id}.png").status_code == 200


def test_purge_captchas_deletes_spent_and_expired_ones(app, runner, people):
    from oneclick.invitations import captcha as captchas

    with app.app_context():
        now = utcnow()
        spent = captchas.issue(people.ada.id, now).id
        db.session.commit()
        captchas.consume(people.ada.id, spent, "wrong", now)
        expired = captchas.issue(people.bob.id, now - timedelta(hours=1)).id
        live = captchas.issue(people.cy.id, now).id
        db.session.commit()
    result = runner.invoke(args=["invitations", "purge-captchas"])
    assert result.exit_code == 0 and "Deleted 2 captchas." in result.output
    with app.app_context():
        assert db.session.scalars(select(Captcha.id)).all() == [live]
        assert expired != live


# ---- inviting a non-member by email ----------------------------------------------------------------------------


def test_invite_non_member_who_then_joins(app, client, people, as_member, auth):
    as_member(people.ada)
    response = post_form(client, "/invitations/invite-by-email",
                         note(email="Newbie@Example.org", name="New Bie"), token_from="/invitations/invite-by-email")
    assert response.status_code == 302
    [inv] = invitations_of(app, people.ada)
    assert (inv.recipient_id, inv.recipient_email, inv.recipient_name) == (None, "newbie@example.org", "New Bie")
    with app.app_context():
        mail = outbox()[-1]
        assert mail["To"] == "newbie@example.org"
        assert "/register" in mail.get_content()
    auth.logout()

    auth.post("/register", {"name": "New Bie", "email": "newbie@example.org", "password": "a long enough password"})
    with app.app_context():
        link = re.search(r"http://\S+/activate/\S+", outbox()[-1].get_content()).group(0)
    activate_account(client, link.replace("http://oneclick.test", ""), "a long enough password")
    page = client.get("/invitations/received").get_data(as_text=True)
    assert "Ada Lovelace" in page and "Analytical Engine" in page


def test_invite_by_email_to_a_member_address_reaches_the_member(app, client, people, as_member):
    as_member(people.ada)
    response = post_form(client, "/invitations/invite-by-email", note(email="BOB@example.com", name="Whoever"),
                         token_from="/invitations/invite-by-email")
    assert response.status_code == 302
    [inv] = invitations_of(app, people.ada)
    # It reaches Bob, but the sender's list shows only what they typed: no name behind an address is revealed.
    assert (inv.recipient_id, inv.recipient_name) == (people.bob.id, "Whoever")
    assert "Bob Babbage" not in client.get("/invitations/sent").get_data(as_text=True)


def test_sent_page_shows_a_typed_address_the_same_whoever_holds_it(app, client, people, as_member):
    from ..factories import make_user

    with app.app_context():
        make_user(email="pending@example.com", name="Not Verified", verified=False)
    as_member(people.ada)
    rows = []
    for address in ("bob@example.com", "pending@example.com", "nobody@example.com"):
        response = post_form(client, "/invitations/invite-by-email", note(email=address, name="Whoever"),
                             token_from="/invitations/invite-by-email")
        assert response.status_code == 302
        flashed = client.get("/invitations/sent").get_data(as_text=True)
        assert f"Invitation sent to {address}." in flashed
        row = re.search(r'<tr class="sent-row[^"]*">(.*?)</tr>', flashed, re.S).group(1)  # newest first
        row = re.sub(r'name="csrf_token"[^>]*', "CSRF", row)
        row = re.sub(r"<time[^>]*>.*?</time>", "TIME", row, flags=re.S)  # sent a moment apart: times may differ
        rows.append(re.sub(r"/invitations/sent/[^/]+/", "/invitations/sent/ID/", row).replace(address, "ADDR"))
    assert rows[0] == rows[1] == rows[2]
    assert "ADDR" in rows[0] and "Bob Babbage" not in rows[0]
    with app.app_context():
        by_address = {i.recipient_email: i.recipient_id for i in invitations_of(app, people.ada)}
    assert by_address == {"bob@example.com": people.bob.id, "pending@example.com": None, "nobody@example.com": None}


@pytest.mark.parametrize("email", ["", "nope", "a@" + "b" * 260 + ".com"])
def test_invite_by_email_refuses_bad_addresses(app, client, people, as_member, email):
    as_member(people.ada)
    response = post_form(client, "/invitations/invite-by-email", note(email=email),
                         token_from="/invitations/invite-by-email")
    assert response.status_code == 200
    assert 'class="error"' in response.get_data(as_text=True)
    assert invitations_of(app, people.ada) == []


def test_email_invite_name_cannot_inject_headers(app, client, people, as_member):
    as_member(people.ada)
    with app.test_request_context():
        ada = people.user(people.ada)
        result = services.send_invitation(ada, utcnow(), email="x@example.org", name="Evil\r\nBcc: all@example.org",
                                          how_known="friend", message="hi")
        assert result.invitation.recipient_name == "Evil Bcc: all@example.org"
        assert outbox()[-1]["Bcc"] is None


# ---- rule 11 and the service's own bookkeeping ------------------------------------------------------------------


def test_inbound_requests_touch_no_counters(app, people):
    from ..factories import make_request

    with app.app_context():
        make_request(people.user(people.ada), requester_email="someone@example.org")
        summary = services.quota_summary(people.user(people.ada), utcnow())
        assert (summary.sent, summary.sent_24h, summary.declines_since_lift) == (0, 0, 0)


def test_quota_summary_counts(app, people):
    with app.app_context():
        ada = people.user(people.ada)
        set_quota(ada, invitations_sent=10, extra_allotment=500, declines_since_lift=2)
        make_invitation(ada, created_at=utcnow() - timedelta(hours=23))
        make_invitation(ada, created_at=utcnow() - timedelta(hours=25))
        s = services.quota_summary(ada, utcnow())
        assert (s.allotment, s.sent, s.left, s.sent_24h, s.declines_since_lift) == (3500, 10, 3490, 1, 2)


def test_send_is_recorded_with_the_decision_time(app, people):
    with app.test_request_context():
        now = utcnow()
        result = services.send_invitation(people.user(people.ada), now, member=people.user(people.bob),
                                          how_known="business", message="hello")
        inv = db.session.scalar(select(Invitation).where(Invitation.id == result.invitation.id))
        assert inv.created_at == now
