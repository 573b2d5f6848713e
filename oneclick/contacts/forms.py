"""Contact card forms: the card, the photo upload, and the per-link field choices (links' form adds them)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, StringField, SubmitField, URLField
from wtforms.validators import Email, Length, Optional, ValidationError

from .. import limits
from ..validators import one_line
from . import fields


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


def _url(key: str):
    def check(form, field):
        if field.data:
            problem = fields.url_problem(key, field.data)
            if problem:
                raise ValidationError(problem)
    return check


def _phone(form, field):
    if field.data:
        problem = fields.phone_problem(field.data)
        if problem:
            raise ValidationError(problem)


def _email_field(label: str):
    return EmailField(label, validators=[Optional(), Length(max=limits.EMAIL_MAX),
                                         Email(message="Enter a valid email address.")], filters=[_lower],
                      description="As you state it: we don't check this address, and your card says so.")


def _url_field(label: str, key: str, example: str):
    return URLField(label, validators=[Optional(), Length(max=limits.PROFILE_URL_MAX), _url(key)], filters=[_strip],
                    description=f"e.g. {example}")


class CardForm(FlaskForm):
    """The member's contact card (name and headline are the profile's)."""

    organisation = StringField("Organisation", validators=[Optional(), Length(max=limits.ORGANISATION_MAX), one_line],
                               filters=[_strip])
    work_email = _email_field("Work email")
    personal_email = _email_field("Personal email")
    phone = StringField("Phone", validators=[Optional(), Length(max=limits.PHONE_MAX), _phone], filters=[_strip],
                        description="With the country code, e.g. +44 20 7946 0958.")
    website = _url_field("Website", "website", "https://example.com")
    linkedin = _url_field("LinkedIn", "linkedin", "https://www.linkedin.com/in/your-name")
    mastodon = _url_field("Mastodon", "mastodon", "https://mastodon.social/@you")
    github = _url_field("GitHub", "github", "https://github.com/you")
    x = _url_field("X", "x", "https://x.com/you")
    submit = SubmitField("Save card")


class PhotoForm(FlaskForm):
    photo = FileField("Photo", description="JPEG, PNG, GIF or WebP. We crop it to a square and save a copy "
                                           "without its metadata (location, camera).")
    submit = SubmitField("Upload photo")


class PhotoDeleteForm(FlaskForm):
    submit = SubmitField("Remove photo")
