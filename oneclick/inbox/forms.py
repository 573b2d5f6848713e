"""Forms for the public request form, the inbox, connections, blocks and notification settings."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    Field,
    HiddenField,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from .. import limits, tokens
from ..clock import utcnow
from ..contacts import fields as card_fields
from ..validators import MAX_ID, multi_line, one_line
from .services import NOTIFY_MODES, SOURCES, STATUSES

NOTE_MAX = limits.REQUEST_NOTE_MAX


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class PublicFormMeta:
    """A public form's CSRF token lasts long enough for a page opened from a QR code and sent days later."""

    @property
    def csrf_time_limit(self):
        return current_app.config["REQUEST_CSRF_TIME_LIMIT"]


class MemberRequestForm(FlaskForm):
    """The signed-in member's one-button request: their name and email come from the account; ``share`` the card
    fields they share back on acceptance (unknown keys are dropped)."""

    Meta = PublicFormMeta

    share = SelectMultipleField(choices=[SelectChoice(k, k) for k in card_fields.CHOOSABLE], validate_choice=False)

    def share_fields(self) -> str:
        return card_fields.join(k for k in (self.share.data or ())[:50] if k in card_fields.CHOOSABLE)


class GuestRequestForm(FlaskForm):
    """A guest's request: name, email and an optional note, with a honeypot and a minimum fill time."""

    Meta = PublicFormMeta

    name = StringField(
        "Your name", validators=[DataRequired(), Length(max=limits.PERSON_NAME_MAX), one_line], filters=[_strip],
    )
    email = EmailField(
        "Your email",
        validators=[DataRequired(), Length(max=limits.EMAIL_MAX), Email(message="Enter a valid email address.")],
        filters=[_lower],
        description="Only the person you're contacting sees it.",
    )
    note = TextAreaField(
        "How do we know each other? (optional)",
        validators=[Optional(), Length(max=NOTE_MAX), multi_line],
        filters=[_strip],
        description=f"Up to {NOTE_MAX} characters.",
    )
    organisation = StringField(
        "Organisation (optional)",
        validators=[Optional(), Length(max=limits.ORGANISATION_MAX), one_line], filters=[_strip],
    )
    phone = StringField(
        "Phone (optional)", validators=[Optional(), Length(max=limits.PHONE_MAX)], filters=[_strip],
    )
    # A field people never see; bots fill it in.
    website = StringField("Leave this field empty", filters=[_strip])

    def validate_phone(self, field):
        if field.data:
            problem = card_fields.phone_problem(field.data)
            if problem:
                raise ValidationError(problem)
    started = HiddenField()
    # Set (signed) after "That was quick!": the next press of this form always goes through.
    second = HiddenField()

    def validate(self, extra_validators=None):
        """Check the fields first; the start stamp and the minimum fill time only once every field is valid.

        A person whose browser filled the form in is never told "That was quick!" on top of a field error, and
        their second press after the warning goes through (the re-rendered form carries a signed marker).
        """
        if not super().validate(extra_validators):
            return False
        now = utcnow()
        age = tokens.form_started_age(self.started.data, now)
        if age is None:
            self.started.data = tokens.sign_form_started(now)
            self.started.errors = ["This form is incomplete. Please check your details and press Send again."]
            return False
        if age < current_app.config["REQUEST_MIN_FILL_SECONDS"] and not tokens.is_second_press(
            self.second.data, self.started.data
        ):
            self.second.data = tokens.sign_second_press(self.started.data)
            self.started.errors = ["That was quick! Please check your details and press Send again."]
            return False
        return True

    def is_bot(self) -> bool:
        """Return True when the honeypot field was filled in."""
        return bool(self.website.data)


class GuestConfirmForm(FlaskForm):
    """The button on a guest's confirmation page (a POST, so mail scanners that open links confirm nothing)."""

    Meta = PublicFormMeta


class IdListField(Field):
    """Checkbox values ``ids`` as a list of ints; anything that isn't a positive int is dropped."""

    widget = HiddenInput()

    def process_formdata(self, valuelist):
        # ASCII digits only ("²".isdigit() is True), and no id beyond what the id column holds.
        self.data = [int(v) for v in valuelist[: 4 * 200] if v.isascii() and v.isdigit() and len(v) < 19
                     and int(v) <= MAX_ID]

    def _value(self):
        return ""


class BulkForm(FlaskForm):
    """Bulk accept, decline, or decline and block the checked requests."""

    ids = IdListField()
    action = SelectField(
        choices=[SelectChoice("accept", "Accept"), SelectChoice("decline", "Decline"), SelectChoice("block", "Block")]
    )
    next = HiddenField()


class InboxFilterForm(FlaskForm):
    """The inbox's query string: tab, link filter, search and page cursor."""

    class Meta:
        csrf = False

    status = SelectField(
        choices=[SelectChoice(s, s.title()) for s in STATUSES], default="pending", validators=[Optional()]
    )
    link = SelectField("Link", choices=[SelectChoice("", "All links")], default="", validate_choice=False)
    q = SearchField(
        "Search name or email", validators=[Optional(), Length(max=limits.SEARCH_MAX), one_line], filters=[_strip],
    )
    after = HiddenField(validators=[Optional(), Length(max=40)])


class ConnectionsFilterForm(FlaskForm):
    """The connections page's query string: search, source and page cursor."""

    class Meta:
        csrf = False

    q = SearchField(
        "Search name or email", validators=[Optional(), Length(max=limits.SEARCH_MAX), one_line], filters=[_strip],
    )
    source = SelectField(
        "Came from",
        choices=[
            SelectChoice("", "Anywhere"),
            *[SelectChoice(s, "A link" if s == "link" else "An invitation") for s in SOURCES],
        ],
        default="",
        validators=[Optional()],
    )
    after = HiddenField(validators=[Optional(), Length(max=40)])


class BlockForm(FlaskForm):
    """Block an email address from all of my links."""

    email = EmailField(
        "Email to block",
        validators=[DataRequired(), Length(max=limits.EMAIL_MAX), Email(message="Enter a valid email address.")],
        filters=[_lower],
        description="Guests and members with this address can no longer send you requests. They aren't told.",
    )


class NotifyForm(FlaskForm):
    """How the owner hears about new requests."""

    notify_mode = RadioField(
        "Email me about new requests",
        choices=[
            SelectChoice("instant", "Right away, one email per request (the default)"),
            SelectChoice("daily", "Once a day, a digest of new requests"),
            SelectChoice("off", "Never — I'll check the app"),
        ],
        validators=[DataRequired()],
    )

    def validate_notify_mode(self, field):
        if field.data not in NOTIFY_MODES:
            raise ValidationError("Choose one of the options.")
