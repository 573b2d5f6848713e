"""Register, activate, sign in and out, and the account settings pages."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import limiter
from ..invitations import captcha as captchas
from ..mail import file_outbox
from ..security import safe_next
from . import attempts, services
from .forms import (
    ActivateForm,
    DeleteAccountForm,
    EmailOnlyForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)

bp = Blueprint("auth", __name__)


def _failed(response) -> bool:
    """A sign-in attempt counts against the limits unless it succeeded (a redirect) or was no attempt at all."""
    return response.status_code != 302 and not g.get("not_a_sign_in", False)


def _typed_email() -> str:
    return (request.form.get("email") or "").strip().lower()[:254]


def _login_account_address_key() -> str:
    """Failed sign-ins to one account from one address: past the limit only that address is refused."""
    return f"login-account:{_typed_email()}|{get_remote_address()}"


def _account_mail_key() -> str:
    return "account-mail:" + _typed_email()


def _no_referrer(response):
    """Keep a token in the URL out of any Referer header."""
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _account_mail_limited(view):
    """Limit a page that mails a link: per client address and per typed address (existing or not)."""
    view = limiter.limit(lambda: current_app.config["ACCOUNT_MAIL_LIMIT_PER_ADDRESS"], methods=["POST"],
                         key_func=_account_mail_key)(view)
    return limiter.limit(lambda: current_app.config["ACCOUNT_MAIL_LIMIT_PER_IP"], methods=["POST"])(view)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT_PER_IP"], methods=["POST"])
def register():
    """Create an account; the activation link arrives by email."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        services.register(form.email.data, form.name.data, form.password.data)
        session["registered_email"] = form.email.data
        return redirect(url_for("auth.check_inbox"))
    return render_template("auth/register.html", form=form)


@bp.get("/register/check-inbox")
def check_inbox():
    """Tell the new member to follow the link we mailed."""
    # Where mail goes without SMTP: about the backend, the same whatever the address (nothing to enumerate).
    return render_template("auth/check_inbox.html", email=session.get("registered_email"), outbox=file_outbox())


@bp.route("/register/resend", methods=["GET", "POST"])
@_account_mail_limited
def resend_activation():
    """Mail the activation link again; the answer is the same whatever the address."""
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.resend_activation(form.email.data)
        session["registered_email"] = form.email.data
        return redirect(url_for("auth.check_inbox"))
    return render_template(
        "auth/email_link.html",
        form=form,
        heading="Send the activation link again",
        lead="Type the address you registered with and we'll mail it a fresh link.",
    )


@bp.route("/activate/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_failed)
def activate(token: str):
    """Activate an account from the emailed link once its owner types the password they chose, and sign in."""
    user = services.activation_target(token)
    if user is None:
        flash("That activation link is invalid, expired or already used. Try signing in.", "error")
        return redirect(url_for("auth.login"))
    form = ActivateForm()
    if form.validate_on_submit():
        result = services.activate(token, form.password.data)
        if result.user is not None:
            session.clear()
            login_user(result.user)
            flash("Welcome to oneclick! Your account is ready.", "success")
            return redirect(url_for("main.dashboard"))
        if result.reason == "invalid":
            flash("That activation link is invalid, expired or already used. Try signing in.", "error")
            return redirect(url_for("auth.login"))
        form.password.errors.append("That isn't the password chosen when this address was last registered.")
    return _no_referrer(make_response(render_template("auth/activate.html", form=form, email=user.email)))


@bp.route("/password/forgot", methods=["GET", "POST"])
@_account_mail_limited
def forgot_password():
    """Mail a link to choose a new password; the answer is the same whatever the address."""
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        session["reset_email"] = form.email.data
        return redirect(url_for("auth.forgot_password_sent"))
    return render_template(
        "auth/email_link.html",
        form=form,
        heading="Forgot your password?",
        lead="Type your address and we'll mail you a link to choose a new password.",
    )


@bp.get("/password/forgot/sent")
def forgot_password_sent():
    """Tell the visitor to follow the link we mailed."""
    return render_template("auth/forgot_sent.html", email=session.get("reset_email"))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_failed)
def reset_password(token: str):
    """Choose a new password from the emailed link; every session and remember cookie ends, this browser signs in."""
    user = services.reset_target(token)
    if user is None:
        flash("That reset link is invalid, expired or already used. Ask for a new one below.", "error")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = services.reset_password(token, form.new_password.data)
        if user is None:
            flash("That reset link is invalid, expired or already used. Ask for a new one below.", "error")
            return redirect(url_for("auth.forgot_password"))
        session.clear()
        login_user(user)
        flash("Password changed. Every other device has been signed out.", "success")
        return redirect(url_for("main.dashboard"))
    return _no_referrer(make_response(render_template("auth/reset.html", form=form, email=user.email)))


LOGIN_MESSAGES = {
    "bad_credentials": "That email and password don't match an account.",
    "unverified": "Please activate your account first: follow the link we emailed you.",
    "captcha_required": "There have been many failed sign-ins to this account lately. "
                        "Solve the security check and sign in again.",
    "captcha_wrong": "That answer wasn't right; here is a new one.",
}


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_failed)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_login_account_address_key,
    deduct_when=_failed,
)
def login():
    """Sign in with email and password (and the visitor's own captcha while the account is under attack)."""
    next_url = safe_next(request.values.get("next"), url_for("main.dashboard"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    captcha = None
    switch = request.form.get("captcha_kind") if request.method == "POST" else None
    if switch is not None:
        # "Listen instead" / "Show a picture instead": no sign-in attempt, just another challenge.
        g.not_a_sign_in = True
        if session.get("login_captcha"):
            kind = switch if switch in ("image", "audio") and attempts.captcha_issue_allowed() else None
            captcha = _visitor_captcha(kind)
    elif form.validate_on_submit():
        result = services.sign_in(form.email.data, form.password.data, session.get("login_captcha"),
                                  form.captcha_answer.data)
        if result.user is not None:
            session.clear()  # a fresh session on every sign-in
            login_user(result.user, remember=form.remember.data)
            return redirect(next_url)
        form.form_errors.append(LOGIN_MESSAGES[result.reason])
        if result.reason == "captcha_required" and session.get("login_captcha"):
            form.captcha_answer.errors = ["Type the six digits you see or hear."]  # shown, left empty
        if result.needs_captcha:
            captcha = _visitor_captcha(None)
    form.captcha_answer.data = ""
    return render_template("auth/login.html", form=form, next=request.values.get("next", ""), captcha=captcha)


def _visitor_captcha(kind: str | None):
    """Return this visitor's live sign-in captcha (a new one of ``kind`` when asked), its id kept in the session."""
    kind = kind or session.get("login_captcha_kind")
    row = services.login_captcha(session.get("login_captcha"), kind)
    session["login_captcha"], session["login_captcha_kind"] = row.id, row.kind
    return row


@bp.get("/login/captcha/<captcha_id>.<ext>")
@limiter.limit(lambda: current_app.config["CAPTCHA_LIMIT"])
def login_captcha_media(captcha_id: str, ext: str):
    """Serve the visitor's own sign-in captcha as an image (png) or audio (wav); anyone else's is 404."""
    row = services.login_captcha_media(session.get("login_captcha"), captcha_id, ext)
    if row is None:
        abort(404)
    response = current_app.response_class(row.challenge, mimetype=captchas.KINDS[row.kind])
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/logout")
@login_required
def logout():
    """Sign out everywhere: this session, other sessions and every remember cookie (deleted in this browser)."""
    services.end_all_sessions(current_user._get_current_object())  # CSRFProtect has checked the token
    session.clear()
    logout_user()  # after clearing the session, so its mark to delete the remember cookie survives
    flash("You're signed out.", "info")
    return redirect(url_for("main.index"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Edit name, headline and public handle."""
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        if services.handle_taken(user, form.handle.data):
            form.handle.errors.append("That handle is taken.")
        else:
            services.update_profile(user, form.name.data, form.headline.data, form.handle.data)
            flash("Profile saved.", "success")
            return redirect(url_for("auth.settings"))
    return render_template("auth/settings.html", form=form)


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def password():
    """Change the password; every other session and remember cookie ends."""
    user = current_user._get_current_object()
    form = PasswordForm()
    if form.validate_on_submit():
        if services.change_password(user, form.current_password.data, form.new_password.data):
            session.clear()
            login_user(user)  # keep this browser signed in with the new session token
            flash("Password changed. Other devices have been signed out.", "success")
            return redirect(url_for("auth.settings"))
        form.current_password.errors.append("That isn't your current password.")
    return render_template("auth/password.html", form=form)


@bp.route("/settings/delete", methods=["GET", "POST"])
@login_required
def delete():
    """Delete the account and all of its data, after the password is confirmed."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if services.delete_account(current_user._get_current_object(), form.password.data):
            session.clear()
            logout_user()  # after clearing the session, so its mark to delete the remember cookie survives
            flash("Your account and all of its data have been deleted.", "info")
            return redirect(url_for("main.index"))
        form.password.errors.append("That isn't your password.")
    return render_template("auth/delete.html", form=form)
