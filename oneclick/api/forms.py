"""Forms of the API tokens settings page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from .. import limits
from ..validators import one_line


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class TokenForm(FlaskForm):
    name = StringField(
        "Token name",
        validators=[DataRequired(message="Name the token."), Length(max=limits.TOKEN_NAME_MAX), one_line],
        filters=[_strip],
        description='What will use it, e.g. "CRM sync" or "Signature generator".',
    )
    submit = SubmitField("Create token")


class RevokeForm(FlaskForm):
    """The revoke button: only the CSRF token."""

    submit = SubmitField("Revoke")
