"""The notifications page (``/notifications``), the header's unread count and the links' warning helper."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..clock import utcnow
from ..validators import MAX_ID
from . import services
from .forms import MarkAllReadForm, OpenForm

bp = Blueprint("notifications", __name__)


def _me():
    return current_user._get_current_object()


def notifications_unread() -> int:
    """Return the signed-in member's unread events for the header (0 when signed out)."""
    if not current_user.is_authenticated:
        return 0
    return services.unread_count(current_user.id)


def link_warnings(link, used: int):
    """Return the warnings to show for a link (a row or snapshot) with ``used`` requests: links list, link page."""
    return services.warnings_for(link, int(used or 0), utcnow())


@bp.app_context_processor
def _template_helpers():
    return {"notifications_unread": notifications_unread, "link_warnings": link_warnings,
            "NOTIFICATIONS_BADGE_CAP": services.BADGE_CAP}


def _after(value: str | None) -> int | None:
    """Return the page cursor (an event id), or None for a missing or malformed one (the first page)."""
    if not value or len(value) > 10 or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


@bp.get("/notifications")
@login_required
def index():
    """List the member's events, newest first; those shown are marked read (and highlighted this once)."""
    page = services.page(_me(), utcnow(), _after(request.args.get("after")))
    return render_template("notifications/index.html", page=page, mark_all=MarkAllReadForm(upto=page.newest_id),
                           open_form=OpenForm())


def _target_url(target: services.Target) -> str:
    if target.kind == services.REQUEST_RECEIVED:
        return url_for("inbox.inbox")
    if target.kind == services.REQUEST_ACCEPTED:
        return url_for("inbox.connections")
    if target.kind == services.INVITATION_ACCEPTED:
        return url_for("invitations.sent")
    if target.subject_id is not None:  # a link warning, while the link exists
        return url_for("links.detail", link_id=target.subject_id)
    return url_for("links.index")


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_item(notification_id: int):
    """Mark one event read and go to what it is about; someone else's event is a 404."""
    target = services.open_item(_me(), notification_id, utcnow())
    if target is None:
        abort(404)
    return redirect(_target_url(target))


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    """Mark every event read, up to the newest the page showed."""
    form = MarkAllReadForm()
    if not form.validate():
        flash("That didn't work: nothing was marked read. Please try again.", "error")
        return redirect(url_for("notifications.index"))
    done = services.mark_all_read(_me(), utcnow(), form.upto.data)
    flash("All notifications marked read." if done else "Nothing unread.", "success" if done else "info")
    return redirect(url_for("notifications.index"))
