"""Account forms."""

from __future__ import annotations

import re

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from .. import limits
from ..validators import one_line

HANDLE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{1,28}[a-z0-9])$")
RESERVED_HANDLES = {"admin", "api", "support", "help", "login", "static", "oneclick", "settings", "about"}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class PasswordLength:
    """Require the configured minimum password length (and a sane maximum)."""

    def __call__(self, form, field):
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        if len(field.data or "") < minimum:
            raise ValidationError(f"Use at least {minimum} characters.")
        if len(field.data) > 256:
            raise ValidationError("Use at most 256 characters.")


def _short_answer(value):
    """Keep the first characters of a captcha answer (only digits count; the rest can't make it right)."""
    return value[:20] if isinstance(value, str) else value


EMAIL_FIELD_ARGS = dict(
    validators=[DataRequired(), Length(max=limits.EMAIL_MAX), Email(message="Enter a valid email address.")],
    filters=[_lower],
)


class RegisterForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired(), Length(max=limits.PERSON_NAME_MAX), one_line], filters=[_strip],
    )
    email = EmailField("Email", **EMAIL_FIELD_ARGS)
    password = PasswordField("Password", validators=[DataRequired(), PasswordLength()])
    submit = SubmitField("Create account")


class LoginForm(FlaskForm):
    email = EmailField("Email", **EMAIL_FIELD_ARGS)
    password = PasswordField("Password", validators=[DataRequired(), Length(max=limits.PASSWORD_MAX)])
    remember = BooleanField("Remember me on this device")
    # Asked for only while the account is under attack; the captcha itself is bound to the visitor's session.
    captcha_answer = StringField("Type the six digits you see or hear", filters=[_short_answer])
    submit = SubmitField("Sign in")


class ProfileForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired(), Length(max=limits.PERSON_NAME_MAX), one_line], filters=[_strip],
    )
    headline = StringField(
        "Headline",
        validators=[Optional(), Length(max=limits.HEADLINE_MAX), one_line],
        filters=[_strip],
        description="One line under your name, e.g. “Developer advocate at Example”.",
    )
    handle = StringField(
        "Public handle",
        validators=[Optional(), Length(min=limits.HANDLE_MIN, max=limits.HANDLE_MAX)],
        filters=[_lower],
        description="Lowercase letters, digits, - and _. Your vanity link is /@handle.",
    )
    submit = SubmitField("Save profile")

    def validate_handle(self, field):
        if field.data and not HANDLE_RE.match(field.data):
            raise ValidationError(
                "Use 3–30 lowercase letters, digits, - or _, starting and ending with a letter or digit."
            )
        if field.data in RESERVED_HANDLES:
            raise ValidationError("That handle is reserved.")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=limits.PASSWORD_MAX)])
    new_password = PasswordField("New password", validators=[DataRequired(), PasswordLength()])
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("new_password", "The passwords differ.")]
    )
    submit = SubmitField("Change password")


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=limits.PASSWORD_MAX)])
    confirm = BooleanField("I understand that this deletes my account and all of its data", validators=[DataRequired()])
    submit = SubmitField("Delete my account")


class ActivateForm(FlaskForm):
    password = PasswordField("Password", validators=[DataRequired(), Length(max=limits.PASSWORD_MAX)])
    submit = SubmitField("Activate my account")


class EmailOnlyForm(FlaskForm):
    """One address: "Forgot your password?" and "Resend the activation link"."""

    email = EmailField("Email", **EMAIL_FIELD_ARGS)
    submit = SubmitField("Send the link")


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField("New password", validators=[DataRequired(), PasswordLength()])
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("new_password", "The passwords differ.")]
    )
    submit = SubmitField("Set new password")
