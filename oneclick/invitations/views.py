"""The member's invitation pages: find and invite, sent, received, restriction and requests to support."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..clock import utcnow
from ..extensions import limiter
from . import captcha as captchas
from . import rules, services
from .forms import EmailInviteForm, InviteForm, LiftForm, MoreInvitationsForm, SearchForm, SupportRequestForm
from .rules import RecipientAction

bp = Blueprint("invitations", __name__, url_prefix="/invitations")


def _member_key() -> str:
    """Rate-limit per signed-in member (falling back to the address for anonymous requests)."""
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return f"ip:{request.remote_addr}"


def _no_captcha_answer() -> bool:
    """Only posts that try a captcha count against CAPTCHA_LIMIT (the API counts into the same bucket)."""
    return request.method != "POST" or not (request.form.get("captcha_answer") or request.form.get("captcha_id"))


# The same scopes and keys as oneclick/api/invitations.py: one bucket per member, whichever door they use.
captcha_limit = limiter.shared_limit(
    lambda: current_app.config["CAPTCHA_LIMIT"], scope="captcha", key_func=_member_key, exempt_when=_no_captcha_answer
)
captcha_media_limit = limiter.shared_limit(
    lambda: current_app.config["CAPTCHA_LIMIT"], scope="captcha-media", key_func=_member_key
)
send_limit = limiter.limit(
    lambda: current_app.config["INVITE_SEND_LIMIT"], key_func=_member_key, methods=["POST"]
)


def _me():
    return current_user._get_current_object()


@bp.get("")
@login_required
def overview():
    """Show the member's invitation meters, any restriction and where to go next."""
    me = _me()
    now = utcnow()
    return render_template(
        "invitations/overview.html",
        invite_quota=services.quota_summary(me, now),
        waiting=services.pending_received_count(me),
        search=SearchForm(formdata=None),
    )


@bp.get("/find")
@login_required
def find():
    """Search members by name or handle."""
    form = SearchForm(request.args)
    q = form.q.data if form.validate() else ""
    results = services.search_members(_me(), q or "")
    return render_template("invitations/find.html", form=form, q=q, results=results)


def _apply_refusal(form: InviteForm, decision) -> None:
    text = services.explain(decision)
    if decision.reason in ("email_required", "email_mismatch"):
        form.email.errors = [*form.email.errors, text]
    elif decision.reason in ("captcha_required", "captcha_wrong"):
        form.captcha_answer.errors = [*form.captcha_answer.errors, text]
    elif decision.reason in ("relationship_unknown", "relationship_invalid"):
        form.how_known.errors = [*form.how_known.errors, text]
    else:
        form.form_errors.append(text)


@bp.route("/invite/<public_id>", methods=["GET", "POST"])
@login_required
@send_limit
@captcha_limit
def invite(public_id: str):
    """Invite a member: how you know them, a personal note, and the email or captcha when the rules need them."""
    me = _me()
    member = services.find_member(public_id)
    if member is None:
        abort(404)
    form = InviteForm()
    form.set_name(member.name)
    if form.validate_on_submit():
        result = services.send_invitation(
            me, utcnow(), member=member, email=form.email.data or None, how_known=form.how_known.data,
            message=form.message.data or "", captcha_id=form.captcha_id.data, captcha_answer=form.captcha_answer.data,
        )
        if result.invitation is not None:
            flash(f"Invitation sent to {member.name}.", "success")
            return redirect(url_for("invitations.sent"))
        _apply_refusal(form, result.decision)
    return _invite_page("invitations/invite.html", me, member, form)


def _invite_page(template: str, me, member, form):
    """Render an invite form with what the rules ask of this invitation (captcha, email) right now."""
    screen = services.invite_screen(me, member, utcnow(), request.args.get("captcha"))
    if screen.captcha is not None:
        form.captcha_id.data = screen.captcha.id
        form.captcha_answer.data = ""
    return render_template(template, form=form, member=member, screen=screen,
                           reason_text=services.explain(screen.decision))


@bp.route("/invite-by-email", methods=["GET", "POST"])
@login_required
@send_limit
@captcha_limit
def invite_by_email():
    """Invite someone who may not be a member yet; they find the invitation waiting when they join."""
    me = _me()
    form = EmailInviteForm()
    form.set_name((form.name.data or "").strip() or "them")
    if form.validate_on_submit():
        result = services.send_invitation(
            me, utcnow(), email=form.email.data, name=form.name.data or "", how_known=form.how_known.data,
            message=form.message.data or "", captcha_id=form.captcha_id.data, captcha_answer=form.captcha_answer.data,
        )
        if result.invitation is not None:
            flash(f"Invitation sent to {result.invitation.recipient_email}.", "success")
            return redirect(url_for("invitations.sent"))
        _apply_refusal(form, result.decision)
    return _invite_page("invitations/invite_email.html", me, None, form)


@bp.get("/captcha/<captcha_id>.<ext>")
@login_required
@captcha_media_limit
def captcha_media(captcha_id: str, ext: str):
    """Serve the member's own captcha image (png) or audio (wav)."""
    row = captchas.challenge(current_user.id, captcha_id, utcnow())
    wanted = {"png": "image", "wav": "audio"}.get(ext)
    if row is None or row.kind != wanted:
        abort(404)
    response = current_app.response_class(row.challenge, mimetype=captchas.KINDS[row.kind])
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/sent")
@login_required
def sent():
    """List sent invitations with what can still be done with each; search by name."""
    form = SearchForm(request.args)
    q = form.q.data if form.validate() else ""
    page = request.args.get("page", 1, type=int) or 1
    listing = services.sent_invitations(_me(), utcnow(), q or "", page)
    return render_template("invitations/sent.html", form=form, q=q, listing=listing)


def _flash_decision(decision, success: str) -> None:
    if decision is None:
        abort(404)
    if decision.allowed:
        flash(success, "success")
    else:
        flash(services.explain(decision), "error")


def _back_to_sent():
    return redirect(url_for("invitations.sent", q=request.args.get("q") or None, page=request.args.get("page")))


@bp.post("/sent/<public_id>/withdraw")
@login_required
def withdraw(public_id: str):
    """Withdraw one invitation (the recipient isn't told; it isn't credited back)."""
    _flash_decision(services.withdraw(_me(), public_id, utcnow()), "Invitation withdrawn.")
    return _back_to_sent()


@bp.post("/sent/<public_id>/resend")
@login_required
def resend(public_id: str):
    """Send a pending invitation's email again (does not use an invitation)."""
    _flash_decision(services.resend(_me(), public_id, utcnow()), "Invitation resent.")
    return _back_to_sent()


@bp.post("/sent/<public_id>/delete")
@login_required
def delete(public_id: str):
    """Remove a withdrawn invitation from the list."""
    _flash_decision(services.delete_withdrawn(_me(), public_id), "Deleted from your list.")
    return _back_to_sent()


@bp.post("/sent/withdraw-stale")
@login_required
def withdraw_stale():
    """Withdraw every stale invitation in one go."""
    count = services.withdraw_stale(_me(), utcnow())
    flash(f"Withdrew {count} stale invitation{'s' if count != 1 else ''}." if count else "Nothing stale to withdraw.",
          "success" if count else "info")
    return redirect(url_for("invitations.sent"))


@bp.get("/received")
@login_required
def received():
    """List invitations waiting for an answer (or the archived ones)."""
    archived = request.args.get("show") == "archived"
    return render_template(
        "invitations/received.html",
        invitations=services.received_invitations(_me(), archived),
        archived=archived,
        actions_for=rules.recipient_actions,
        relationship_label=rules.relationship_label,
    )


RESPONSES = {
    RecipientAction.ACCEPT.value: "Accepted: you're now connected.",
    RecipientAction.IGNORE.value: "Archived. The sender isn't told.",
    RecipientAction.IDK.value: "Thanks: we've noted that you don't know the sender.",
    RecipientAction.SPAM.value: "Thanks for reporting it.",
}


@bp.post("/received/<public_id>/<action>")
@login_required
def respond(public_id: str, action: str):
    """Accept, archive, "I don't know" or report one invitation."""
    if action not in RESPONSES:
        abort(404)
    _flash_decision(services.respond(_me(), public_id, action, utcnow()), RESPONSES[action])
    return redirect(url_for("invitations.received", show=request.args.get("show") or None))


@bp.get("/restriction")
@login_required
def restriction():
    """Explain a restriction and how to lift it: alone the first time, through support later."""
    return render_template(
        "invitations/restriction.html",
        invite_quota=services.quota_summary(_me(), utcnow()),
        lift_form=LiftForm(),
        request_form=SupportRequestForm(),
    )


@bp.post("/restriction/lift")
@login_required
def lift():
    """Lift the member's first restriction after they agree to be careful."""
    form = LiftForm()
    if not form.validate_on_submit():
        return render_template(
            "invitations/restriction.html",
            invite_quota=services.quota_summary(_me(), utcnow()),
            lift_form=form,
            request_form=SupportRequestForm(formdata=None),
        ), 400
    decision = services.self_lift(_me(), utcnow())
    if decision.allowed:
        flash("Restriction lifted. Invite only people who know you, and it won't come back.", "success")
        return redirect(url_for("invitations.overview"))
    flash(services.explain(decision), "error")
    return redirect(url_for("invitations.restriction"))


@bp.post("/restriction/request")
@login_required
def request_lift():
    """Ask support to lift a later restriction."""
    form = SupportRequestForm()
    if not form.validate_on_submit():
        return render_template(
            "invitations/restriction.html",
            invite_quota=services.quota_summary(_me(), utcnow()),
            lift_form=LiftForm(formdata=None),
            request_form=form,
        ), 400
    decision = services.request_support(_me(), "lift_restriction", form.message.data, utcnow())
    if decision.allowed:
        flash("Your request is with support. We'll lift the restriction once they've read it.", "success")
    else:
        flash(services.explain(decision), "error")
    return redirect(url_for("invitations.restriction"))


@bp.route("/more", methods=["GET", "POST"])
@login_required
def more():
    """Ask support for more invitations once the allotment is used up."""
    form = MoreInvitationsForm()
    if form.validate_on_submit():
        decision = services.request_support(_me(), "more_invitations", form.message.data, utcnow())
        if decision.allowed:
            flash("Your request is with support.", "success")
            return redirect(url_for("invitations.overview"))
        form.form_errors.append(services.explain(decision))
    return render_template("invitations/more.html", form=form,
                           invite_quota=services.quota_summary(_me(), utcnow()))
