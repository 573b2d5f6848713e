"""Forms of the webhooks settings pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .. import limits
from ..validators import one_line
from .rules import EVENTS

EVENT_HELP = {
    "request.created": "A request reaches your inbox",
    "request.accepted": "You accept a request (or a link accepts it automatically)",
    "connection.removed": "You remove a connection",
    "invitation.answered": "Someone accepts an invitation you sent",
    "link.paused": "You pause a link",
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class EndpointForm(FlaskForm):
    url = StringField(
        "Endpoint URL",
        validators=[
            DataRequired(message="Enter the endpoint's URL."),
            Length(max=limits.WEBHOOK_URL_MAX, message=f"Use at most {limits.WEBHOOK_URL_MAX} characters."),
            one_line,
        ],
        filters=[_strip],
        description="An https:// address on the public internet that answers POST requests with a 2xx status.",
    )
    events = SelectMultipleField(
        "Events", choices=[SelectChoice(e, e) for e in EVENTS], validate_choice=True,
        validators=[DataRequired(message="Choose at least one event.")],
    )
    submit = SubmitField("Add endpoint")


class ActionForm(FlaskForm):
    """A button: only the CSRF token."""
