"""API: members search and outbound invitations, with every quota-rule error code."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.invitations.captcha import _hash
from oneclick.models import Captcha, Invitation, User

from ..conftest import csrf_from
from ..factories import make_invitation, make_user, set_quota
from .conftest import error_of


def _invitations(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Invitation))


def _user(app, info) -> User:
    return db.session.get(User, info["id"])


@pytest.fixture
def grace(api_as):
    return api_as(email="grace@example.com", name="Grace Hopper", headline="Admiral", handle="grace")


def _known_answer(app, captcha_id: str, answer: str = "424242") -> str:
    with app.app_context():
        row = db.session.get(Captcha, captcha_id)
        row.answer_hash = _hash(captcha_id, answer)
        db.session.commit()
    return answer


# --- Members ------------------------------------------------------------------------------------------------


def test_members_search(app, api, grace):
    response = api.get("members", query_string={"q": "grace"})
    assert response.status_code == 200
    assert response.get_json()["items"] == [
        {"id": grace.user["public_id"], "name": "Grace Hopper", "handle": "grace", "headline": "Admiral",
         "state": "invite"}
    ]
    assert api.get("members", query_string={"q": "g"}).get_json()["items"] == []  # too short
    assert api.get("members").get_json()["items"] == []
    assert api.get("members", query_string={"q": "Ada"}).get_json()["items"] == []  # never yourself
    response = api.get("members", query_string={"q": "x" * 101})
    assert response.status_code == 400 and error_of(response) == "invalid"


# --- Sending ------------------------------------------------------------------------------------------------


def test_invite_a_member(app, api, grace):
    response = api.post(
        "invitations", json={"recipient_id": grace.user["public_id"], "relationship": "colleague", "message": "Hi"}
    )
    assert response.status_code == 201
    inv = response.get_json()
    assert inv["status"] == "pending"
    assert inv["recipient"] == {"id": grace.user["public_id"], "name": "Grace Hopper", "email": None}
    assert api.get("me").get_json()["quota"]["sent"] == 1
    received = grace.get("invitations/received").get_json()["items"]
    assert [(i["id"], i["sender"]["name"], i["relationship"], i["message"]) for i in received] == [
        (inv["id"], "Ada Lovelace", "colleague", "Hi")
    ]
    # Pending already: a second one is a conflict.
    response = api.post("invitations", json={"recipient_id": grace.user["public_id"], "relationship": "friend"})
    assert response.status_code == 409 and error_of(response) == "already_pending"


def test_invite_by_email(app, api):
    response = api.post("invitations", json={"email": "New.Person@Example.org", "relationship": "business"})
    assert response.status_code == 201
    assert response.get_json()["recipient"] == {"id": None, "name": "", "email": "new.person@example.org"}


def test_invite_yourself_is_self_invite(app, api, user):
    for data in ({"recipient_id": user["public_id"]}, {"email": "ada@example.com"}):
        response = api.post("invitations", json={**data, "relationship": "friend"})
        assert response.status_code == 400 and error_of(response) == "self_invite"
    assert _invitations(app) == 0


def test_invite_a_connection_is_already_connected(app, api, grace):
    link = grace.post("links", json={"label": "L"}).get_json()
    sent = api.post("requests", json={"url": link["url"]}).get_json()
    grace.post(f"requests/{sent['id']}/accept")
    response = api.post("invitations", json={"recipient_id": grace.user["public_id"], "relationship": "friend"})
    assert response.status_code == 409 and error_of(response) == "already_connected"


def test_allotment_exhausted(app, api, grace, user):
    with app.app_context():
        set_quota(_user(app, user), invitations_sent=app.config["INVITE_ALLOTMENT"])
    response = api.post("invitations", json={"recipient_id": grace.user["public_id"], "relationship": "friend"})
    assert response.status_code == 403 and error_of(response) == "allotment_exhausted"
    assert api.get("me").get_json()["quota"]["remaining"] == 0


def test_email_required_after_an_earlier_invitation(app, api, grace, user):
    with app.app_context():
        make_invitation(_user(app, user), _user(app, grace.user), status="withdrawn")
    payload = {"recipient_id": grace.user["public_id"], "relationship": "friend"}
    response = api.post("invitations", json=payload)
    assert response.status_code == 403 and error_of(response) == "email_required"
    assert response.get_json()["reason"] == "already_invited"
    response = api.post("invitations", json={**payload, "email": "someone.else@example.com"})
    assert response.status_code == 403 and error_of(response) == "email_mismatch"
    response = api.post("invitations", json={**payload, "email": "grace@example.com"})
    assert response.status_code == 201


def test_email_required_while_restricted(app, api, grace, user):
    with app.app_context():
        set_quota(_user(app, user), restricted=True, restrictions=1)
    response = api.post("invitations", json={"recipient_id": grace.user["public_id"], "relationship": "friend"})
    assert response.status_code == 403 and error_of(response) == "email_required"
    assert response.get_json()["reason"] == "restricted"


@pytest.mark.config(CAPTCHA_AFTER_PER_DAY=0)
def test_captcha_required_then_solved(app, api, grace):
    payload = {"recipient_id": grace.user["public_id"], "relationship": "friend"}
    response = api.post("invitations", json=payload)
    assert response.status_code == 428 and error_of(response) == "captcha_required"
    captcha = response.get_json()["captcha"]
    assert captcha["image_url"].startswith("http://oneclick.test/api/v1/captchas/")
    image = api.get(captcha["image_url"].removeprefix("http://oneclick.test"))
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data[:4] == b"\x89PNG"
    # Someone else can't see it.
    assert grace.get(captcha["image_url"].removeprefix("http://oneclick.test")).status_code == 404

    wrong = api.post("invitations", json={**payload, "captcha_id": captcha["id"], "captcha_answer": "000000x"})
    assert wrong.status_code == 400 and error_of(wrong) == "captcha_invalid"
    fresh = wrong.get_json()["captcha"]
    assert fresh["id"] != captcha["id"]
    answer = _known_answer(app, fresh["id"])
    ok = api.post("invitations", json={**payload, "captcha_id": fresh["id"], "captcha_answer": answer})
    assert ok.status_code == 201
    # Reused: invalid (and nothing more is sent).
    again = api.post("invitations", json={"email": "x@example.org", "relationship": "friend",
                                          "captcha_id": fresh["id"], "captcha_answer": answer})
    assert again.status_code == 400 and error_of(again) == "captcha_invalid"
    assert _invitations(app) == 1


@pytest.mark.config(CAPTCHA_AFTER_PER_DAY=0, CAPTCHA_TTL_SECONDS=1)
def test_expired_captcha_is_invalid(app, api, grace):
    payload = {"recipient_id": grace.user["public_id"], "relationship": "friend"}
    captcha = api.post("invitations", json=payload).get_json()["captcha"]
    answer = _known_answer(app, captcha["id"])
    with app.app_context():
        row = db.session.get(Captcha, captcha["id"])
        row.expires_at = utcnow() - timedelta(seconds=5)
        db.session.commit()
    response = api.post("invitations", json={**payload, "captcha_id": captcha["id"], "captcha_answer": answer})
    assert response.status_code == 400 and error_of(response) == "captcha_invalid"


def test_unknown_captcha_image_is_404(api):
    response = api.get("captchas/nope")
    assert response.status_code == 404 and error_of(response) == "not_found"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"relationship": "friend"}, "recipient_id"),
        ({"email": "a@example.org"}, "relationship"),
        ({"email": "a@example.org", "relationship": "enemy"}, "relationship"),
        ({"email": "a@example.org", "relationship": "dont_know"}, "relationship"),
        ({"email": "not-an-email", "relationship": "friend"}, "email"),
        ({"email": "a@example.org", "relationship": "friend", "message": "m" * 301}, "message"),
        ({"recipient_id": "", "relationship": "friend"}, "recipient_id"),
        ({"recipient_id": 5, "relationship": "friend"}, "recipient_id"),
        ({"email": "a@example.org", "relationship": "friend", "how_known": "x"}, "how_known"),
    ],
)
def test_send_refuses_bad_fields(app, api, data, field):
    response = api.post("invitations", json=data)
    assert response.status_code == 400 and error_of(response) == "invalid"
    assert field in response.get_json()["error"]["fields"]
    assert _invitations(app) == 0


def test_unknown_recipient_is_404(app, api):
    response = api.post("invitations", json={"recipient_id": "nobody", "relationship": "friend"})
    assert response.status_code == 404 and error_of(response) == "not_found"


# --- The sender's list and actions ------------------------------------------------------------------------


def test_sent_list_statuses_and_actions(app, api, user):
    now = utcnow()
    with app.app_context():
        me = _user(app, user)
        rows = {}
        for status, extra in (
            ("pending", {}),
            ("accepted", {}),
            ("ignored", {}),
            ("declined", {"decline_kind": "spam"}),
            ("withdrawn", {}),
        ):
            other = make_user(name=f"Person {status}")
            rows[status] = make_invitation(me, other, status=status, **extra).public_id
        make_invitation(me, make_user(name="Old one"), created_at=now - timedelta(days=30))
    items = api.get("invitations/sent").get_json()["items"]
    by_id = {i["id"]: i for i in items}
    assert {by_id[rows[s]]["status"] for s in rows} == set(rows)
    assert by_id[rows["pending"]]["actions"] == ["resend", "withdraw"]
    assert by_id[rows["ignored"]]["actions"] == ["withdraw"]
    assert by_id[rows["withdrawn"]]["actions"] == ["delete"]
    assert by_id[rows["accepted"]]["actions"] == [] and by_id[rows["declined"]]["actions"] == []
    assert "spam" not in str(by_id[rows["declined"]]) and "idk" not in str(by_id[rows["declined"]])
    assert [i["stale"] for i in items if i["recipient"]["name"] == "Old one"] == [True]
    declined = api.get("invitations/sent", query_string={"status": "declined"}).get_json()["items"]
    assert [i["id"] for i in declined] == [rows["declined"]]
    found = api.get("invitations/sent", query_string={"q": "Person acc"}).get_json()["items"]
    assert [i["id"] for i in found] == [rows["accepted"]]
    assert api.get("invitations/sent", query_string={"status": "stale"}).status_code == 400


def test_sent_list_pages(app, api, user):
    start = utcnow() - timedelta(hours=2)
    with app.app_context():
        me = _user(app, user)
        for i in range(51):
            make_invitation(me, None, recipient_email=f"p{i}@example.org", created_at=start + timedelta(minutes=i))
    first = api.get("invitations/sent").get_json()
    assert len(first["items"]) == 50 and first["next_cursor"]
    second = api.get("invitations/sent", query_string={"cursor": first["next_cursor"]}).get_json()
    assert [i["recipient"]["email"] for i in second["items"]] == ["p0@example.org"]
    assert second["next_cursor"] is None
    response = api.get("invitations/sent", query_string={"cursor": "2"})
    assert response.status_code == 400 and error_of(response) == "invalid"


def test_withdraw_resend_delete(app, api, grace, user):
    inv = api.post("invitations", json={"recipient_id": grace.user["public_id"], "relationship": "friend"}).get_json()
    response = api.post(f"invitations/{inv['id']}/resend")
    assert response.status_code == 409 and error_of(response) == "resend_too_soon"
    assert response.get_json()["next_allowed_at"]
    with app.app_context():
        row = db.session.scalar(select(Invitation).where(Invitation.public_id == inv["id"]))
        row.created_at = utcnow() - timedelta(days=8)
        db.session.commit()
    response = api.post(f"invitations/{inv['id']}/resend")
    assert response.status_code == 200 and response.get_json() == {"id": inv["id"], "status": "pending"}

    response = api.delete(f"invitations/{inv['id']}")
    assert response.status_code == 409 and error_of(response) == "not_deletable"
    response = api.post(f"invitations/{inv['id']}/withdraw")
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    response = api.post(f"invitations/{inv['id']}/withdraw")
    assert response.status_code == 409 and error_of(response) == "not_withdrawable"
    response = api.post(f"invitations/{inv['id']}/resend")
    assert response.status_code == 409 and error_of(response) == "not_resendable"
    assert api.delete(f"invitations/{inv['id']}").status_code == 204
    assert api.get("invitations/sent").get_json()["items"] == []
    assert api.get("me").get_json()["quota"]["sent"] == 1  # withdrawing never gives it back


def test_sender_actions_on_someone_elses_invitation_are_404(app, api, grace, api_as):
    third = api_as(email="third@example.com")
    inv = third.post("invitations", json={"recipient_id": grace.user["public_id"], "relationship": "friend"}).get_json()
    for response in (
        api.post(f"invitations/{inv['id']}/withdraw"),
        api.post(f"invitations/{inv['id']}/resend"),
        api.delete(f"invitations/{inv['id']}"),
        api.post(f"invitations/{inv['id']}/accept"),
        grace.post(f"invitations/{inv['id']}/withdraw"),  # the recipient isn't the sender
        third.post(f"invitations/{inv['id']}/accept"),  # nor the other way round
        api.post("invitations/nonexistent/withdraw"),
    ):
        assert response.status_code == 404 and error_of(response) == "not_found"


# --- The recipient's actions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status"), [("accept", "accepted"), ("ignore", "ignored"), ("idk", "declined"), ("spam", "declined")]
)
def test_recipient_answers(app, api, grace, action, status):
    inv = api.post("invitations", json={"recipient_id": grace.user["public_id"], "relationship": "friend"}).get_json()
    response = grace.post(f"invitations/{inv['id']}/{action}")
    assert response.status_code == 200 and response.get_json() == {"id": inv["id"], "status": status}
    sent = api.get("invitations/sent").get_json()["items"][0]
    assert sent["status"] == status
    if action == "ignore":
        assert grace.get("invitations/received").get_json()["items"] == []
        archived = grace.get("invitations/received", query_string={"status": "ignored"}).get_json()["items"]
        assert [i["id"] for i in archived] == [inv["id"]]
        assert grace.post(f"invitations/{inv['id']}/ignore").status_code == 409
    else:
        response = grace.post(f"invitations/{inv['id']}/accept")
        assert response.status_code == 409 and error_of(response) == "already_answered"
    if action in ("idk", "spam"):
        assert api.get("me").get_json()["quota"]["declines_since_lift"] == 1
    if action == "accept":
        assert [c["member_id"] for c in api.get("connections").get_json()["items"]] == [grace.user["public_id"]]


def test_received_refuses_bad_status(api):
    response = api.get("invitations/received", query_string={"status": "declined"})
    assert response.status_code == 400 and error_of(response) == "invalid"


# --- An address is never mapped to an account ----------------------------------------------------------------


def _without_ids(body: dict) -> dict:
    """Drop what differs between any two invitations (their id, time and the address itself)."""
    recipient = {**body["recipient"], "email": "<typed>" if body["recipient"]["email"] else None}
    return {**{k: v for k, v in body.items() if k not in ("id", "created_at", "resent_at")}, "recipient": recipient}


def test_invite_by_email_answers_the_same_whoever_holds_the_address(app, api, grace):
    with app.app_context():
        make_user(email="unverified@example.com", name="Not Yet", verified=False)
    addresses = ("grace@example.com", "unverified@example.com", "nobody@example.com")
    answers = []
    for address in addresses:
        response = api.post("invitations", json={"email": address, "relationship": "friend"})
        assert response.status_code == 201, response.get_json()
        answers.append(response.get_json())
    assert [a["recipient"] for a in answers] == [{"id": None, "name": "", "email": a} for a in addresses]
    assert len({repr(sorted(_without_ids(a).items())) for a in answers}) == 1
    sent = api.get("invitations/sent").get_json()["items"]
    assert sorted(i["recipient"]["email"] for i in sent) == sorted(addresses)
    assert all(i["recipient"]["id"] is None and i["recipient"]["name"] == "" for i in sent)
    assert len({repr(sorted(_without_ids(i).items())) for i in sent}) == 1
    assert grace.user["public_id"] not in str(sent) and "Grace Hopper" not in str(sent)
    # It still reaches the verified member, and only her.
    assert [i["sender"]["name"] for i in grace.get("invitations/received").get_json()["items"]] == ["Ada Lovelace"]


def test_unverified_account_is_matched_only_once_verified(app, api):
    from oneclick.invitations.services import claim_invitations

    with app.app_context():
        squatter = make_user(email="owner@example.com", name="Squatter", verified=False)
        squatter_id = squatter.id
    assert api.post("invitations", json={"email": "owner@example.com", "relationship": "friend"}).status_code == 201
    with app.app_context():
        inv = db.session.scalar(select(Invitation))
        assert inv.recipient_id is None and inv.addressed_by_email
        assert claim_invitations(db.session.get(User, squatter_id)) == 0  # unverified: never attached
        db.session.commit()
        assert db.session.scalar(select(Invitation)).recipient_id is None
        # The address's owner verifies it: the pending invitation is waiting for them.
        owner = db.session.get(User, squatter_id)
        owner.email_verified_at = utcnow()
        assert claim_invitations(owner) == 1
        db.session.commit()
        assert db.session.scalar(select(Invitation)).recipient_id == squatter_id


def test_rules_on_an_address_do_not_reveal_whose_it_is(app, api, grace):
    # Grace invited from the member list: typing her address is not "already pending" (that would map the
    # address to her); it is sent like to any other address, and she answers one to answer both.
    chosen = api.post("invitations", json={"recipient_id": grace.user["public_id"], "relationship": "friend"})
    assert chosen.status_code == 201
    typed = api.post("invitations", json={"email": "grace@example.com", "relationship": "friend"})
    assert typed.status_code == 201 and typed.get_json()["recipient"]["id"] is None
    # The sent list's search by address finds only what was typed, never the member-list invitation.
    found = api.get("invitations/sent", query_string={"q": "grace@example"}).get_json()["items"]
    assert [i["id"] for i in found] == [typed.get_json()["id"]]
    # A second one to the same typed address is refused the same way whoever holds it.
    for address in ("grace@example.com", "nobody@example.com"):
        if address == "nobody@example.com":
            assert api.post("invitations", json={"email": address, "relationship": "friend"}).status_code == 201
        again = api.post("invitations", json={"email": address, "relationship": "friend"})
        assert again.status_code == 409 and error_of(again) == "already_pending"
    grace.post(f"invitations/{chosen.get_json()['id']}/accept")
    assert grace.get("invitations/received").get_json()["items"] == []


def test_member_search_and_invite_ignore_invitations_typed_as_an_address(app, api, grace):
    assert api.post("invitations", json={"email": "grace@example.com", "relationship": "friend"}).status_code == 201
    # Searching her by name must not say "pending": that would tie the typed address to her account.
    [found] = api.get("members", query_string={"q": "grace"}).get_json()["items"]
    assert found["state"] == "invite"
    response = api.post("invitations", json={"recipient_id": grace.user["public_id"], "relationship": "friend"})
    assert response.status_code == 201


# --- Captcha limits and one live captcha ------------------------------------------------------------------------


@pytest.mark.config(CAPTCHA_AFTER_PER_DAY=0)
def test_wrong_captcha_answers_through_the_api_are_limited_like_the_web_form(app, api, grace):
    payload = {"recipient_id": grace.user["public_id"], "relationship": "friend"}
    captcha = api.post("invitations", json=payload).get_json()["captcha"]
    statuses = []
    for _ in range(80):
        response = api.post("invitations", json={**payload, "captcha_id": captcha["id"], "captcha_answer": "000000"})
        statuses.append(response.status_code)
        if response.status_code == 400:
            captcha = response.get_json()["captcha"]
        else:
            assert error_of(response) == "rate_limited" and response.headers["Retry-After"]
    assert statuses == [400] * 30 + [429] * 50  # CAPTCHA_LIMIT = 30 per 10 minutes
    # A try without a captcha isn't one: asking what is needed still answers 428 with the live captcha.
    assert api.post("invitations", json=payload).status_code == 428
    assert _invitations(app) == 0


@pytest.mark.config(CAPTCHA_AFTER_PER_DAY=0, CAPTCHA_LIMIT="3 per minute")
def test_web_and_api_captcha_tries_share_one_bucket(app, api, grace, client, auth, user):
    auth.login()
    path = f"/invitations/invite/{grace.user['public_id']}"
    for _ in range(2):
        page = client.get(path).get_data(as_text=True)
        captcha_id = re.search(r'name="captcha_id"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="captcha_id"', page)
        form = {"csrf_token": csrf_from(page), "how_known": "friend", "message": "Hello there, we met.",
                "captcha_id": captcha_id.group(1) or captcha_id.group(2), "captcha_answer": "000000"}
        assert client.post(path, data=form).status_code == 200
    payload = {"recipient_id": grace.user["public_id"], "relationship": "friend"}
    captcha = api.post("invitations", json=payload).get_json()["captcha"]
    tries = [api.post("invitations", json={**payload, "captcha_id": captcha["id"], "captcha_answer": "1"})
             for _ in range(2)]
    assert [t.status_code for t in tries] == [400, 429]


@pytest.mark.config(CAPTCHA_AFTER_PER_DAY=0, CAPTCHA_LIMIT="3 per minute")
def test_captcha_images_through_the_api_are_limited(app, api, grace):
    captcha = api.post("invitations", json={"recipient_id": grace.user["public_id"], "relationship": "friend"})
    path = captcha.get_json()["captcha"]["image_url"].removeprefix("http://oneclick.test")
    statuses = [api.get(path).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert grace.get(path).status_code == 404  # another member's bucket, and not theirs to see


@pytest.mark.config(CAPTCHA_AFTER_PER_DAY=0)
def test_refusals_show_the_same_live_captcha_until_it_is_answered(app, api, grace):
    payload = {"recipient_id": grace.user["public_id"], "relationship": "friend"}
    ids = {api.post("invitations", json=payload).get_json()["captcha"]["id"] for _ in range(10)}
    assert len(ids) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Captcha)) == 1
    [first] = ids
    wrong = api.post("invitations", json={**payload, "captcha_id": first, "captcha_answer": "000000"})
    assert wrong.status_code == 400 and wrong.get_json()["captcha"]["id"] != first  # used up: a new one
    with app.app_context():
        live = db.session.scalars(select(Captcha).where(Captcha.used_at.is_(None))).all()
        assert [c.id for c in live] == [wrong.get_json()["captcha"]["id"]]


def test_sent_list_status_filter_fills_every_page(app, api, user):
    # 50 newer accepted invitations, then 3 older pending ones: filtering after paging gave an empty first page.
    start = utcnow() - timedelta(days=1)
    with app.app_context():
        me = _user(app, user)
        for i in range(3):
            make_invitation(me, None, recipient_email=f"old{i}@example.org", created_at=start + timedelta(minutes=i))
        for i in range(55):
            make_invitation(
                me, None, recipient_email=f"new{i}@example.org", status="accepted",
                created_at=start + timedelta(hours=1, minutes=i),
            )
    first = api.get("invitations/sent", query_string={"status": "pending"}).get_json()
    assert [i["recipient"]["email"] for i in first["items"]] == [f"old{i}@example.org" for i in (2, 1, 0)]
    assert first["next_cursor"] is None
    accepted = api.get("invitations/sent", query_string={"status": "accepted"}).get_json()
    assert len(accepted["items"]) == 50 and accepted["next_cursor"]
    rest = api.get("invitations/sent", query_string={"status": "accepted", "cursor": accepted["next_cursor"]})
    emails = [i["recipient"]["email"] for i in rest.get_json()["items"]]
    assert emails == [f"new{i}@example.org" for i in range(4, -1, -1)]
