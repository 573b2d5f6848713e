"""The public front page and the signed-in dashboard."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..clock import utcnow
from ..inbox.services import dashboard_summary
from ..invitations.services import quota_summary
from ..notifications.services import link_alerts

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """Explain the product to visitors; send members to their dashboard."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/index.html")


@bp.get("/dashboard")
@login_required
def dashboard():
    """Show the owner's dashboard: requests, connections, clicks and the links funnel."""
    me, now = current_user._get_current_object(), utcnow()
    return render_template("main/dashboard.html", summary=dashboard_summary(me, now),
                           invite_quota=quota_summary(me, now), link_alerts=link_alerts(me, now))
