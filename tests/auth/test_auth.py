"""Register, activate, sign in/out, profile, password and account deletion through the real forms."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from oneclick.extensions import db
from oneclick.mail import outbox
from oneclick.models import User

from ..conftest import body, csrf_from
from ..factories import DEFAULT_PASSWORD, make_user

NEW_PASSWORD = {"new_password": "brand new password", "confirm": "brand new password"}
ACTIVATE_RE = re.compile(r"http://oneclick\.test(/activate/\S+)")


def _register(auth, email="grace@example.com", name="Grace Hopper", password="a long enough password"):  # noqa: S107
    return auth.post("/register", {"name": name, "email": email, "password": password})


def _activation_path(app) -> str:
    with app.app_context():
        body = outbox()[-1].get_content()
    return ACTIVATE_RE.search(body).group(1)


class TestRegister:
    def test_register_mails_an_activation_link_then_signs_in(self, app, client, auth):
        response = _register(auth)
        assert response.status_code == 302 and response.location.endswith("/register/check-inbox")
        assert client.get("/dashboard").status_code == 302  # not signed in yet
        with app.app_context():
            assert outbox()[-1]["To"] == "grace@example.com"
        path = _activation_path(app)
        assert "Activate your account" in body(client.get(path))  # the link alone activates nothing
        assert client.get("/dashboard").status_code == 302
        response = auth.post(path, {"password": "a long enough password"})
        assert response.location.endswith("/dashboard")
        assert "Welcome, Grace Hopper" in body(client.get("/dashboard"))

    def test_activation_link_works_once(self, app, client, auth):
        _register(auth)
        path = _activation_path(app)
        auth.post(path, {"password": "a long enough password"})
        auth.logout()
        response = client.get(path, follow_redirects=True)
        assert "invalid, expired or already used" in body(response)
        assert client.get("/dashboard").status_code == 302

    @pytest.mark.parametrize("token", ["garbage", "a" * 400, "eyJhbGciOi.x.y", "%00", "..."])
    def test_garbled_activation_token_is_friendly(self, client, token):
        response = client.get(f"/activate/{token}", follow_redirects=True)
        assert response.status_code == 200
        assert "invalid, expired or already used" in body(response)

    def test_existing_email_gets_the_same_answer_and_a_warning_mail(self, app, client, auth, user):
        response = _register(auth, email="ADA@example.com")
        assert response.status_code == 302 and response.location.endswith("/register/check-inbox")
        with app.app_context():
            message = outbox()[-1]
            assert message["To"] == "ada@example.com"
            assert "already has one" in message.get_content()
            assert db.session.scalar(select(func.count()).select_from(User)) == 1

    def test_new_and_existing_email_pages_are_identical(self, client, auth, user):
        _register(auth, email="fresh@example.com")
        first = body(client.get("/register/check-inbox"))
        _register(auth, email="ada@example.com")
        second = body(client.get("/register/check-inbox"))
        assert first.replace("fresh@example.com", "X") == second.replace("ada@example.com", "X")

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("email", "not-an-email", "Enter a valid email address."),
            ("email", "a" * 250 + "@example.com", "Field cannot be longer than 254 characters."),
            ("name", "", "This field is required."),
            ("name", "x" * 101, "Field cannot be longer than 100 characters."),
            ("password", "short", "Use at least 10 characters."),
            ("password", "p" * 257, "Use at most 256 characters."),
        ],
    )
    def test_bad_input_is_refused_with_a_message(self, app, auth, field, value, message):
        data = {"name": "Grace", "email": "grace@example.com", "password": "a long enough password", field: value}
        response = auth.post("/register", data)
        assert response.status_code == 200
        assert message in body(response)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(User)) == 0

    def test_register_without_csrf_is_refused(self, app, client):
        response = client.post("/register", data={"name": "G", "email": "g@example.com", "password": "x" * 12})
        assert response.status_code == 400
        assert "Please try that again" in body(response)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(User)) == 0


class TestLogin:
    def test_login_and_dashboard(self, client, auth, user):
        response = auth.login()
        assert response.status_code == 302 and response.location == "/dashboard"
        assert "Welcome, Ada Lovelace" in body(client.get("/dashboard"))

    def test_email_is_case_insensitive(self, auth, user):
        assert auth.login(email="  ADA@Example.COM ").status_code == 302

    @pytest.mark.parametrize(
        ("email", "password"), [("ada@example.com", "wrong password!"), ("nobody@example.com", DEFAULT_PASSWORD)]
    )
    def test_unknown_email_and_wrong_password_look_the_same(self, auth, user, email, password):
        response = auth.login(email=email, password=password)
        assert response.status_code == 200
        assert "That email and password don't match an account." in body(response)

    def test_unverified_account_cannot_sign_in(self, app, auth):
        with app.app_context():
            make_user(email="new@example.com", verified=False)
        response = auth.login(email="new@example.com")
        assert "activate your account first" in body(response)

    def test_login_without_csrf_is_refused(self, client, user):
        response = client.post("/login", data={"email": "ada@example.com", "password": DEFAULT_PASSWORD})
        assert response.status_code == 400
        assert client.get("/dashboard").status_code == 302

    def test_login_clears_the_old_session(self, client, auth, user):
        with client.session_transaction() as sess:
            sess["planted"] = "by an attacker"
        auth.login()
        with client.session_transaction() as sess:
            assert "planted" not in sess

    @pytest.mark.parametrize(
        "target",
        ["//evil.com", "/\\evil.com", "https://evil.com", "javascript:alert(1)", "http:/evil.com", "/%5Cevil.com\\x",
         "\\\\evil.com", " //evil.com", "/\t/evil.com"],
    )
    def test_next_never_leaves_the_site(self, auth, user, target):
        response = auth.post(f"/login?next={target}", {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
        assert response.status_code == 302
        assert response.location == "/dashboard"

    def test_next_to_a_local_path_is_followed(self, auth, user):
        response = auth.post("/login", {"email": "ada@example.com", "password": DEFAULT_PASSWORD,
                                        "next": "/settings?tab=1"})
        assert response.location == "/settings?tab=1"

    def test_protected_page_redirects_to_login_with_next(self, client):
        response = client.get("/settings")
        assert response.status_code == 302
        assert response.location.startswith("/login?next=")


class TestSessions:
    def test_logout_needs_csrf(self, client, auth, user):
        auth.login()
        assert client.post("/logout").status_code == 400
        assert client.get("/dashboard").status_code == 200

    def test_replayed_session_cookie_fails_after_logout(self, app, client, auth, user):
        auth.login()
        stolen = client.get_cookie("oneclick_session").value
        auth.logout()
        thief = app.test_client()
        thief.set_cookie("oneclick_session", stolen)
        assert thief.get("/dashboard").status_code == 302

    def test_replayed_remember_cookie_fails_after_logout(self, app, client, auth, user):
        auth.login(remember=True)
        remember = client.get_cookie("oneclick_remember")
        assert remember is not None
        # The remember cookie alone signs a fresh browser in ...
        fresh = app.test_client()
        fresh.set_cookie("oneclick_remember", remember.value)
        assert fresh.get("/dashboard").status_code == 200
        auth.logout()
        # ... and stops working once the owner signs out.
        replay = app.test_client()
        replay.set_cookie("oneclick_remember", remember.value)
        assert replay.get("/dashboard").status_code == 302

    def test_password_change_ends_other_sessions_but_not_this_one(self, app, client, auth, user):
        auth.login(remember=True)
        other = app.test_client()
        other_auth = type(auth)(other)
        other_auth.login(remember=True)
        old_remember = other.get_cookie("oneclick_remember").value
        response = auth.post("/settings/password", {"current_password": DEFAULT_PASSWORD,
                                                    **NEW_PASSWORD})
        assert response.status_code == 302
        assert client.get("/dashboard").status_code == 200
        assert other.get("/dashboard").status_code == 302
        replay = app.test_client()
        replay.set_cookie("oneclick_remember", old_remember)
        assert replay.get("/dashboard").status_code == 302
        auth.logout()
        assert auth.login(password="brand new password").status_code == 302

    def test_password_change_requires_the_current_password(self, client, auth, user):
        auth.login()
        response = auth.post("/settings/password", {"current_password": "wrong one!!",
                                                    **NEW_PASSWORD})
        assert "That isn't your current password." in body(response)

    def test_password_change_requires_matching_confirmation(self, client, auth, user):
        auth.login()
        response = auth.post("/settings/password", {"current_password": DEFAULT_PASSWORD,
                                                    "new_password": "brand new password", "confirm": "other password"})
        assert "The passwords differ." in body(response)


class TestProfile:
    def test_edit_profile(self, app, client, auth, user):
        auth.login()
        response = auth.post("/settings", {"name": "Ada King", "headline": "Analyst", "handle": "Ada-K"})
        assert response.status_code == 302
        with app.app_context():
            saved = db.session.get(User, user["id"])
            assert (saved.name, saved.headline, saved.handle) == ("Ada King", "Analyst", "ada-k")

    @pytest.mark.parametrize(
        ("handle", "message"),
        [
            ("a", "Field must be between 3 and 30 characters long."),
            ("bad handle!", "Use 3–30 lowercase letters"),
            ("admin", "That handle is reserved."),
            ("-dash", "Use 3–30 lowercase letters"),
            ("x" * 31, "between 3 and 30"),
        ],
    )
    def test_bad_handles_are_refused(self, auth, user, handle, message):
        auth.login()
        response = auth.post("/settings", {"name": "Ada", "handle": handle})
        assert response.status_code == 200
        assert message in body(response)

    def test_taken_handle_is_refused(self, app, auth, user):
        with app.app_context():
            make_user(handle="grace")
        auth.login()
        response = auth.post("/settings", {"name": "Ada", "handle": "grace"})
        assert "That handle is taken." in body(response)

    def test_oversized_headline_is_refused(self, auth, user):
        auth.login()
        response = auth.post("/settings", {"name": "Ada", "headline": "h" * 161})
        assert "Field cannot be longer than 160 characters." in body(response)

    def test_profile_without_csrf_changes_nothing(self, app, client, auth, user):
        auth.login()
        assert client.post("/settings", data={"name": "Mallory"}).status_code == 400
        with app.app_context():
            assert db.session.get(User, user["id"]).name == "Ada Lovelace"


class TestDeleteAccount:
    def test_delete_needs_password_and_confirmation(self, app, auth, user):
        auth.login()
        response = auth.post("/settings/delete", {"password": "wrong password", "confirm": "y"})
        assert "That isn't your password." in body(response)
        response = auth.post("/settings/delete", {"password": DEFAULT_PASSWORD})
        assert response.status_code == 200
        with app.app_context():
            assert db.session.get(User, user["id"]) is not None

    def test_delete_removes_the_account_and_signs_out(self, app, client, auth, user):
        auth.login()
        response = auth.post("/settings/delete", {"password": DEFAULT_PASSWORD, "confirm": "y"})
        assert response.status_code == 302
        assert client.get("/dashboard").status_code == 302
        with app.app_context():
            assert db.session.get(User, user["id"]) is None
        assert auth.login().status_code == 200  # the account is gone

    def test_delete_without_csrf_keeps_the_account(self, app, client, auth, user):
        auth.login()
        response = client.post("/settings/delete", data={"password": DEFAULT_PASSWORD, "confirm": "y"})
        assert response.status_code == 400
        with app.app_context():
            assert db.session.get(User, user["id"]) is not None


class TestRateLimits:
    @pytest.mark.config(LOGIN_LIMIT_PER_ACCOUNT="3 per 10 minutes", LOGIN_LIMIT_PER_IP="100 per 10 minutes")
    def test_failed_sign_ins_are_limited_per_account_and_address(self, app, client, auth, user):
        for _ in range(3):
            assert auth.login(password="wrong password").status_code == 200
        response = auth.login()  # from this address even the right password waits now ...
        assert response.status_code == 429
        assert "too many attempts" in body(response)
        owner = type(auth)(app.test_client())  # ... but the owner elsewhere still gets in
        assert owner.client.post("/login", data={"csrf_token": owner.token(), "email": "ada@example.com",
                                                 "password": DEFAULT_PASSWORD},
                                 environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 302
        other = type(auth)(app.test_client())
        with app.app_context():
            make_user(email="bob@example.com")
        assert other.login(email="bob@example.com").status_code == 302  # other accounts are unaffected

    @pytest.mark.config(LOGIN_LIMIT_PER_ACCOUNT="100 per 10 minutes", LOGIN_LIMIT_PER_IP="4 per 10 minutes")
    def test_failed_sign_ins_are_limited_per_ip(self, auth, user):
        for n in range(4):
            assert auth.login(email=f"guess{n}@example.com").status_code == 200
        assert auth.login().status_code == 429

    @pytest.mark.config(LOGIN_LIMIT_PER_ACCOUNT="2 per 10 minutes")
    def test_successful_sign_ins_do_not_count(self, auth, user):
        for _ in range(4):
            assert auth.login().status_code == 302
            auth.logout()

    @pytest.mark.config(RATELIMIT_ENABLED=False, LOGIN_LIMIT_PER_ACCOUNT="1 per 10 minutes")
    def test_limits_can_be_switched_off(self, auth, user):
        for _ in range(3):
            assert auth.login(password="wrong password").status_code == 200


def test_login_page_has_csrf_and_labels(client):
    html = body(client.get("/login"))
    assert csrf_from(html)
    for field in ("email", "password"):
        assert f'for="{field}"' in html
    assert re.search(r'<label class="check">\s*<input[^>]*id="remember"', html)  # wrapped, so labelled
