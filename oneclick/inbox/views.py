"""The public request form behind a link, and the owner's inbox, connections, blocks and notices."""

from __future__ import annotations

import csv
import io

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from .. import tokens
from ..clock import utcnow
from ..contacts import services as contacts
from ..errors import render_error
from ..extensions import csrf, limiter
from ..landing.sources import click_source
from ..links.services import count_arrival, resolve_token
from ..security import safe_next
from . import services
from .area import click_counted, mark_click_counted, remember_guest_request, request_area
from .forms import (
    NOTE_MAX,
    BlockForm,
    BulkForm,
    ConnectionsFilterForm,
    GuestConfirmForm,
    GuestRequestForm,
    InboxFilterForm,
    MemberRequestForm,
    NotifyForm,
)

bp = Blueprint("inbox", __name__)

#: Session key: the last outcome of sending (for the page after sending).
SENT_KEY = "oneclick.sent"

LINK_MESSAGES = {
    "not_found": "We couldn't find that link, so nothing was sent.",
    "replaced": "That link was replaced by a new one, so nothing was sent.",
    "paused": "That link is paused right now, so nothing was sent.",
    "expired": "That link has expired, so nothing was sent.",
    "full": "That link has received all the requests its owner allows, so nothing was sent.",
}


def _viewer():
    return current_user._get_current_object() if current_user.is_authenticated else None


def nav_badge() -> int:
    """Return the number of new pending requests for the signed-in member's nav badge."""
    if not current_user.is_authenticated:
        return 0
    return services.new_request_count(current_user.id, current_user.requests_seen_at)


@bp.app_context_processor
def _template_helpers():
    return {"request_area": request_area, "nav_badge": nav_badge, "BADGE_CAP": services.BADGE_CAP, "NOTE_MAX": NOTE_MAX}


# --- The visitor's request ---------------------------------------------------------------------------------


def _link_key() -> str:
    parsed = tokens.unsign_link((request.view_args or {}).get("token", ""))
    return "request-link:" + (parsed[0] if parsed else "invalid")


@bp.errorhandler(429)
def _too_many(error):
    body, status = render_error(
        429,
        "Please wait a little",
        "Many requests have been sent from here or through this link in a short time. "
        "Nothing was sent this time. Please try again in a while.",
    )
    headers = {"Retry-After": str(error.retry_after)} if getattr(error, "retry_after", None) else {}
    return body, status, headers


def _remember(link_public_id: str, result: services.SendResult) -> None:
    """Keep a member's outcome for the page after sending."""
    outcome = result.outcome
    session[SENT_KEY] = {
        "link": link_public_id,
        "outcome": outcome,
        "since": result.since.isoformat() if result.since and outcome != "sent" else None,
        "guest": False,
    }


def _remember_guest(link_public_id: str, owner_public_id: str | None, outcome: str = "check_inbox",
                    since=None) -> None:
    """Keep a guest's answer: the same for every address until its owner confirms from the mail."""
    session[SENT_KEY] = {"link": link_public_id, "outcome": outcome, "since": since.isoformat() if since else None,
                         "guest": True, "confirmed": outcome != "check_inbox"}
    if owner_public_id:
        remember_guest_request(owner_public_id, utcnow())


def _form_page(token: str, form, status: int, message: str | None = None):
    """Render the request form again with what the visitor typed, for errors and a lapsed CSRF token."""
    resolution = resolve_token(token, utcnow())
    if not resolution.ok:
        return render_error(404 if resolution.state == "not_found" else 410, message=LINK_MESSAGES[resolution.state])
    link = resolution.link
    if message:
        form.form_errors.append(message)
    area = request_area(link, token, form=form)
    body = render_template("landing/page.html", link=link, owner=link.owner, token=token, is_owner=False, area=area)
    return body, status, {"Cache-Control": "no-store"}


@bp.post("/c/<token>/request")
@limiter.limit(lambda: current_app.config["REQUEST_LIMIT_PER_IP"])
@limiter.limit(lambda: current_app.config["REQUEST_LIMIT_PER_LINK"], key_func=_link_key)
@csrf.exempt  # the form checks its own, longer-lived CSRF token and answers a lapsed one kindly
def send(token: str):
    """Send a connection request through a link: one button for members, a short form for guests."""
    viewer = _viewer()
    form = MemberRequestForm() if viewer is not None else GuestRequestForm()
    parsed = tokens.unsign_link(token)
    if parsed is not None and tokens.is_click_counted(request.form.get("counted"), parsed[0]):
        mark_click_counted()  # the page it was sent from counted the visit; a page shown again keeps the marker
    if not form.validate():
        if form.csrf_token.errors:
            form.csrf_token.errors = []
            return _form_page(
                token, form, 400,
                "This page was open for a long time, so for your safety nothing was sent yet. "
                "Please check the details below and press the button again.",
            )
        return _form_page(token, form, 200)
    if not click_counted() and not (viewer is None and form.is_bot()):
        # Arrived through the link without a counted visit (a browser the bot filter dropped): count it now, so
        # the funnel never shows more requests than clicks.
        source = click_source(None, None, request.user_agent.string)
        if count_arrival(token, viewer.id if viewer is not None else None, utcnow(), source):
            mark_click_counted()
    if viewer is None:
        return _send_as_guest(token, parsed, form)
    result = services.send_request(token, viewer, viewer.name, viewer.email, "", utcnow(),
                                   share_fields=form.share_fields())
    if result.outcome == "unavailable":
        flash(LINK_MESSAGES[result.link_state], "error")
        return redirect(url_for("landing.page", token=token))
    if result.outcome == "daily_cap":
        return render_error(
            429,
            "This link is busy today",
            f"{result.owner_name} has received a lot of requests through this link today. "
            "Nothing was sent. Please try again tomorrow.",
        )
    if result.outcome == "own_link":
        flash("This is your own link: visitors see a request form here.", "info")
        return redirect(url_for("landing.page", token=token))
    _remember(parsed[0], result)
    return redirect(url_for("inbox.sent", token=token))


def _send_as_guest(token: str, parsed, form):
    """Keep a guest's request unconfirmed and mail the confirmation link; every address gets the same answer."""
    if form.is_bot():
        # Answer a bot exactly like a person, and store nothing.
        if parsed:
            _remember_guest(parsed[0], None)
        return redirect(url_for("inbox.sent", token=token))
    started = services.start_guest_request(token, form.name.data, form.email.data, form.note.data or "", utcnow(),
                                           shared_card=contacts.guest_card(form.organisation.data, form.phone.data))
    if started.outcome == "unavailable":
        flash(LINK_MESSAGES[started.link_state], "error")
        return redirect(url_for("landing.page", token=token))
    if started.outcome == "own_address":
        form.email.errors = [*form.email.errors, "Enter your own email address, not the one of the person you're "
                             "contacting."]
        return _form_page(token, form, 200)
    _remember_guest(parsed[0], started.owner_public_id)
    return redirect(url_for("inbox.sent", token=token))


@bp.get("/c/<token>/sent")
def sent(token: str):
    """Confirm what happened to the visitor's request (the GET after the POST)."""
    parsed = tokens.unsign_link(token)
    info = session.get(SENT_KEY) or {}
    if parsed is None or info.get("link") != parsed[0]:
        return redirect(url_for("landing.page", token=token))
    resolution = resolve_token(token, utcnow())
    if resolution.link is None:
        abort(404)
    owner = resolution.link.owner
    body = render_template("inbox/sent.html", owner=owner, token=token, info=info)
    return body, 200, {"Cache-Control": "no-store"}


# --- A guest confirms their address (double opt-in) ---------------------------------------------------------

CONFIRM_PAGES = {
    "bad": (404, "We couldn't find this confirmation link",
            "The address may be incomplete. Copy the whole link from the email, or send your request again."),
    "expired": (410, "This confirmation link has expired",
                "Nothing was sent. Open the person's link again and send your request once more."),
    "gone": (410, "This confirmation link is no longer valid",
             "It expired, or a newer email replaced it. Use the newest email, or send your request again."),
    "used": (410, "This request is confirmed already",
             "You clicked this link before, so there's nothing more to do."),
}


def _confirm_state_page(state: str):
    status, title, message = CONFIRM_PAGES[state]
    body, status = render_error(status, title, message)
    return body, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@bp.route("/requests/confirm/<token>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own, longer-lived CSRF token and answers a lapsed one kindly
def confirm(token: str):
    """Show a guest what they are confirming; on the button, confirm the address and place the request."""
    state, public_id = tokens.unsign_guest_confirmation(token, current_app.config["GUEST_CONFIRM_MAX_AGE"])
    if state != "ok":
        return _confirm_state_page(state)
    form = GuestConfirmForm()
    lapsed = False
    if request.method == "POST":
        if form.validate():
            return _confirmed(services.confirm_guest_request(public_id, utcnow()))
        lapsed = True
    pending = services.guest_confirmation(public_id)
    if pending.state != "ok":
        return _confirm_state_page(pending.state)
    body = render_template("inbox/confirm.html", pending=pending, form=form, lapsed=lapsed)
    return body, 400 if lapsed else 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _confirmed(result: services.ConfirmResult):
    """Answer a confirmation: the address's owner (who clicked the mailed link) may learn what it did."""
    if result.state != "ok":
        return _confirm_state_page(result.state)
    sent = result.request
    if sent.outcome == "unavailable":
        status = 404 if sent.link_state == "not_found" else 410
        return render_error(status, "Nothing was sent", LINK_MESSAGES[sent.link_state])
    if sent.outcome == "daily_cap":
        return render_error(
            429, "This link is busy today",
            f"{sent.owner_name} has received a lot of requests through this link today. Nothing was sent yet: "
            "open the link in your email again tomorrow (it works for two days).",
        )
    since = sent.since if sent.outcome == "already_pending" else None
    _remember_guest(result.link_public_id, sent.owner_public_id, outcome=sent.outcome, since=since)
    return redirect(url_for("inbox.sent", token=result.link_token))


# --- The owner's inbox -----------------------------------------------------------------------------------


def _owner():
    return current_user._get_current_object()


@bp.get("/requests")
@login_required
def inbox():
    """List the owner's requests by tab, link and search, newest first, with bulk actions."""
    filters = InboxFilterForm(formdata=request.args)
    if not filters.validate():
        flash("That filter wasn't valid, so it was reset.", "warning")
        return redirect(url_for("inbox.inbox"))
    owner = _owner()
    status = filters.status.data or "pending"
    page = services.inbox(
        owner, status, utcnow(), link_public_id=filters.link.data or None, search=filters.q.data or None,
        cursor=filters.after.data or None,
    )
    filters.link.choices = [SelectChoice("", "All links"), *(SelectChoice(v, label) for v, label in page.links)]
    bulk = BulkForm(formdata=None, next=request.full_path)
    return render_template("inbox/inbox.html", page=page, filters=filters, status=status, bulk=bulk)


def _back(form: BulkForm | None = None) -> str:
    target = form.next.data if form is not None else request.form.get("next")
    return safe_next(target, url_for("inbox.inbox"))


@bp.post("/requests/bulk")
@login_required
def bulk():
    """Accept, decline, or decline and block the checked requests; other owners' ids are ignored."""
    form = BulkForm()
    if not form.validate():
        flash("Choose what to do with the selected requests.", "error")
        return redirect(_back(form))
    done = services.decide_requests(_owner(), form.ids.data or [], form.action.data, utcnow())
    if not done:
        flash("Nothing changed: select at least one pending request.", "info")
    else:
        verb = {"accept": "Accepted", "decline": "Declined", "block": "Declined and blocked"}[form.action.data]
        flash(f"{verb} {done} request{'s' if done != 1 else ''}.", "success")
    return redirect(_back(form))


@bp.post("/requests/<int:request_id>/<any(accept, decline, block):action>")
@login_required
def decide(request_id: int, action: str):
    """Accept, decline, or decline and block one of the owner's requests."""
    changed = services.decide_request(_owner(), request_id, action, utcnow())
    if changed is None:
        abort(404)
    if changed:
        flash(
            {"accept": "Accepted: you're now connected.", "decline": "Declined. They aren't told.",
             "block": "Declined and blocked. They aren't told."}[action],
            "success",
        )
    else:
        flash("That request was already answered.", "info")
    return redirect(_back())


# --- Connections and exports ---------------------------------------------------------------------------------


@bp.get("/connections")
@login_required
def connections():
    """List the owner's connections with search, where each came from, and removal."""
    filters = ConnectionsFilterForm(formdata=request.args)
    if not filters.validate():
        flash("That filter wasn't valid, so it was reset.", "warning")
        return redirect(url_for("inbox.connections"))
    page = services.connections(
        _owner(), search=filters.q.data or None, source=filters.source.data or None, cursor=filters.after.data or None
    )
    confirm = BulkForm(formdata=None, next=request.full_path)
    return render_template("inbox/connections.html", page=page, filters=filters, confirm=confirm)


@bp.post("/connections/<int:connection_id>/remove")
@login_required
def remove_connection(connection_id: int):
    """Remove one of the owner's connections."""
    if not services.remove_connection(_owner(), connection_id):
        abort(404)
    flash("Connection removed.", "success")
    return redirect(_back())


def _csv_response(rows, filename: str) -> Response:
    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/connections/export.csv")
@login_required
def export_connections():
    """Download the owner's connections as CSV."""
    return _csv_response(services.export_connections(_owner()), "oneclick-connections.csv")


@bp.get("/requests/export.csv")
@login_required
def export_requests():
    """Download the owner's requests (every status) as CSV."""
    return _csv_response(services.export_requests(_owner()), "oneclick-requests.csv")


# --- Settings: blocks and notifications -------------------------------------------------------------------


@bp.route("/settings/blocked", methods=["GET", "POST"])
@login_required
def blocked():
    """Show and add to the owner's block list."""
    owner = _owner()
    form = BlockForm()
    if form.validate_on_submit():
        services.block_email(owner, form.email.data, utcnow())
        flash(f"{form.email.data} can no longer send you requests.", "success")
        return redirect(url_for("inbox.blocked"))
    confirm = BulkForm(formdata=None)
    return render_template("inbox/blocked.html", form=form, blocks=services.blocks(owner), confirm=confirm)


@bp.post("/settings/blocked/<int:block_id>/delete")
@login_required
def unblock(block_id: int):
    """Lift one of the owner's blocks."""
    if not services.unblock(_owner(), block_id):
        abort(404)
    flash("Unblocked.", "success")
    return redirect(url_for("inbox.blocked"))


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    """Choose how new requests are announced by email: never, at once, or in a daily digest."""
    owner = _owner()
    form = NotifyForm(obj=owner)
    if form.validate_on_submit():
        services.set_notify_mode(owner, form.notify_mode.data)
        flash("Notification settings saved.", "success")
        return redirect(url_for("inbox.notifications"))
    return render_template("inbox/notifications.html", form=form)
