"""Contact card pages: the card in Settings, its photo, a connection's page and the .vcf downloads."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from ..clock import utcnow
from ..errors import render_error
from ..extensions import csrf
from ..links.services import resolve_token
from . import fields, photos, services, vcard
from .forms import CardForm, PhotoDeleteForm, PhotoForm

bp = Blueprint("contacts", __name__)

_ETAG_RE = re.compile(r"^[0-9a-f]{16}$")


def _me():
    return current_user._get_current_object()


def share_back_choices() -> list[tuple[str, str, str, bool]]:
    """The signed-in member's filled card fields for the request box: (key, label, value, ticked by default)."""
    me = _me()
    values = services.member_values(me)
    # (Their account email goes with every request already.)
    return [(k, fields.LABELS[k], values[k], k in fields.DEFAULT_SHARE_BACK) for k in services.filled_keys(me)
            if k != "email"]


@bp.app_context_processor
def _template_helpers():
    return {"card_photo_url": services.photo_url, "share_back_choices": share_back_choices}


def _size_text(size: int) -> str:
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def _card_page(form, photo_form, status: int = 200):
    me = _me()
    body = render_template("contacts/card.html", form=form, photo_form=photo_form,
                           delete_form=PhotoDeleteForm(formdata=None),
                           photo_src=services.photo_url(me.public_id, me.photo_etag),
                           max_size=_size_text(current_app.config["CARD_PHOTO_MAX_BYTES"]))
    return body, status


@bp.route("/settings/card", methods=["GET", "POST"])
@login_required
def card():
    """Edit the contact card people receive when you accept them (the fields each link shares)."""
    me = _me()
    form = CardForm(obj=services.get_card(me))
    if form.validate_on_submit():
        services.save_card(me, {column: getattr(form, column).data for column in services.CARD_COLUMNS})
        flash("Contact card saved.", "success")
        return redirect(url_for("contacts.card"))
    return _card_page(form, PhotoForm(formdata=None))


@bp.post("/settings/card/photo")
@login_required
@csrf.exempt  # PhotoForm checks the token itself, after raising the body limit for this upload only
def upload_photo():
    """Take a photo for the card: checked, cropped to a square, re-encoded; refused with a message otherwise."""
    me = _me()
    cap = int(current_app.config["CARD_PHOTO_MAX_BYTES"])
    too_big = f"That file is larger than {_size_text(cap)}. Choose a smaller photo."
    photo_form = PhotoForm(formdata=None)
    if request.content_length is not None and request.content_length > cap + 64 * 1024:
        photo_form.photo.errors = [too_big]
        return _card_page(CardForm(obj=services.get_card(me), formdata=None), photo_form, 413)
    request.max_content_length = cap + 64 * 1024  # the form's other fields and multipart framing
    try:
        photo_form = PhotoForm()
        valid = photo_form.validate_on_submit()
    except RequestEntityTooLarge:
        photo_form = PhotoForm(formdata=None)
        photo_form.photo.errors = [too_big]
        return _card_page(CardForm(obj=services.get_card(me), formdata=None), photo_form, 413)
    if not valid:
        if photo_form.csrf_token.errors:
            abort(400)
        return _card_page(CardForm(obj=services.get_card(me), formdata=None), photo_form, 400)
    upload = photo_form.photo.data
    data = upload.read(cap + 1) if upload else b""
    if len(data) > cap:
        photo_form.photo.errors = [too_big]
        return _card_page(CardForm(obj=services.get_card(me), formdata=None), photo_form, 413)
    try:
        services.set_photo(me, data, int(current_app.config["CARD_PHOTO_MAX_PIXELS"]))
    except photos.PhotoError as exc:
        photo_form.photo.errors = [str(exc)]
        return _card_page(CardForm(obj=services.get_card(me), formdata=None), photo_form, 400)
    flash("Photo saved. Your links' pages show it now.", "success")
    return redirect(url_for("contacts.card"))


@bp.post("/settings/card/photo/delete")
@login_required
def delete_photo():
    """Remove the card's photo."""
    if not PhotoDeleteForm().validate_on_submit():
        abort(400)
    services.delete_photo(_me())
    flash("Photo removed.", "success")
    return redirect(url_for("contacts.card"))


@bp.get("/people/<public_id>/photo/<etag>.jpg")
def photo(public_id: str, etag: str):
    """Serve a member's card photo (public, like their name on a link's page); its URL carries its version."""
    if len(public_id) > 16 or not _ETAG_RE.match(etag):
        abort(404)
    if etag in request.if_none_match:
        jpeg = b""
    else:
        jpeg = services.photo(public_id, etag)
        if jpeg is None:
            abort(404)
    response = make_response(jpeg, 304 if not jpeg else 200)
    response.mimetype = "image/jpeg"
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Connections ------------------------------------------------------------------------------------------


def _vcf(text: str, filename: str):
    response = make_response(text)
    response.mimetype = "text/vcard"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _filename(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower().encode("ascii", "ignore").decode()).strip("-")[:40]
    return (slug or "contact") + ".vcf"


@bp.get("/connections/<int:connection_id>")
@login_required
def connection(connection_id: int):
    """Show one connection and the card fields they share with you (only ever after acceptance)."""
    found = services.connection_card(_me(), connection_id)
    if found is None:
        abort(404)
    return render_template("contacts/connection.html", connection=found)


@bp.get("/connections/<int:connection_id>.vcf")
@login_required
def connection_vcf(connection_id: int):
    """Download what one connection shares with you as a vCard 4.0."""
    found = services.connection_card(_me(), connection_id)
    if found is None:
        abort(404)
    values = found.shared.values
    values.setdefault("name", found.name)
    return _vcf(vcard.serialize([values]), _filename(found.name))


@bp.get("/connections/all.vcf")
@login_required
def all_vcf():
    """Download every connection's shared card as one .vcf file."""
    return _vcf(vcard.serialize(list(services.all_connection_cards(_me()))), "oneclick-connections.vcf")


@bp.get("/c/<token>/contact.vcf")
def save_contact(token: str):
    """"Save contact" on a link's page: only the fields its owner marked public for this link."""
    resolution = resolve_token(token, utcnow())
    link = resolution.link
    if resolution.state != "ok" or not link.public_fields:
        # The same answers as the link's page: gone for a closed link, not found otherwise (no card offered).
        status = 404 if resolution.state in ("ok", "not_found") else 410
        body, status = render_error(status, "No contact to save here",
                                    "This link doesn't offer a contact card, or it no longer works.")
        return body, status, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}
    shared = services.public_card(link)
    response = _vcf(vcard.serialize([shared.values]), _filename(link.owner.name))
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
