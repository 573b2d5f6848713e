"""Support console forms."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import IntegerField, SearchField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from .. import limits
from ..validators import one_line


class MemberSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField("Email, name or handle", validators=[Optional(), Length(max=limits.SEARCH_MAX), one_line])


class GrantForm(FlaskForm):
    amount = IntegerField(
        "Invitations to grant",
        validators=[InputRequired(message="Enter a whole number."), NumberRange(min=-10**9, max=10**9)],
    )
    submit = SubmitField("Grant")

    def set_bounds(self) -> None:
        """Describe the allowed range (the rules module decides; this only explains)."""
        config = current_app.config
        self.amount.description = f"Between {config['GRANT_MIN']} and {config['GRANT_MAX']}, " \
            f"at most once every {config['GRANT_INTERVAL_DAYS']} days; never to a member labelled a spammer."
