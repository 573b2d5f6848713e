"""The support console: member search, per-member invitation report, the request queue, and actions.

Only admins see it. Anyone else who is signed in gets a plain 404, so the console's existence isn't revealed;
anonymous visitors are sent to sign in like everywhere else.
The same actions are command-line commands (cli.py): ``flask --app oneclick support grant|lift|label|unlabel|show``.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..clock import utcnow
from ..forms import ConfirmForm
from . import services
from .forms import GrantForm, MemberSearchForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    if not current_user.is_admin:
        abort(404)


def _me():
    return current_user._get_current_object()


def _member_or_404(public_id: str):
    member = services.find_member(public_id)
    if member is None:
        abort(404)
    return member


@bp.get("/")
def index():
    """Search members and work through the queue of requests."""
    form = MemberSearchForm(request.args)
    q = (form.q.data or "").strip() if form.validate() else ""
    return render_template(
        "admin/index.html",
        form=form,
        q=q,
        members=services.member_list(q),
        queue=services.open_tickets(utcnow()),
        confirm=ConfirmForm(),
    )


@bp.get("/members/<public_id>")
def member(public_id: str):
    """Show one member's allotment, sending, declines, restrictions, label, grants and audit trail."""
    report = services.member_report(_member_or_404(public_id), utcnow())
    grant_form = GrantForm(formdata=None, amount=None)
    grant_form.set_bounds()
    return render_template("admin/member.html", report=report, grant_form=grant_form, explain=services.explain)


def _done(decision, success: str, public_id: str):
    if decision.allowed:
        flash(success, "success")
    else:
        flash(f"Refused: {services.explain(decision)}", "error")
    return redirect(url_for("admin.member", public_id=public_id))


@bp.post("/members/<public_id>/grant")
def grant(public_id: str):
    """Grant more invitations to a member."""
    member = _member_or_404(public_id)
    form = GrantForm()
    if not form.validate_on_submit():
        flash("Refused: " + " ".join(form.amount.errors or ["Enter a whole number."]), "error")
        return redirect(url_for("admin.member", public_id=public_id))
    decision = services.grant(_me(), member, form.amount.data, utcnow())
    return _done(decision, f"Granted {form.amount.data} invitations to {member.name}.", public_id)


@bp.post("/members/<public_id>/lift")
def lift(public_id: str):
    """Lift a member's restriction."""
    member = _member_or_404(public_id)
    return _done(services.lift(_me(), member, utcnow()), f"Lifted {member.name}'s restriction.", public_id)


@bp.post("/members/<public_id>/label")
def label(public_id: str):
    """Label a member a spammer."""
    member = _member_or_404(public_id)
    return _done(services.label(_me(), member, utcnow()), f"{member.name} is labelled a spammer.", public_id)


@bp.post("/members/<public_id>/unlabel")
def unlabel(public_id: str):
    """Remove a member's spammer label."""
    member = _member_or_404(public_id)
    return _done(services.unlabel(_me(), member, utcnow()), f"{member.name}'s spammer label is removed.", public_id)


@bp.post("/requests/<public_id>/refuse")
def refuse(public_id: str):
    """Close a member's request without acting on it."""
    decision = services.refuse_ticket(_me(), public_id, utcnow())
    if decision is None:
        abort(404)
    ok = decision.allowed
    flash("Request closed." if ok else services.explain(decision), "success" if ok else "error")
    return redirect(url_for("admin.index"))


@bp.get("/mail")
def mail():
    """Mails the queue gave up on (with the last error), and how many still wait to be sent."""
    return render_template("admin/mail.html", report=services.mail_queue_report())


@bp.post("/mail/<int:mail_id>/retry")
def retry_mail(mail_id: int):
    """Put a failed mail back in the queue."""
    if services.retry_mail(_me(), mail_id, utcnow()):
        flash("The mail is queued again.", "success")
    else:
        flash("That mail is not waiting for a retry (already sent, retried, or gone).", "error")
    return redirect(url_for("admin.mail"))
