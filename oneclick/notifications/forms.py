"""Forms of the notifications page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import NumberRange, Optional

from ..validators import MAX_ID


class MarkAllReadForm(FlaskForm):
    """Mark every event read, up to the newest the member saw (``upto``: a later one stays unread)."""

    upto = IntegerField("Newest event shown", validators=[Optional(), NumberRange(min=1, max=MAX_ID)],
                        widget=HiddenField.widget)


class OpenForm(FlaskForm):
    """Open one event: marks it read and leads to what it is about (just the CSRF token)."""
