"""Forms for the owner's link pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, ValidationError

from .. import limits
from ..clock import utcnow
from ..validators import multi_line, one_line
from .services import CHANNELS

MESSAGE_MAX = limits.LINK_MESSAGE_MAX
MAX_REQUESTS_LIMIT = limits.LINK_MAX_REQUESTS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def expiry_from_date(day) -> datetime | None:
    """Return the moment a link set to expire on ``day`` stops working: the end of that UTC day."""
    if day is None:
        return None
    if day == date.max:  # the day after 9999-12-31 can't be represented: its last microsecond is the end
        return datetime.combine(day, time.max, tzinfo=UTC)
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def date_from_expiry(moment: datetime | None):
    """Return the last valid UTC day of a link that expires at ``moment``."""
    if moment is None:
        return None
    return (moment - timedelta(microseconds=1)).date()


class LinkForm(FlaskForm):
    label = StringField(
        "Label",
        validators=[DataRequired(message="Give the link a label."), Length(max=limits.LINK_LABEL_MAX), one_line],
        filters=[_strip],
        description='Only you see this, e.g. "Email signature" or "PyCon talk slides".',
    )
    channel = SelectField(
        "Where will you put it?", choices=[SelectChoice(value, label) for value, label in CHANNELS], default="other"
    )
    message = TextAreaField(
        "Welcome message",
        validators=[
            Optional(),
            Length(max=MESSAGE_MAX, message=f"Keep the message to {MESSAGE_MAX} characters."),
            multi_line,
        ],
        filters=[_strip],
        description=f"Optional. Visitors see it above the request form (up to {MESSAGE_MAX} characters).",
    )
    expires_on = DateField(
        "Expires after",
        validators=[Optional()],
        description="Optional. The link works until the end of this day (UTC), then shows visitors that it expired.",
    )
    max_requests = IntegerField(
        "Request limit",
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_REQUESTS_LIMIT, message=f"Use a number from 1 to {MAX_REQUESTS_LIMIT:,}."),
        ],
        description="Optional. The link stops taking requests once it has received this many.",
    )
    auto_accept = BooleanField("Accept requests from this link automatically")
    submit = SubmitField("Save link")

    def validate_expires_on(self, field):
        if field.data is not None and field.data < utcnow().date():
            raise ValidationError("Choose today or a later day, or leave it empty.")

    def fill_from(self, link) -> None:
        """Prefill the form from a link (on GET)."""
        self.label.data = link.label
        self.channel.data = link.channel
        self.message.data = link.message
        self.expires_on.data = date_from_expiry(link.expires_at)
        self.max_requests.data = link.max_requests
        self.auto_accept.data = link.auto_accept


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class VanityForm(FlaskForm):
    enabled = HiddenField(validators=[AnyOf(["1", "0"])])


class SnippetOptionsForm(FlaskForm):
    """Snippet options, read from the query string (GET, no CSRF)."""

    class Meta:
        csrf = False

    text = StringField(
        "Link text",
        validators=[Optional(), Length(max=limits.SNIPPET_TEXT_MAX), one_line],
        filters=[_strip],
        default="",
    )
    qr = BooleanField("Add a small QR code to the email signature")
