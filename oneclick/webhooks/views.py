"""Settings → Webhooks: a member's endpoints, their delivery logs, test events and redeliveries."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..clock import utcnow
from . import services
from .forms import EVENT_HELP, ActionForm, EndpointForm

bp = Blueprint("webhooks", __name__)


def _me():
    return current_user._get_current_object()


def _no_store(html: str):
    response = current_app.make_response(html)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _refuse(form: EndpointForm, exc: Exception) -> None:
    if isinstance(exc, services.EndpointLimitReached):
        limit = current_app.config["WEBHOOK_ENDPOINTS_MAX_PER_USER"]
        form.form_errors.append(f"You already have {limit} endpoints, the most allowed. Delete one you don't use.")
    else:
        getattr(form, exc.field).errors = [str(exc)]


@bp.route("/settings/webhooks", methods=["GET", "POST"])
@login_required
def index():
    """List the member's endpoints and add one; a new endpoint's secret is shown once, on this response only."""
    form = EndpointForm()
    created = None
    if form.validate_on_submit():
        try:
            created = services.create_endpoint(_me(), form.url.data, form.events.data, utcnow())
        except (services.BadEndpoint, services.EndpointLimitReached) as exc:
            _refuse(form, exc)
        else:
            form = EndpointForm(formdata=None)
    # Not a redirect after a create: the secret must not travel through the (signed, unencrypted) session.
    return _no_store(render_template("webhooks/index.html", form=form, created=created,
                                     endpoints=services.endpoints(_me()), event_help=EVENT_HELP))


def _detail(endpoint_id: int, secret: str | None = None, form: EndpointForm | None = None):
    endpoint = services.get_endpoint(_me(), endpoint_id)
    if endpoint is None:
        abort(404)
    if form is None:
        form = EndpointForm(formdata=None, url=endpoint.url, events=endpoint.events.split(","))
    form.submit.label.text = "Save changes"
    return _no_store(render_template(
        "webhooks/detail.html", endpoint=endpoint, form=form, action=ActionForm(), secret=secret,
        deliveries=services.deliveries(_me(), endpoint_id) or [], event_help=EVENT_HELP,
    ))


@bp.get("/settings/webhooks/<int:endpoint_id>")
@login_required
def detail(endpoint_id: int):
    """One endpoint: its settings, secret rotation, the test event button and its delivery log."""
    return _detail(endpoint_id)


@bp.post("/settings/webhooks/<int:endpoint_id>")
@login_required
def edit(endpoint_id: int):
    form = EndpointForm()
    if services.get_endpoint(_me(), endpoint_id) is None:
        abort(404)
    if form.validate_on_submit():
        try:
            services.update_endpoint(_me(), endpoint_id, utcnow(), url=form.url.data, events=form.events.data)
        except services.BadEndpoint as exc:
            _refuse(form, exc)
        else:
            flash("Endpoint saved.", "success")
            return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))
    return _detail(endpoint_id, form=form), 400


def _action_ok() -> bool:
    return ActionForm().validate_on_submit()


@bp.post("/settings/webhooks/<int:endpoint_id>/rotate")
@login_required
def rotate(endpoint_id: int):
    """Give the endpoint a new secret, shown once on this response."""
    if not _action_ok():
        abort(400)
    secret = services.rotate_secret(_me(), endpoint_id)
    if secret is None:
        abort(404)
    return _detail(endpoint_id, secret=secret)


@bp.post("/settings/webhooks/<int:endpoint_id>/test")
@login_required
def test(endpoint_id: int):
    if not _action_ok():
        abort(400)
    try:
        sent = services.send_test(_me(), endpoint_id, utcnow())
    except services.EndpointDisabled:
        flash("Enable the endpoint first.", "error")
        return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))
    if sent is None:
        abort(404)
    flash("Test event queued: its delivery shows in the log below.", "success")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))


@bp.post("/settings/webhooks/<int:endpoint_id>/state")
@login_required
def toggle(endpoint_id: int):
    """Enable a disabled endpoint (its failure window starts afresh) or disable it."""
    if not _action_ok():
        abort(400)
    endpoint = services.get_endpoint(_me(), endpoint_id)
    if endpoint is None:
        abort(404)
    services.update_endpoint(_me(), endpoint_id, utcnow(), active=not endpoint.active)
    flash("Endpoint enabled." if not endpoint.active else "Endpoint disabled.", "success")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))


@bp.post("/settings/webhooks/<int:endpoint_id>/delete")
@login_required
def delete(endpoint_id: int):
    if not _action_ok():
        abort(400)
    if not services.delete_endpoint(_me(), endpoint_id):
        abort(404)
    flash("Endpoint deleted with its delivery log.", "success")
    return redirect(url_for("webhooks.index"))


@bp.post("/settings/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver")
@login_required
def redeliver(endpoint_id: int, delivery_id: int):
    if not _action_ok():
        abort(400)
    try:
        row = services.redeliver(_me(), endpoint_id, delivery_id, utcnow())
    except services.EndpointDisabled:
        flash("Enable the endpoint first.", "error")
        return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))
    except services.DeliveryBusy:
        flash("That delivery is being sent right now.", "error")
        return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))
    if row is None:
        abort(404)
    flash("Delivery queued again, with the same webhook-id.", "success")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))
