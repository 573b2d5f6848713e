"""Forms every feature shares."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField


class ConfirmForm(FlaskForm):
    """An empty form: just the CSRF token, for one-button actions such as signing out."""

    submit = SubmitField("OK")
