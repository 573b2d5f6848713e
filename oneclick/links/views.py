"""The owner's link pages: overview with the funnel, create, edit, pause, rotate, delete, QR codes, snippets."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import qr
from ..clock import utcnow
from . import charts, rules, services, snippets, zones
from .forms import (
    ActionForm,
    LinkForm,
    SnippetOptionsForm,
    VanityForm,
    date_from_expiry,
    handle_path,
)
from .services import CHANNEL_NAMES

bp = Blueprint("links", __name__, url_prefix="/links")

STATE_LABELS = {"ok": "Active", "paused": "Paused", "expired": "Expired", "full": "Limit reached"}
SIGNATURE_QR = {"size": 144, "border": 2}
PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' {public} data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


def _owner():
    return current_user._get_current_object()


def _zone():
    """Return the owner's time zone, as their browser said it (the ``tz`` cookie links.js sets), else UTC."""
    return zones.zone_named(request.cookies.get(zones.COOKIE)) or UTC


def _link_form(link=None) -> LinkForm:
    owner = _owner()
    return LinkForm(handle=owner.handle, zone=_zone(), link=link)


def _form_page(form: LinkForm, link):
    return render_template("links/form.html", form=form, link=link, handle_path=handle_path(_owner().handle),
                           vanity_enabled=_owner().vanity_enabled)


@bp.get("")
@login_required
def index():
    """List the owner's links with the clicks → requests → accepted funnel."""
    overview = services.links_overview(_owner(), utcnow())
    zone = _zone()
    return render_template(
        "links/index.html",
        overview=overview,
        action_form=ActionForm(),
        vanity_form=VanityForm(),
        state_labels=STATE_LABELS,
        channel_names=CHANNEL_NAMES,
        show_time=lambda moment: zones.show(moment, zone),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    """Create a link."""
    form = _link_form()
    if form.validate_on_submit():
        changes = form.changes()
        try:
            link = services.create_link(_owner(), services.LinkFields(**changes))
        except services.LinkLimitReached:
            limit = current_app.config["LINKS_MAX_PER_OWNER"]
            form.form_errors.append(f"You already have {limit} links, the most allowed. Delete one you no longer use.")
        except services.SlugTaken:
            form.slug.errors.append(rules.MESSAGES["taken"])
        else:
            flash("Link created. Copy it, download its QR code or grab a snippet below.", "success")
            return redirect(url_for("links.detail", link_id=link.id))
    return _form_page(form, None)


@bp.get("/<int:link_id>")
@login_required
def detail(link_id: int):
    """Show one link: its URL, statistics, 30-day chart, QR codes and snippets."""
    info = services.link_detail(_owner(), link_id, utcnow())
    if info is None:
        abort(404)
    qr_error = None
    try:
        qr_options = qr.parse_options(
            {k: request.args.get(f"qr_{k}") for k in ("size", "ecc", "border") if request.args.get(f"qr_{k}")}
        )
    except qr.QrOptionError as exc:
        qr_error, qr_options = str(exc), qr.QrOptions()
    snippet_form, snippet_set, preview_args = _snippets(info)
    return render_template(
        "links/detail.html",
        info=info,
        link=info.link,
        last_day=date_from_expiry(info.link.expires_at),
        expires_shown=zones.show(info.link.expires_at, _zone()),
        share_qr=lambda fmt, **options: services.share_qr_src(info.link, fmt, **options),
        chart=charts.bar_chart(info.daily),
        qr_options=qr_options,
        qr_error=qr_error,
        qr_limits=qr,
        snippet_form=snippet_form,
        snippets=snippet_set,
        preview_args=preview_args,
        action_form=ActionForm(),
        state_labels=STATE_LABELS,
        channel_names=CHANNEL_NAMES,
    )


def _snippets(info: services.LinkDetail):
    """Return the snippet options form (from the query string), the snippets and the preview arguments."""
    form = SnippetOptionsForm(formdata=request.args if request.args else None)
    text = form.text.data if form.validate() else ""
    include_qr = bool(form.qr.data)
    qr_png = None
    if include_qr:
        qr_png = services.share_qr_src(info.link, "png", external=True, **SIGNATURE_QR)
    built = snippets.build(info.share_url, _owner().name, text or "", qr_png)
    args = {"text": text or "", "qr": "y" if include_qr else ""}
    return form, built, {k: v for k, v in args.items() if v}


@bp.get("/<int:link_id>/preview/<any(signature, button):kind>")
@login_required
def preview(link_id: int, kind: str):
    """Render a snippet as a mail client would, for the sandboxed preview frame."""
    info = services.link_detail(_owner(), link_id, utcnow())
    if info is None:
        abort(404)
    _, built, _ = _snippets(info)
    html = built.signature_html if kind == "signature" else built.button_html
    response = make_response(snippets.preview_document(html))
    response.headers["Content-Security-Policy"] = PREVIEW_CSP.format(public=current_app.config["PUBLIC_URL"])
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:link_id>/edit", methods=["GET", "POST"])
@login_required
def edit(link_id: int):
    """Change a link's label, channel, message, expiry, request limit, auto-accept and stable path."""
    link = services.get_owned_link(_owner(), link_id)
    if link is None:
        abort(404)
    form = _link_form(link)
    if form.validate_on_submit():
        try:
            saved = services.save_link(_owner(), link_id, form.changes())
        except services.SlugTaken:
            form.slug.errors.append(rules.MESSAGES["taken"])
        else:
            if not saved:
                abort(404)
            flash("Link saved.", "success")
            return redirect(url_for("links.detail", link_id=link_id))
    if request.method == "GET":
        form.fill_from(link)
    return _form_page(form, link)


@bp.post("/<int:link_id>/pause")
@login_required
def pause(link_id: int):
    """Pause a link: visitors see that it's paused until it is resumed."""
    return _toggle(link_id, False, "Link paused. Visitors now see that it isn't taking requests.")


@bp.post("/<int:link_id>/resume")
@login_required
def resume(link_id: int):
    """Resume a paused link."""
    return _toggle(link_id, True, "Link resumed.")


def _toggle(link_id: int, active: bool, message: str):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if not services.set_active(_owner(), link_id, active):
        abort(404)
    flash(message, "success")
    return redirect(url_for("links.detail", link_id=link_id))


@bp.route("/<int:link_id>/rotate", methods=["GET", "POST"])
@login_required
def rotate(link_id: int):
    """Replace a link's URL with a new one; the old URL then says it was replaced (confirm first)."""
    link = services.get_owned_link(_owner(), link_id)
    if link is None:
        abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        if not services.rotate_link(_owner(), link_id):
            abort(404)
        flash("The link has a new URL. The old one now tells visitors it was replaced.", "success")
        return redirect(url_for("links.detail", link_id=link_id))
    return render_template("links/confirm.html", link=link, form=form, action="rotate")


@bp.post("/<int:link_id>/primary")
@login_required
def make_primary(link_id: int):
    """Make this the link your /@handle address leads to."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if not services.set_primary(_owner(), link_id):
        abort(404)
    flash("This is now your primary link: your /@handle address leads here.", "success")
    return redirect(url_for("links.detail", link_id=link_id))


@bp.route("/<int:link_id>/delete", methods=["GET", "POST"])
@login_required
def delete(link_id: int):
    """Delete a link and its statistics (confirm first)."""
    link = services.get_owned_link(_owner(), link_id)
    if link is None:
        abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        if not services.delete_link(_owner(), link_id):
            abort(404)
        flash("Link deleted. Its URL and QR codes no longer work.", "success")
        return redirect(url_for("links.index"))
    return render_template("links/confirm.html", link=link, form=form, action="delete")


@bp.post("/vanity")
@login_required
def vanity():
    """Switch the /@handle address on or off."""
    form = VanityForm()
    if not form.validate_on_submit():
        abort(400)
    enabled = form.enabled.data == "1"
    services.set_vanity(_owner(), enabled)
    flash("Your /@handle address is on." if enabled else "Your /@handle address is off.", "success")
    return redirect(url_for("links.index"))
