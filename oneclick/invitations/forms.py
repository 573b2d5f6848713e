"""Invitation forms."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SearchField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from .. import limits
from ..validators import multi_line, one_line
from .rules import RELATIONSHIP_LABELS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class MessageLength:
    """At most INVITE_MESSAGE_MAX characters."""

    def __call__(self, form, field):
        maximum = int(current_app.config["INVITE_MESSAGE_MAX"])
        if len(field.data or "") > maximum:
            raise ValidationError(f"Keep your note to {maximum} characters (it has {len(field.data)}).")


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(
        "Name or handle", validators=[Optional(), Length(max=limits.SEARCH_MAX), one_line], filters=[_strip],
    )


class InviteForm(FlaskForm):
    how_known = RadioField("How do you know them?", validators=[InputRequired(message="Choose how you know them.")])
    message = TextAreaField(
        "Personal note",
        validators=[MessageLength(), multi_line],
        filters=[_strip],
        description="Remind them how you know each other and why you'd like to connect. "
        "A personal note makes an invitation far more welcome than a blank one.",
    )
    send_without_note = BooleanField("Send without a personal note")
    email = EmailField(
        "Their email address",
        validators=[Optional(), Length(max=limits.EMAIL_MAX), Email(message="Enter a valid email address.")],
        filters=[_lower],
    )
    captcha_id = HiddenField()
    captcha_answer = StringField(
        "Type the six digits you see (or hear)",
        validators=[Optional(), Length(max=limits.CAPTCHA_ANSWER_MAX), one_line], filters=[_strip],
    )
    submit = SubmitField("Send invitation")

    def set_name(self, name: str) -> None:
        """Fill the choices, naming the person in "I don't know <name>"."""
        self.how_known.choices = [(key.value, label.format(name=name)) for key, label in RELATIONSHIP_LABELS.items()]
        self.how_known.label.text = f"How do you know {name}?"

    def validate_message(self, field):
        if not field.data and not self.send_without_note.data:
            raise ValidationError(
                "Your invitation has no personal note. Add a line about how you know each other, "
                "or tick “Send without a personal note”."
            )


class EmailInviteForm(InviteForm):
    email = EmailField(
        "Their email address",
        validators=[DataRequired(), Length(max=limits.EMAIL_MAX), Email(message="Enter a valid email address.")],
        filters=[_lower],
    )
    name = StringField(
        "Their name", validators=[Optional(), Length(max=limits.PERSON_NAME_MAX), one_line], filters=[_strip],
    )


class LiftForm(FlaskForm):
    agree = BooleanField(
        "I agree to invite only people I know and who know me",
        validators=[DataRequired(message="Tick “I agree” to lift the restriction.")],
    )
    submit = SubmitField("Lift my restriction")


class SupportRequestForm(FlaskForm):
    message = TextAreaField(
        "Your message to support",
        validators=[
            DataRequired(message="Tell support a few words."),
            Length(max=limits.SUPPORT_MESSAGE_MAX),
            multi_line,
        ],
        filters=[_strip],
    )
    promise = BooleanField(
        "I promise to be careful and invite only people I know",
        validators=[DataRequired(message="Please confirm you'll be careful.")],
    )
    submit = SubmitField("Send request")


class MoreInvitationsForm(FlaskForm):
    message = TextAreaField(
        "Why do you need more invitations?",
        validators=[
            DataRequired(message="Tell support a few words."),
            Length(max=limits.SUPPORT_MESSAGE_MAX),
            multi_line,
        ],
        filters=[_strip],
    )
    submit = SubmitField("Ask for more invitations")
