"""Register, activate, sign in and out, and the account settings pages."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import limiter
from ..security import safe_next
from . import services
from .forms import DeleteAccountForm, LoginForm, PasswordForm, ProfileForm, RegisterForm

bp = Blueprint("auth", __name__)


def _failed(response) -> bool:
    """A sign-in attempt counts against the limits unless it succeeded (a redirect)."""
    return response.status_code != 302


def _login_email_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()[:254]


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
    return render_template("auth/check_inbox.html", email=session.get("registered_email"))


@bp.get("/activate/<token>")
def activate(token: str):
    """Activate an account from the emailed link and sign it in."""
    user = services.activate(token)
    if user is None:
        flash("That activation link is invalid, expired or already used. Try signing in.", "error")
        return redirect(url_for("auth.login"))
    session.clear()
    login_user(user)
    flash("Welcome to oneclick! Your account is ready.", "success")
    return redirect(url_for("main.dashboard"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_failed)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_login_email_key,
    deduct_when=_failed,
)
def login():
    """Sign in with email and password."""
    next_url = safe_next(request.values.get("next"), url_for("main.dashboard"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        result = services.authenticate(form.email.data, form.password.data)
        if result.user is not None:
            session.clear()  # a fresh session on every sign-in
            login_user(result.user, remember=form.remember.data)
            return redirect(next_url)
        if result.reason == "unverified":
            form.form_errors.append("Please activate your account first: follow the link we emailed you.")
        else:
            form.form_errors.append("That email and password don't match an account.")
    return render_template("auth/login.html", form=form, next=request.values.get("next", ""))


@bp.post("/logout")
@login_required
def logout():
    """Sign out everywhere: this session, other sessions and every remember cookie."""
    services.end_all_sessions(current_user._get_current_object())  # CSRFProtect has checked the token
    logout_user()
    session.clear()
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
            logout_user()
            session.clear()
            flash("Your account and all of its data have been deleted.", "info")
            return redirect(url_for("main.index"))
        form.password.errors.append("That isn't your password.")
    return render_template("auth/delete.html", form=form)
