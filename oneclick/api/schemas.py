"""The API's marshmallow fields and schemas: one declaration validates a request and documents it.

Each field checks the value exactly as its JSON Schema (built by apispec into the OpenAPI document) states it,
and says what is wrong in words people read: ``{"error": {"fields": {"label": "Use at most 80 characters."}}}``.
Response schemas document the answers; flask-smorest dumps each answer through its schema.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

import marshmallow as ma
from email_validator import EmailNotValidError, validate_email
from marshmallow import ValidationError, fields

from .. import limits
from ..validators import CONTROL_MULTI_LINE, CONTROL_ONE_LINE, control_problem

# Character classes spelled out (no \s, whose meaning differs between regex engines), shared by the checks
# below and the patterns in the document. Control characters: the one rule in oneclick/validators.py.
_NO_CONTROL = f"[^{CONTROL_ONE_LINE}]"
_NO_CONTROL_MULTI_LINE = f"[^{CONTROL_MULTI_LINE}]"
_VISIBLE = r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
_VISIBLE_RE = re.compile(_VISIBLE)
_RFC3339_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})\Z", re.ASCII)

_MESSAGES = {"required": "This field is required.", "null": "Must not be null."}


def _meta(description: str, **schema) -> dict:
    return {**schema, "description": description} if description else schema


class Str(fields.String):
    """Text, stripped of surrounding white space, within a length range; one line unless ``multiline``."""

    default_error_messages = _MESSAGES

    def __init__(self, *, max_length: int, min_length: int = 0, multiline: bool = False, description: str = "",
                 **kwargs):
        self.min_length, self.max_length, self.multiline = min_length, max_length, multiline
        allowed = _NO_CONTROL_MULTI_LINE if multiline else _NO_CONTROL
        schema: dict = {"maxLength": max_length}
        if min_length:
            schema["minLength"] = min_length
            schema["pattern"] = f"^{allowed}*{_VISIBLE}{allowed}*$"
        else:
            schema["pattern"] = f"^{allowed}*$"
        super().__init__(metadata=_meta(description, **schema), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        # The checks run on the value as sent, exactly as the pattern states them; then it is stripped.
        if not isinstance(value, str):
            raise ValidationError("Must be a string.")
        if len(value) > self.max_length:
            raise ValidationError(f"Use at most {self.max_length} characters.")
        problem = control_problem(value, multiline=self.multiline)
        if problem:
            raise ValidationError(problem)
        if self.min_length and not _VISIBLE_RE.search(value):
            raise ValidationError("Must not be empty.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate from a \ud800-style escape
            raise ValidationError("Must be valid Unicode text.") from exc
        value = value.strip()
        if len(value) < self.min_length:
            raise ValidationError(f"Use at least {self.min_length} characters.")
        return value


class Email(fields.String):
    """An email address, normalised to lower case."""

    default_error_messages = _MESSAGES

    def __init__(self, *, description: str = "", **kwargs):
        # No "format": "email": JSON Schema's idea of an address differs from the validator's we use.
        super().__init__(metadata=_meta(description, maxLength=limits.EMAIL_MAX), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > limits.EMAIL_MAX:
            raise ValidationError("Enter a valid email address.")
        try:
            return validate_email(value.strip(), check_deliverability=False).normalized.lower()
        except EmailNotValidError as exc:
            raise ValidationError("Enter a valid email address.") from exc


class Int(fields.Integer):
    """A whole number within a range: JSON numbers only (``true`` is not 1); in a query, ASCII digits."""

    default_error_messages = _MESSAGES

    def __init__(self, *, minimum: int, maximum: int, query: bool = False, description: str = "", **kwargs):
        self.minimum, self.maximum, self.query = minimum, maximum, query
        super().__init__(metadata=_meta(description, minimum=minimum, maximum=maximum), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if self.query and isinstance(value, str):  # a query string is text; in a JSON body "5" is refused below
            text = value.strip()
            if not text.isascii() or not text.isdigit() or len(text) > 12:
                raise ValidationError("Must be a whole number.")
            value = int(text)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("Must be a whole number.")
        if isinstance(value, float):
            if not math.isfinite(value) or not value.is_integer():
                raise ValidationError("Must be a whole number.")
            value = int(value)
        if not self.minimum <= value <= self.maximum:
            raise ValidationError(f"Use a number from {self.minimum} to {self.maximum}.")
        return value


class Bool(fields.Boolean):
    """``true`` or ``false``; with ``only``, exactly that value (``{"agree": true}``)."""

    default_error_messages = _MESSAGES

    def __init__(self, *, only: bool | None = None, message: str = "Must be true or false.", description: str = "",
                 **kwargs):
        self.only, self.message = only, message
        schema = {"enum": [only]} if only is not None else {}
        super().__init__(metadata=_meta(description, **schema), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool) or (self.only is not None and value is not self.only):
            raise ValidationError(self.message)
        return value


class Choice(fields.String):
    """One of a fixed set of strings."""

    default_error_messages = _MESSAGES

    def __init__(self, choices, *, description: str = "", **kwargs):
        self.choices = tuple(choices)
        super().__init__(metadata=_meta(description, enum=list(self.choices)), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or value not in self.choices:
            raise ValidationError("Use one of: " + ", ".join(self.choices) + ".")
        return value


class DateTime(fields.String):
    """An ISO 8601 time with a zone (``2030-01-31T00:00:00Z``), returned as aware UTC."""

    default_error_messages = _MESSAGES

    def __init__(self, *, description: str = "", **kwargs):
        super().__init__(metadata=_meta(description, format="date-time"), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not _RFC3339_RE.match(value):
            raise ValidationError("Use an ISO 8601 time with a time zone, e.g. 2030-01-31T00:00:00Z.")
        try:
            moment = datetime.fromisoformat(value.upper())
        except ValueError as exc:
            raise ValidationError("Use an ISO 8601 time with a time zone, e.g. 2030-01-31T00:00:00Z.") from exc
        try:
            return moment.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise ValidationError("That time is out of range.") from exc


class Body(ma.Schema):
    """A JSON request body: unknown fields are refused, and it is shown inline in the document."""

    error_messages = {"unknown": "Unknown field."}

    class Meta:
        unknown = ma.RAISE


class Query(ma.Schema):
    """Query-string parameters: unknown ones are refused."""

    error_messages = {"unknown": "Unknown parameter."}

    class Meta:
        unknown = ma.RAISE


CURSOR = "`next_cursor` of the previous page."


# --- Response schemas (components of the document) ----------------------------------------------------------


class Out(ma.Schema):
    """An answer: documented without ``additionalProperties``, so a later release may add fields."""

    class Meta:
        unknown = ma.EXCLUDE


def component(cls):
    """Mark a response schema as a named component whose every field is always present."""
    for field in cls._declared_fields.values():
        field.required = True
    cls.component_name = cls.__name__
    return cls


def schema_name(schema) -> str | None:
    """Name response schemas after their class; request bodies, queries and inner objects stay inline."""
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__dict__.get("component_name")


def _s(description: str = "", **kwargs):
    return fields.String(metadata=_meta(description), **kwargs)


def _time(description: str = "", **kwargs):
    return fields.String(metadata=_meta(description, format="date-time"), **kwargs)


def _int(description: str = "", **kwargs):
    return fields.Integer(metadata=_meta(description), **kwargs)


def _bool(description: str = "", **kwargs):
    return fields.Boolean(metadata=_meta(description), **kwargs)


def _enum(values, description: str = "", **kwargs):
    return fields.String(metadata=_meta(description, enum=list(values)), **kwargs)


_PUBLIC_ID = "An opaque public id."


def _list_of(name: str, item, cursor: bool):
    attrs = {"items": fields.List(fields.Nested(item))}
    if cursor:
        attrs["next_cursor"] = _s("Pass as `cursor` for the next page; null on the last page.", allow_none=True)
    return component(type(name, (Out,), attrs))


@component
class Captcha(Out):
    id = _s()
    image_url = _s("GET it with your token: a PNG of six digits.")


@component
class Quota(Out):
    allotment = _int("Invitations allowed in total (grants included).")
    sent = _int("Invitations sent so far (withdrawn ones count).")
    remaining = _int()
    sent_last_24h = _int()
    captcha_after = _int("Invitations per rolling 24 h before a captcha.")
    restricted = _bool()
    restrictions = _int("How many times the account has been restricted.")
    declines_since_lift = _int()
    spammer = _bool()


class _Account(Out):
    """What the member themselves and support both see of an account."""

    id = _s(_PUBLIC_ID)
    name = _s()
    email = _s()
    handle = _s(allow_none=True)
    is_admin = _bool()
    quota = fields.Nested(Quota)


@component
class Me(_Account):
    headline = _s()


@component
class LinkStats(Out):
    clicks = _int()
    requests = _int()
    accepted = _int()


@component
class Link(Out):
    id = _int()
    label = _s()
    channel = _s()
    message = _s()
    expires_at = _time(allow_none=True)
    max_requests = _int(allow_none=True)
    auto_accept = _bool()
    url = _s("The public one-click URL of the link's current version.")
    qr_svg_url = _s()
    qr_png_url = _s()
    active = _bool("False while paused.")
    state = _enum(["ok", "paused", "expired", "full"])
    primary = _bool("The link /@handle leads to.")
    slug = _s("The stable short path's last part, or null.", allow_none=True)
    share_stable = _bool("True when QR codes, present mode and snippets share the stable path.")
    stable_url = _s("The stable short path /@handle/<slug> (survives a rotation), or null without one that works.",
                    allow_none=True)
    share_url = _s("What QR codes, present mode and snippets share: stable_url when chosen, else url.")
    share_qr_svg_url = _s("The QR code of share_url (SVG).")
    share_qr_png_url = _s("The QR code of share_url (PNG).")
    created_at = _time()
    stats = fields.Nested(LinkStats)


LinkList = _list_of("LinkList", Link, cursor=False)


@component
class SourceCount(Out):
    value = _s("A referring host (\"direct\" when none was sent), a utm_source or a device class; \"other\" sums "
               "the rest.")
    clicks = _int()


@component
class LinkSources(Out):
    days = _int("The UTC days counted, up to today.")
    total = _int("Clicks with a known source in those days.")
    referrers = fields.List(fields.Nested(SourceCount), metadata=_meta("Top referring hosts, most clicks first."))
    utm_sources = fields.List(fields.Nested(SourceCount), metadata=_meta("Top utm_source values."))
    devices = fields.List(fields.Nested(SourceCount), metadata=_meta("phone, tablet and desktop, in that order."))


@component
class Request(Out):
    id = _int()
    name = _s()
    email = _s()
    note = _s()
    link_id = _int(allow_none=True)
    status = _enum(["pending", "accepted", "declined"])
    email_confirmed = _bool(
        "The sender proved they read mail at `email`: a member's verified account, or a guest who clicked the "
        "confirmation link mailed to them. False only for guest requests kept from before email confirmation "
        "existed."
    )
    created_at = _time()


RequestList = _list_of("RequestList", Request, cursor=True)


class SharedCard(Out):
    """Card fields by key (oneclick.contacts.fields); ``work_email`` and ``personal_email`` are as stated, not
    verified; ``photo`` is a URL."""

    name = _s()
    headline = _s()
    organisation = _s()
    email = _s("Verified (the account's address, or a guest's confirmed one).")
    work_email = _s("As stated by its owner, not verified.")
    personal_email = _s("As stated by its owner, not verified.")
    phone = _s()
    website = _s()
    linkedin = _s()
    mastodon = _s()
    github = _s()
    x = _s()
    photo = _s("URL of the member's photo (JPEG).")


@component
class Connection(Out):
    id = _int()
    name = _s()
    email = _s()
    member_id = _s("The member's id, null for a guest.", allow_none=True)
    source = _enum(["link", "invitation"])
    created_at = _time()
    card = fields.Nested(
        SharedCard,
        metadata=_meta("The contact card fields this connection shares with you (fixed when the request was "
                       "accepted; gone when the connection is removed). Only filled fields appear."),
    )


ConnectionList = _list_of("ConnectionList", Connection, cursor=True)


@component
class Member(Out):
    id = _s(_PUBLIC_ID)
    name = _s()
    handle = _s(allow_none=True)
    headline = _s()
    state = _enum(["connected", "pending", "invited_before", "invite"], "Where you stand with them.")


MemberList = _list_of("MemberList", Member, cursor=False)


@component
class Recipient(Out):
    id = _s(
        "The member's id when you chose them by `recipient_id`; always null for an invitation by `email`, "
        "whoever holds the address (it is never mapped to an account).",
        allow_none=True,
    )
    name = _s("The member's name, or the name you gave with the address.")
    email = _s("The address you typed (by `email` only).", allow_none=True)


_INVITATION_STATUSES = ["pending", "accepted", "ignored", "declined", "withdrawn"]


@component
class Invitation(Out):
    id = _s(_PUBLIC_ID)
    recipient = fields.Nested(Recipient)
    status = _enum(["pending"])
    created_at = _time()


@component
class SentInvitation(Out):
    id = _s(_PUBLIC_ID)
    recipient = fields.Nested(Recipient)
    relationship = _s()
    message = _s()
    status = _enum(_INVITATION_STATUSES)
    stale = _bool("Pending for longer than the stale age.")
    created_at = _time()
    resent_at = _time(allow_none=True)
    actions = fields.List(_enum(["withdraw", "resend", "delete"]))


SentInvitationList = _list_of("SentInvitationList", SentInvitation, cursor=True)


@component
class Sender(Out):
    id = _s(_PUBLIC_ID)
    name = _s()
    handle = _s(allow_none=True)
    headline = _s()


@component
class ReceivedInvitation(Out):
    id = _s(_PUBLIC_ID)
    sender = fields.Nested(Sender)
    relationship = _s()
    message = _s()
    status = _enum(["pending", "ignored"])
    created_at = _time()


ReceivedInvitationList = _list_of("ReceivedInvitationList", ReceivedInvitation, cursor=False)


@component
class InvitationState(Out):
    id = _s(_PUBLIC_ID)
    status = _enum(_INVITATION_STATUSES)


@component
class SupportRequest(Out):
    kind = _enum(["more_invitations", "lift_restriction"])
    message = _s()
    status = _enum(["open"])
    created_at = _time()


@component
class AdminUser(_Account):
    verified = _bool()
    created_at = _time()
    last_grant_at = _time(allow_none=True)


AdminUserList = _list_of("AdminUserList", AdminUser, cursor=False)
