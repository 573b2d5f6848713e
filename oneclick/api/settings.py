"""The API tokens settings page and the readable API documentation page (the ``tokens`` commands are in cli.py)."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from ..clock import utcnow
from . import services
from .forms import RevokeForm, TokenForm

bp = Blueprint("api_tokens", __name__)


def _me():
    return current_user._get_current_object()


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """List the member's API tokens and create one; a new token is shown once, on this response only."""
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        try:
            created = services.create_token(_me(), form.name.data, utcnow())
        except services.TokenLimitReached:
            limit = current_app.config["API_TOKENS_MAX_PER_USER"]
            form.form_errors.append(f"You already have {limit} tokens, the most allowed. Revoke one you don't use.")
        else:
            form = TokenForm(formdata=None)
    # Not a redirect after a create: the raw token must not travel through the (signed, unencrypted) session.
    response = current_app.make_response(
        render_template(
            "api/tokens.html",
            form=form,
            created=created,
            tokens=services.active_tokens(_me()),
            revoke_form=RevokeForm(),
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    """Revoke one of the member's API tokens."""
    if not services.revoke_token(_me(), token_id, utcnow()):
        abort(404)
    flash("Token revoked. Integrations using it can no longer sign in.", "success")
    return redirect(url_for("api_tokens.tokens"))


@bp.app_template_filter("api_text")
def api_text(text: str | None) -> Markup:
    """Render the document's light markdown (`code` and **bold**) as HTML, everything else escaped."""
    html = str(escape(text or ""))
    html = re.sub(r"`([^`]+)`", r"<code>\1</code>", html)
    html = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", html)
    # Safe: the text was escaped above; the two substitutions only add <code> and <strong> around it.
    return Markup(html)  # noqa: S704  # nosec B704


@bp.get("/docs/api")
def docs():
    """Show the API reference, rendered from the OpenAPI document."""
    from .core import build_document
    from .errors import ERROR_HELP, ERROR_STATUS

    document = build_document()
    return render_template("api/docs.html", doc=document, error_status=ERROR_STATUS, error_help=ERROR_HELP)
