"""Forms for the owner's link pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional

from .. import limits
from ..clock import utcnow
from ..contacts import fields as card_keys
from ..models import DEFAULT_LINK_CARD_FIELDS
from ..validators import multi_line, one_line
from . import rules, zones
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


KEEP, NEVER, CUSTOM, NO_LIMIT = "keep", "never", "custom", "none"
SHARE_CHOICES = [
    SelectChoice("token", "The token URL: a new URL (rotation) makes every shared copy stop working."),
    SelectChoice("stable", "The short path: printed codes survive a rotation; pausing or deleting the link stops it."),
]


class LinkForm(FlaskForm):
    """A link's settings. Built with the owner's handle, their time zone and (when editing) the link.

    Expiry: presets count from the moment of saving; "custom" is a date and time in the owner's zone (the
    browser's, sent in ``tz``; UTC without JavaScript). On edit the first choice keeps the expiry as it is, so
    a save that doesn't touch it never changes it.
    """

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
    expires_preset = SelectField("Stops working", default=NEVER)
    expires_custom = DateTimeLocalField(
        "Custom date and time",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()],
    )
    tz = HiddenField(default="UTC")
    max_requests_preset = SelectField(
        "Request limit",
        choices=[SelectChoice(NO_LIMIT, "No limit"),
                 *(SelectChoice(str(n), f"{label} request{'s' if n != 1 else ''}")
                   for n, label in rules.REQUEST_LIMIT_PRESETS),
                 SelectChoice(CUSTOM, "Another number")],
        default=NO_LIMIT,
        description="The link stops taking requests once it has received this many.",
    )
    max_requests = IntegerField(
        "Another number",
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_REQUESTS_LIMIT, message=f"Use a number from 1 to {MAX_REQUESTS_LIMIT:,}."),
        ],
        description='Used with "Another number".',
    )
    auto_accept = BooleanField("Accept requests from this link automatically")
    slug = StringField(
        "Short path",
        validators=[Optional(), Length(max=limits.LINK_SLUG_MAX, message=rules.MESSAGES["too_long"])],
        filters=[_strip, lambda v: v.lower() if isinstance(v, str) else v],
    )
    share_stable = RadioField("QR codes, present mode and snippets share", choices=SHARE_CHOICES, default="token")
    # Contact card fields (templates/links/_card_fields.html): what a person who connects through this link
    # receives on acceptance, and what "Save contact" on its page offers anyone.
    card_fields = SelectMultipleField(
        "On acceptance, share", choices=[SelectChoice(k, card_keys.LABELS[k]) for k in card_keys.CHOOSABLE],
        default=[k for k in card_keys.parse(DEFAULT_LINK_CARD_FIELDS) if k != "name"],
    )
    public_fields = SelectMultipleField(
        "Anyone may save", choices=[SelectChoice(k, card_keys.LABELS[k]) for k in card_keys.CHOOSABLE], default=[],
    )
    submit = SubmitField("Save link")

    def __init__(self, *args, handle: str | None = None, zone: tzinfo = UTC, link=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.handle = handle
        self.link = link
        self.zone = zone
        choices = [SelectChoice(NEVER, "Never")] + [SelectChoice(v, label) for v, label, _ in rules.EXPIRY_PRESETS]
        choices.append(SelectChoice(CUSTOM, "Custom date and time"))
        if link is not None and link.expires_at is not None:
            choices.insert(0, SelectChoice(KEEP, f"Keep: {zones.show(link.expires_at, zone)}"))
            if not self.is_submitted():
                self.expires_preset.data = KEEP
        self.expires_preset.choices = choices
        if not self.is_submitted():
            self.tz.data = zones.zone_name(zone)
        self.expires_at = None  # set by validate(): the new expiry, unless the preset is KEEP
        self.expires_custom.description = (
            f"In your time zone ({zones.zone_name(zone)}). Used with \"Custom date and time\"."
        )
        self.slug.description = (
            f"Optional: {handle_path(handle)}<path> always leads to this link, whatever its current URL. "
            "Lowercase letters, digits and hyphens."
            if handle else rules.MESSAGES["no_handle"]
        )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return self._check_expiry() and self._check_limit() and self._check_slug() and ok

    def _check_expiry(self) -> bool:
        preset, custom = self.expires_preset.data, self.expires_custom.data
        if custom is not None and preset in (KEEP, NEVER):
            preset = CUSTOM  # a typed date with the preset left alone means that date
        now = utcnow()
        if preset == CUSTOM:
            if custom is None:
                if not self.expires_custom.errors:
                    self.expires_custom.errors.append("Type the date and time, or choose another option.")
                return False
            zone = zones.zone_named(self.tz.data)
            if zone is None:
                zone, self.tz.data = UTC, "UTC"
            try:
                moment = custom.replace(tzinfo=zone).astimezone(UTC)
            except (OverflowError, ValueError):  # beyond year 1 or 9999 once in UTC
                moment = (datetime.max if custom.year > 1 else datetime.min).replace(tzinfo=UTC)
            if moment <= now:
                self.expires_custom.errors.append("Choose a time in the future.")
                return False
            self.expires_at = moment
        elif preset in rules.EXPIRY_DURATIONS:
            if custom is not None:
                self.expires_custom.errors.append(
                    'Choose "Custom date and time" to use the date you typed, or clear it.'
                )
                return False
            self.expires_at = rules.preset_expiry(preset, now)
        return True

    def _check_limit(self) -> bool:
        preset, number = self.max_requests_preset.data, self.max_requests.data
        if self.max_requests.errors or self.max_requests_preset.errors:  # e.g. a preset that isn't offered
            return False
        if preset == NO_LIMIT and number is not None:
            preset = CUSTOM  # a typed number with the preset left at "No limit" means that number
        if preset == CUSTOM:
            if number is None:
                self.max_requests.errors.append("Type the number, or choose another option.")
                return False
            self.request_limit = number
        elif preset == NO_LIMIT:
            self.request_limit = None
        else:
            self.request_limit = int(preset)
        return True

    def _check_slug(self) -> bool:
        slug = self.slug.data or None
        self.slug.data = slug
        if slug is not None:
            if not self.handle:
                self.slug.errors.append(rules.MESSAGES["no_handle"])
                return False
            decision = rules.check_slug(slug)
            if not decision.allowed:
                if not self.slug.errors:
                    self.slug.errors.append(rules.MESSAGES[decision.reason])
                return False
        if self.share_stable.data == "stable" and slug is None:
            self.share_stable.errors.append(rules.MESSAGES["needs_slug"])
            return False
        return True

    def changes(self) -> dict:
        """Return the settings to save (without ``expires_at`` when the owner kept it)."""
        values = {
            "label": self.label.data,
            "channel": self.channel.data,
            "message": self.message.data or "",
            "max_requests": self.request_limit,
            "auto_accept": bool(self.auto_accept.data),
            "slug": self.slug.data or None,
            "share_stable": self.share_stable.data == "stable",
            "card_fields": card_keys.join(self.card_fields.data or ()),
            "public_fields": card_keys.join(self.public_fields.data or ()),
        }
        if self.expires_preset.data != KEEP or self.expires_custom.data is not None:
            values["expires_at"] = self.expires_at
        return values

    def fill_from(self, link) -> None:
        """Prefill the form from a link (on GET)."""
        self.label.data = link.label
        self.channel.data = link.channel
        self.message.data = link.message
        self.expires_preset.data = KEEP if link.expires_at is not None else NEVER
        self.max_requests_preset.data = rules.request_limit_choice(link.max_requests)
        self.max_requests.data = link.max_requests if self.max_requests_preset.data == CUSTOM else None
        self.auto_accept.data = link.auto_accept
        self.slug.data = link.slug or ""
        self.share_stable.data = "stable" if link.share_stable else "token"
        self.card_fields.data = [k for k in card_keys.parse(link.card_fields) if k != "name"]
        self.public_fields.data = [k for k in card_keys.parse(link.public_fields) if k != "name"]


def handle_path(handle: str | None) -> str:
    """Return the start of a stable short path, "/@ada/"."""
    return f"/@{handle}/" if handle else ""


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
