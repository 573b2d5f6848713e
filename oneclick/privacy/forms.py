"""Forms of a guest's own page: withdraw one request, erase everything."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import DataRequired, NumberRange

from ..validators import MAX_ID


class WithdrawForm(FlaskForm):
    request_id = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=MAX_ID)])


class EraseForm(FlaskForm):
    understood = BooleanField("I understand: this can't be undone", validators=[DataRequired(
        message="Tick the box to confirm you want everything erased.")])


class ExportForm(FlaskForm):
    """The download button (a POST, so a page elsewhere can't make the browser fetch the archive)."""
