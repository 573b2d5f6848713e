"""Accounts: no pre-registration takeover, password reset by mail, no lock-out of a chosen account,
and sign-out that deletes the remember cookie. Each class starts with the attack as it worked before."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.invitations.captcha import _hash
from oneclick.mail import outbox
from oneclick.models import Captcha, User

from ..conftest import AuthActions, body
from ..factories import DEFAULT_PASSWORD, make_user
from ..helpers import activate_account

OWNER_PW = "the owners own password"  # noqa: S105
SQUATTER_PW = "mallory knows this one"  # noqa: S105
LINK_RE = re.compile(r"http://oneclick\.test(/\S+)")
CAPTCHA_RE = re.compile(r"/login/captcha/([A-Za-z0-9_-]+)\.(png|wav)")


def _mails(app, to=None):
    with app.app_context():
        return [m for m in outbox() if to is None or m["To"] == to]


def _last_link(app, to, prefix):
    for message in reversed(_mails(app, to)):
        for path in LINK_RE.findall(message.get_content()):
            if path.startswith(prefix):
                return path
    raise AssertionError(f"no {prefix} link mailed to {to}")


def _register(app, email, password, name="Someone"):
    visitor = AuthActions(app.test_client())
    response = visitor.post("/register", {"name": name, "email": email, "password": password})
    assert response.status_code == 302
    return visitor


def _login(app, email, password, ip="192.0.2.1", client=None, **extra):
    visitor = AuthActions(client or app.test_client())
    return visitor.post("/login", {"email": email, "password": password, **extra},
                        environ_base={"REMOTE_ADDR": ip})


def _user(app, email):
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


class TestPreRegistrationTakeover:
    def test_squatter_never_shares_the_account_the_owner_activates(self, app):
        """Old code: Mallory registered victim@ first; the owner's own registration only got "someone tried", and
        clicking the first mail's link activated Mallory's password: both could sign in."""
        _register(app, "victim@example.com", SQUATTER_PW, name="Mallory")
        squatters_link = _last_link(app, "victim@example.com", "/activate/")
        owner = _register(app, "victim@example.com", OWNER_PW, name="Victoria")
        owners_link = _last_link(app, "victim@example.com", "/activate/")
        assert owners_link != squatters_link
        # The link in the first mail died with the squatter's pending password.
        assert "invalid, expired or already used" in body(owner.client.get(squatters_link, follow_redirects=True))
        assert activate_account(owner.client, owners_link, OWNER_PW).status_code == 302
        assert "Welcome, Victoria" in body(owner.client.get("/dashboard"))
        assert _login(app, "victim@example.com", SQUATTER_PW).status_code == 200  # refused
        assert _login(app, "victim@example.com", OWNER_PW, ip="192.0.2.9").status_code == 302

    def test_the_link_alone_never_activates_a_strangers_password(self, app):
        """Old code: following the link in a mail the owner never asked for activated the squatter's password."""
        _register(app, "victim@example.com", SQUATTER_PW, name="Mallory")
        link = _last_link(app, "victim@example.com", "/activate/")
        assert "Mallory" not in _mails(app, "victim@example.com")[-1].get_content()  # no stranger's text
        owner = AuthActions(app.test_client())
        page = body(owner.client.get(link))
        assert "Activate your account" in page and "Register again" in page
        response = owner.post(link, {"password": "a guess by the owner"})
        assert response.status_code == 200
        assert "isn't the password chosen" in body(response)
        assert _user(app, "victim@example.com").email_verified_at is None
        assert _login(app, "victim@example.com", SQUATTER_PW).status_code == 200
        assert "activate your account first" in body(_login(app, "victim@example.com", SQUATTER_PW, ip="192.0.2.2"))

    def test_a_link_works_once(self, app):
        visitor = _register(app, "grace@example.com", OWNER_PW)
        link = _last_link(app, "grace@example.com", "/activate/")
        assert activate_account(visitor.client, link, OWNER_PW).status_code == 302
        again = AuthActions(app.test_client())
        assert "invalid, expired or already used" in body(again.client.get(link, follow_redirects=True))
        response = again.client.post(link, data={"csrf_token": again.token(), "password": OWNER_PW})
        assert response.status_code == 302 and response.location.endswith("/login")

    def test_two_open_links_activate_once(self, app):
        """The conditional UPDATE lets one of two posts of the same link through."""
        first = _register(app, "grace@example.com", OWNER_PW)
        link = _last_link(app, "grace@example.com", "/activate/")
        second = AuthActions(app.test_client())
        token_a = first.token(link)
        token_b = second.token(link)
        a = first.client.post(link, data={"csrf_token": token_a, "password": OWNER_PW})
        b = second.client.post(link, data={"csrf_token": token_b, "password": OWNER_PW})
        assert sorted(r.location.rsplit("/", 1)[-1] for r in (a, b)) == ["dashboard", "login"]

    def test_activation_needs_csrf(self, app):
        visitor = _register(app, "grace@example.com", OWNER_PW)
        link = _last_link(app, "grace@example.com", "/activate/")
        assert visitor.client.post(link, data={"password": OWNER_PW}).status_code == 400
        assert _user(app, "grace@example.com").email_verified_at is None

    @pytest.mark.parametrize("password", ["", "p" * 300])
    def test_bad_activation_input_gets_a_form_error(self, app, password):
        visitor = _register(app, "grace@example.com", OWNER_PW)
        link = _last_link(app, "grace@example.com", "/activate/")
        response = visitor.post(link, {"password": password})
        assert response.status_code == 200 and 'class="error"' in response.get_data(as_text=True)

    def test_registration_looks_the_same_for_new_pending_and_active_addresses(self, app, user):
        _register(app, "pending@example.com", SQUATTER_PW)
        pages = []
        for email in ("fresh@example.com", "pending@example.com", "ada@example.com"):
            visitor = _register(app, email, OWNER_PW)
            pages.append(body(visitor.client.get("/register/check-inbox")).replace(email, "X"))
        assert pages[0] == pages[1] == pages[2]
        # Exactly one mail to each, whatever it holds.
        assert [len(_mails(app, e)) for e in ("fresh@example.com", "ada@example.com")] == [1, 1]

    def test_an_active_account_keeps_its_password_when_someone_registers_it(self, app, user):
        _register(app, "ada@example.com", SQUATTER_PW)
        assert "already has one" in _mails(app, "ada@example.com")[-1].get_content()
        assert _login(app, "ada@example.com", SQUATTER_PW).status_code == 200
        assert _login(app, "ada@example.com", DEFAULT_PASSWORD, ip="192.0.2.3").status_code == 302


class TestResendAndPurge:
    def test_resend_answers_the_same_whatever_the_address(self, app, user):
        _register(app, "pending@example.com", OWNER_PW)
        pages = []
        for email in ("pending@example.com", "nobody@example.com", "ada@example.com"):
            visitor = AuthActions(app.test_client())
            response = visitor.post("/register/resend", {"email": email})
            assert response.status_code == 302 and response.location.endswith("/register/check-inbox")
            pages.append(body(visitor.client.get("/register/check-inbox")).replace(email, "X"))
        assert pages[0] == pages[1] == pages[2]
        assert "/activate/" in _mails(app, "pending@example.com")[-1].get_content()
        assert "no account is waiting" in _mails(app, "nobody@example.com")[-1].get_content()
        assert "already active" in _mails(app, "ada@example.com")[-1].get_content()

    def test_resent_link_activates_and_the_earlier_one_still_does_too(self, app):
        _register(app, "pending@example.com", OWNER_PW)
        first = _last_link(app, "pending@example.com", "/activate/")
        AuthActions(app.test_client()).post("/register/resend", {"email": "pending@example.com"})
        second = _last_link(app, "pending@example.com", "/activate/")
        visitor = AuthActions(app.test_client())
        assert "Activate your account" in body(visitor.client.get(first))
        assert activate_account(visitor.client, second, OWNER_PW).status_code == 302

    @pytest.mark.config(ACCOUNT_MAIL_LIMIT_PER_ADDRESS="2 per hour", ACCOUNT_MAIL_LIMIT_PER_IP="100 per hour")
    def test_resend_is_limited_per_address_from_any_ip(self, app):
        for n, expected in enumerate([302, 302, 429]):
            visitor = AuthActions(app.test_client())
            response = visitor.post("/register/resend", {"email": "x@example.com"},
                                    environ_base={"REMOTE_ADDR": f"192.0.2.{n + 10}"})
            assert response.status_code == expected
        assert len(_mails(app, "x@example.com")) == 2

    @pytest.mark.config(ACCOUNT_MAIL_LIMIT_PER_ADDRESS="100 per hour", ACCOUNT_MAIL_LIMIT_PER_IP="2 per hour")
    def test_resend_is_limited_per_ip(self, app):
        visitor = AuthActions(app.test_client())
        statuses = [visitor.post("/register/resend", {"email": f"x{n}@example.com"}).status_code for n in range(3)]
        assert statuses == [302, 302, 429]

    def test_resend_refuses_bad_input_and_missing_csrf(self, app, client):
        visitor = AuthActions(client)
        response = visitor.post("/register/resend", {"email": "not an address"})
        assert response.status_code == 200 and "Enter a valid email address." in body(response)
        assert client.post("/register/resend", data={"email": "a@example.com"}).status_code == 400
        assert _mails(app) == []

    def test_purge_deletes_only_expired_unverified_accounts(self, app, runner):
        now = utcnow()
        with app.app_context():
            old = make_user(email="old@example.com", verified=False)
            old.activation_sent_at = now - timedelta(seconds=app.config["ACTIVATION_MAX_AGE"] + 60)
            recent = make_user(email="recent@example.com", verified=False)
            recent.activation_sent_at = now - timedelta(hours=1)
            legacy = make_user(email="legacy@example.com", verified=False)  # from before the column: created_at
            legacy.created_at = now - timedelta(days=30)
            legacy.activation_sent_at = None
            active = make_user(email="active@example.com")
            active.created_at = now - timedelta(days=30)
            db.session.commit()
        result = runner.invoke(args=["users", "purge-unverified"])
        assert result.exit_code == 0, result.output
        assert "Deleted 2 unverified accounts." in result.output
        with app.app_context():
            assert set(db.session.scalars(select(User.email))) == {"recent@example.com", "active@example.com"}
        assert "Deleted 0 unverified accounts." in runner.invoke(args=["users", "purge-unverified"]).output

    def test_repeat_registration_restarts_the_clock(self, app, runner):
        _register(app, "pending@example.com", SQUATTER_PW)
        with app.app_context():
            row = db.session.scalar(select(User).where(User.email == "pending@example.com"))
            row.activation_sent_at = row.created_at = utcnow() - timedelta(days=10)
            db.session.commit()
        _register(app, "pending@example.com", OWNER_PW)
        assert "Deleted 0" in runner.invoke(args=["users", "purge-unverified"]).output


class TestPasswordReset:
    def _ask(self, app, email, ip="192.0.2.1"):
        visitor = AuthActions(app.test_client())
        response = visitor.post("/password/forgot", {"email": email}, environ_base={"REMOTE_ADDR": ip})
        return visitor, response

    def test_sign_in_page_links_to_it(self, client):
        html = body(client.get("/login"))
        assert 'href="/password/forgot"' in html and "Forgot your password?" in html

    def test_same_answer_whether_or_not_the_address_has_an_account(self, app, user):
        pages = []
        for email in ("ada@example.com", "nobody@example.com"):
            visitor, response = self._ask(app, email)
            assert response.status_code == 302 and response.location.endswith("/password/forgot/sent")
            pages.append(body(visitor.client.get(response.location)).replace(email, "X"))
        assert pages[0] == pages[1]
        assert "/password/reset/" in _mails(app, "ada@example.com")[-1].get_content()
        note = _mails(app, "nobody@example.com")[-1].get_content()
        assert "no account uses it" in note and "/password/reset/" not in note

    def test_reset_sets_the_password_and_ends_every_other_session(self, app, user):
        """Old code: there was no reset at all (GET /password/forgot was a 404)."""
        elsewhere = AuthActions(app.test_client())
        assert elsewhere.login(remember=True).status_code == 302
        remember = elsewhere.client.get_cookie("oneclick_remember").value
        visitor, _ = self._ask(app, "ada@example.com")
        link = _last_link(app, "ada@example.com", "/password/reset/")
        page = visitor.client.get(link)
        assert page.headers["Referrer-Policy"] == "no-referrer"
        response = visitor.post(link, {"new_password": "a brand new password", "confirm": "a brand new password"})
        assert response.status_code == 302 and response.location.endswith("/dashboard")
        assert visitor.client.get("/dashboard").status_code == 200  # this browser is signed in
        assert elsewhere.client.get("/dashboard").status_code == 302  # the other session ended
        replay = app.test_client()
        replay.set_cookie("oneclick_remember", remember)
        assert replay.get("/dashboard").status_code == 302  # and so did its remember cookie
        assert _login(app, "ada@example.com", DEFAULT_PASSWORD).status_code == 200
        assert _login(app, "ada@example.com", "a brand new password", ip="192.0.2.4").status_code == 302

    def test_a_reset_link_works_once(self, app, user):
        visitor, _ = self._ask(app, "ada@example.com")
        link = _last_link(app, "ada@example.com", "/password/reset/")
        form = {"new_password": "a brand new password", "confirm": "a brand new password"}
        token = visitor.token(link)
        assert visitor.client.post(link, data={"csrf_token": token, **form}).status_code == 302
        again = AuthActions(app.test_client())
        response = again.client.get(link, follow_redirects=True)
        assert "invalid, expired or already used" in body(response)
        response = again.client.post(link, data={"csrf_token": again.token("/password/forgot"), **form})
        assert response.status_code == 302 and response.location.endswith("/password/forgot")

    def test_a_password_change_kills_an_open_reset_link(self, app, client, auth, user):
        self._ask(app, "ada@example.com")
        link = _last_link(app, "ada@example.com", "/password/reset/")
        auth.login()
        auth.post("/settings/password", {"current_password": DEFAULT_PASSWORD, "new_password": "another password!",
                                         "confirm": "another password!"})
        assert "invalid, expired or already used" in body(app.test_client().get(link, follow_redirects=True))

    @pytest.mark.config(PASSWORD_RESET_MAX_AGE=-1)
    def test_an_expired_link_is_refused(self, app, user):
        self._ask(app, "ada@example.com")
        link = _last_link(app, "ada@example.com", "/password/reset/")
        assert "invalid, expired or already used" in body(app.test_client().get(link, follow_redirects=True))

    @pytest.mark.parametrize("token", ["garbage", "a" * 400, "eyJhbGciOi.x.y", "..."])
    def test_garbled_tokens_are_friendly(self, client, token):
        response = client.get(f"/password/reset/{token}", follow_redirects=True)
        assert response.status_code == 200 and "invalid, expired or already used" in body(response)

    def test_an_activation_token_is_no_reset_token(self, app):
        _register(app, "grace@example.com", OWNER_PW)
        token = _last_link(app, "grace@example.com", "/activate/").rsplit("/", 1)[-1]
        response = app.test_client().get(f"/password/reset/{token}", follow_redirects=True)
        assert "invalid, expired or already used" in body(response)

    @pytest.mark.parametrize(
        ("data", "message"),
        [({"new_password": "short", "confirm": "short"}, "Use at least 10 characters."),
         ({"new_password": "a brand new password", "confirm": "different one!"}, "The passwords differ.")],
    )
    def test_bad_new_passwords_get_form_errors(self, app, user, data, message):
        visitor, _ = self._ask(app, "ada@example.com")
        link = _last_link(app, "ada@example.com", "/password/reset/")
        response = visitor.post(link, data)
        assert response.status_code == 200 and message in body(response)

    def test_reset_needs_csrf(self, app, user):
        visitor, _ = self._ask(app, "ada@example.com")
        link = _last_link(app, "ada@example.com", "/password/reset/")
        response = visitor.client.post(link, data={"new_password": "a brand new password",
                                                   "confirm": "a brand new password"})
        assert response.status_code == 400
        assert app.test_client().post("/password/forgot", data={"email": "ada@example.com"}).status_code == 400

    def test_reset_verifies_a_squatted_address_and_drops_the_squatters_password(self, app):
        _register(app, "victim@example.com", SQUATTER_PW, name="Mallory")
        visitor, _ = self._ask(app, "victim@example.com")
        link = _last_link(app, "victim@example.com", "/password/reset/")
        response = visitor.post(link, {"new_password": OWNER_PW, "confirm": OWNER_PW})
        assert response.status_code == 302
        assert _user(app, "victim@example.com").email_verified_at is not None
        assert _login(app, "victim@example.com", SQUATTER_PW).status_code == 200
        # ... and the squatter's activation link is dead too.
        squatters_link = _last_link(app, "victim@example.com", "/activate/")
        assert "invalid" in body(app.test_client().get(squatters_link, follow_redirects=True))

    @pytest.mark.config(ACCOUNT_MAIL_LIMIT_PER_ADDRESS="2 per hour", ACCOUNT_MAIL_LIMIT_PER_IP="100 per hour")
    def test_limited_per_address_whether_or_not_it_has_an_account(self, app, user):
        for email in ("ada@example.com", "nobody@example.com"):
            statuses = [self._ask(app, email, ip=f"192.0.2.{n}")[1].status_code for n in range(3)]
            assert statuses == [302, 302, 429], email

    @pytest.mark.config(ACCOUNT_MAIL_LIMIT_PER_ADDRESS="100 per hour", ACCOUNT_MAIL_LIMIT_PER_IP="2 per hour")
    def test_limited_per_ip(self, app):
        statuses = [self._ask(app, f"x{n}@example.com")[1].status_code for n in range(3)]
        assert statuses == [302, 302, 429]


def _captcha_of(response) -> tuple[str, str]:
    match = CAPTCHA_RE.search(response.get_data(as_text=True))
    assert match, "no captcha on the page"
    return match.group(1), match.group(2)


def _known_answer(app, captcha_id, answer="424242"):
    with app.app_context():
        row = db.session.get(Captcha, captcha_id)
        row.answer_hash = _hash(captcha_id, answer)
        db.session.commit()
    return answer


def _hammer(app, email, times, first_ip=1):
    """Fail ``times`` sign-ins to ``email``, each from another address (a botnet)."""
    for n in range(times):
        assert _login(app, email, "wrong password", ip=f"203.0.113.{first_ip + n}").status_code == 200


LOCKOUT = dict(LOGIN_CAPTCHA_AFTER_PER_ACCOUNT="4 per 10 minutes", LOGIN_LIMIT_PER_ACCOUNT="3 per 10 minutes",
               LOGIN_LIMIT_PER_IP="100 per 10 minutes")


@pytest.mark.config(**LOCKOUT)
class TestNoLockOut:
    def test_the_owner_gets_in_with_a_captcha_after_failures_from_everywhere(self, app, user):
        """Old code: after LOGIN_LIMIT_PER_ACCOUNT failures from anywhere the right password got 429 too."""
        _hammer(app, "ada@example.com", 4)
        owner = AuthActions(app.test_client())
        response = _login(app, "ada@example.com", DEFAULT_PASSWORD, ip="198.51.100.1", client=owner.client)
        assert response.status_code == 200
        assert "Solve the security check" in body(response)
        captcha_id, ext = _captcha_of(response)
        assert ext == "png"
        image = owner.client.get(f"/login/captcha/{captcha_id}.png")
        assert image.status_code == 200 and image.mimetype == "image/png" and image.data[:4] == b"\x89PNG"
        answer = _known_answer(app, captcha_id)
        response = _login(app, "ada@example.com", DEFAULT_PASSWORD, ip="198.51.100.1", client=owner.client,
                          captcha_answer=answer)
        assert response.status_code == 302 and response.location == "/dashboard"

    def test_right_password_with_a_wrong_answer_is_refused_without_saying_so(self, app, user):
        _hammer(app, "ada@example.com", 4)
        owner = AuthActions(app.test_client())
        first = _login(app, "ada@example.com", DEFAULT_PASSWORD, ip="198.51.100.1", client=owner.client)
        captcha_id, _ = _captcha_of(first)
        _known_answer(app, captcha_id)
        right = _login(app, "ada@example.com", DEFAULT_PASSWORD, ip="198.51.100.1", client=owner.client,
                       captcha_answer="000000")
        wrong = _login(app, "ada@example.com", "wrong password", ip="198.51.100.2", captcha_answer="000000")
        assert right.status_code == wrong.status_code == 200
        assert "answer wasn't right" in body(right) and "answer wasn't right" in body(wrong)
        assert _captcha_of(right)[0] != captcha_id  # a captcha is used up by one answer, right or wrong

    def test_an_attacker_cannot_use_up_the_owners_captcha(self, app, user):
        _hammer(app, "ada@example.com", 4)
        owner = AuthActions(app.test_client())
        captcha_id, _ = _captcha_of(_login(app, "ada@example.com", DEFAULT_PASSWORD, ip="198.51.100.1",
                                           client=owner.client))
        answer = _known_answer(app, captcha_id)
        attacker = app.test_client()
        assert attacker.get(f"/login/captcha/{captcha_id}.png").status_code == 404  # not theirs
        for n in range(3):  # the attacker answers (their own captchas) from other addresses
            _login(app, "ada@example.com", "wrong password", ip=f"203.0.113.{50 + n}", client=attacker,
                   captcha_answer=answer)
        response = _login(app, "ada@example.com", DEFAULT_PASSWORD, ip="198.51.100.1", client=owner.client,
                          captcha_answer=answer)
        assert response.status_code == 302

    def test_an_unknown_address_asks_for_the_captcha_the_same_way(self, app, user):
        _hammer(app, "ada@example.com", 4)
        _hammer(app, "nobody@example.com", 4, first_ip=100)
        pages = []
        for email in ("ada@example.com", "nobody@example.com"):
            response = _login(app, email, "wrong password", ip="198.51.100.3")
            captcha_id, _ = _captcha_of(response)
            pages.append(body(response).replace(email, "X").replace(captcha_id, "C"))
        strip = re.compile(r'name="csrf_token"[^>]*value="[^"]+"')
        assert strip.sub("", pages[0]) == strip.sub("", pages[1])

    def test_failures_from_one_address_refuse_only_that_address(self, app, user):
        for _ in range(3):
            assert _login(app, "ada@example.com", "wrong password", ip="203.0.113.7").status_code == 200
        assert _login(app, "ada@example.com", DEFAULT_PASSWORD, ip="203.0.113.7").status_code == 429
        # Three failures are below the account's captcha threshold: the owner signs in plainly.
        assert _login(app, "ada@example.com", DEFAULT_PASSWORD, ip="198.51.100.1").status_code == 302

    def test_switching_to_audio_is_no_attempt(self, app, user):
        _hammer(app, "ada@example.com", 4)
        owner = AuthActions(app.test_client())
        response = _login(app, "ada@example.com", DEFAULT_PASSWORD, ip="198.51.100.1", client=owner.client)
        image_id, _ = _captcha_of(response)
        for _ in range(5):  # far beyond LOGIN_LIMIT_PER_ACCOUNT (3) from this address, yet never a 429
            response = _login(app, "ada@example.com", "", ip="198.51.100.1", client=owner.client,
                              captcha_kind="audio")
            assert response.status_code == 200
        audio_id, ext = _captcha_of(response)
        assert ext == "wav" and audio_id != image_id
        assert owner.client.get(f"/login/captcha/{image_id}.png").status_code == 404  # replaced
        wav = owner.client.get(f"/login/captcha/{audio_id}.wav")
        assert wav.status_code == 200 and wav.mimetype == "audio/wav" and wav.data[:4] == b"RIFF"
        assert owner.client.get(f"/login/captcha/{audio_id}.png").status_code == 404
        with app.app_context():  # one live sign-in captcha for this visitor, not one per view
            mine = select(func.count()).select_from(Captcha).where(Captcha.id.in_([image_id, audio_id]))
            assert db.session.scalar(mine) == 1
        answer = _known_answer(app, audio_id)
        response = _login(app, "ada@example.com", DEFAULT_PASSWORD, ip="198.51.100.1", client=owner.client,
                          captcha_answer=answer)
        assert response.status_code == 302

    def test_a_switch_without_a_captcha_shows_none(self, app, user):
        response = _login(app, "ada@example.com", "", captcha_kind="audio")
        assert response.status_code == 200 and not CAPTCHA_RE.search(response.get_data(as_text=True))

    @pytest.mark.parametrize("path", ["/login/captcha/nope.png", "/login/captcha/x.gif", "/login/captcha/" + "a" * 80
                                      + ".wav"])
    def test_unknown_captcha_media_is_404(self, client, path):
        assert client.get(path).status_code == 404

    @pytest.mark.config(RATELIMIT_ENABLED=False, **LOCKOUT)
    def test_no_captcha_when_limits_are_off(self, app, user):
        _hammer(app, "ada@example.com", 6)
        assert _login(app, "ada@example.com", DEFAULT_PASSWORD).status_code == 302


class TestSignOut:
    def test_sign_out_deletes_the_remember_cookie(self, app, client, auth, user):
        """Old code: the cookie stayed in the browser (only the server had stopped honouring it)."""
        auth.login(remember=True)
        assert client.get_cookie("oneclick_remember") is not None
        response = auth.logout()
        cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("oneclick_remember=")]
        assert cookies and ("Expires=Thu, 01 Jan 1970" in cookies[0] or "Max-Age=0" in cookies[0]), cookies
        assert client.get_cookie("oneclick_remember") is None

    def test_deleting_the_account_deletes_the_remember_cookie(self, app, client, auth, user):
        auth.login(remember=True)
        response = auth.post("/settings/delete", {"password": DEFAULT_PASSWORD, "confirm": "y"})
        assert response.status_code == 302
        assert client.get_cookie("oneclick_remember") is None


@pytest.mark.config(**LOCKOUT)
def test_sign_in_does_the_same_password_work_for_known_and_unknown_addresses(app, user, monkeypatch):
    """One password-hash check per attempt whatever the address, captcha asked or not (a spy, not a stand-in)."""
    from oneclick.auth import services

    calls = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda *a: calls.append(1) or real(*a))
    counts = {}
    for email in ("ada@example.com", "nobody@example.com"):
        per_attempt = []
        for n in range(6):  # below the threshold, then with the captcha asked for and not solved
            calls.clear()
            _login(app, email, "wrong password", ip=f"203.0.113.{n + 1}")
            per_attempt.append(len(calls))
        counts[email] = per_attempt
    assert counts["ada@example.com"] == counts["nobody@example.com"] == [1] * 6
