"""A guest's own page, opened from the private link in their confirmation mail: see, withdraw, erase."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..clock import utcnow
from ..errors import render_error
from . import export, services
from .forms import EraseForm, ExportForm, WithdrawForm

bp = Blueprint("privacy", __name__)

_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}

_STATE_PAGES = {
    "bad": (404, "We couldn't find this page",
            "The address may be incomplete. Copy the whole link from the email."),
    "expired": (410, "This link has expired",
                "Private links work for a year. A new request to someone mails you a new one."),
    "revoked": (410, "This link no longer works",
                "Everything stored about this address was erased after the link was sent, and the link with it."),
}


def _access(token: str):
    """Return (email, None) for a live private link, else (None, the error page)."""
    access = services.guest_access(token)
    if access.state != "ok":
        status, title, message = _STATE_PAGES[access.state]
        body, status = render_error(status, title, message)
        return None, (body, status, _HEADERS)
    return access.email, None


@bp.route("/guest/<token>")
def guest(token: str):
    """What this address sent as a guest: to whom, when, where it stands; withdraw one, or erase everything."""
    email, refused = _access(token)
    if refused:
        return refused
    items = services.guest_items(email)
    body = render_template("privacy/guest.html", email=email, items=items, token=token, form=WithdrawForm(),
                           days=services.retention_days())
    return body, 200, _HEADERS


@bp.route("/guest/<token>/withdraw", methods=["POST"])
def withdraw(token: str):
    """Take one request back (it is erased at once)."""
    email, refused = _access(token)
    if refused:
        return refused
    form = WithdrawForm()
    if not form.validate() or not services.withdraw_guest_request(email, form.request_id.data):
        body, status = render_error(404, "Nothing to withdraw",
                                    "This request was answered or withdrawn already, or it isn't yours.")
        return body, status, _HEADERS
    flash("Your request was withdrawn and erased.", "success")
    return redirect(url_for("privacy.guest", token=token))


@bp.route("/guest/<token>/erase", methods=["GET", "POST"])
def erase(token: str):
    """Confirm, then erase everything stored about this address as a guest."""
    email, refused = _access(token)
    if refused:
        return refused
    form = EraseForm()
    if form.validate_on_submit():
        services.erase_guest_address(email, utcnow())
        return redirect(url_for("privacy.erased"))
    body = render_template("privacy/erase.html", email=email, token=token, form=form)
    return body, 400 if form.is_submitted() else 200, _HEADERS


@bp.route("/guest/erased")
def erased():
    """Say it is done (the private link no longer opens)."""
    return render_template("privacy/erased.html"), 200, _HEADERS


# --- A member's export ----------------------------------------------------------------------------------------


def archive_response(user, now) -> Response:
    """Return the member's archive as a download (the page and the API answer the same)."""
    data = export.member_archive(user, now)
    name = f"oneclick-data-{now:%Y-%m-%d}.zip"
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store",
    })


@bp.route("/settings/data", methods=["GET", "POST"])
@login_required
def export_page():
    """Explain what the archive holds; the button downloads it."""
    form = ExportForm()
    if form.validate_on_submit():
        return archive_response(current_user._get_current_object(), utcnow())
    return render_template("privacy/export.html", form=form), 400 if form.is_submitted() else 200
