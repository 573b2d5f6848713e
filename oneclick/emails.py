"""Every mail oneclick sends: one function per mail, given plain data; subject, body and links are built here.

Services decide *whether* a mail leaves and pass what it says (names, a signed token, a count); this module
renders ``templates/email/*.txt``, builds every link with ``urls.external_url`` and hands the message to
``mail.send_mail``. Nothing here needs a request, so a service mails the same from a view, the API, a CLI
command or a background task. A send failure raises; the caller decides whether that may lose anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app, render_template

from .mail import send_mail
from .urls import external_url


def send_activation(to: str, token: str) -> None:
    """Mail the link that activates a new account (no name: whoever registered typed it)."""
    url = external_url("auth.activate", token=token)
    send_mail(to, "Activate your oneclick account", render_template("email/activate.txt", url=url))


def send_already_registered(to: str, name: str, reason: str) -> None:
    """Tell an active account's owner that someone registered (``reason="register"``) or asked for activation."""
    subject = "Someone tried to register with your address" if reason == "register" else "Your oneclick account"
    text = render_template("email/already_registered.txt", name=name, reason=reason,
                           login_url=external_url("auth.login"), forgot_url=external_url("auth.forgot_password"))
    send_mail(to, subject, text)


def send_no_account(to: str, reason: str) -> None:
    """Answer a reset (``reason="reset"``) or activation request for an address with no account waiting."""
    text = render_template("email/no_account.txt", reason=reason, register_url=external_url("auth.register"))
    send_mail(to, "Your oneclick request", text)


def send_account_deleted(to: str, name: str, deleted_at) -> None:
    """Mail the receipt of an account deletion (queued in the deletion's transaction: both happen, or neither)."""
    text = render_template("email/account_deleted.txt", name=name, email=to,
                           when=deleted_at.strftime("%-d %B %Y, %H:%M UTC"), register_url=external_url("auth.register"))
    send_mail(to, "Your oneclick account was deleted", text)


def send_password_reset(to: str, name: str, token: str) -> None:
    """Mail a single-use password reset link."""
    text = render_template("email/password_reset.txt", name=name, url=external_url("auth.reset_password", token=token),
                           minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60)
    send_mail(to, "Choose a new oneclick password", text)


def send_guest_confirmation(to: str, owner_name: str, token: str) -> None:
    """Mail a guest the link that confirms their address and sends their request to ``owner_name``."""
    days = max(1, int(current_app.config["GUEST_CONFIRM_MAX_AGE"]) // 86400)
    from .tokens import sign_guest_access

    text = render_template("email/guest_confirm.txt", owner_name=owner_name, days=days,
                           url=external_url("inbox.confirm", token=token),
                           manage_url=external_url("privacy.guest", token=sign_guest_access(to)))
    send_mail(to, f"Confirm your request to connect with {owner_name}", text)


def send_new_request(to: str, owner_name: str, name: str, email: str, note: str, link_label: str,
                     auto: bool) -> None:
    """Tell an owner with instant notifications about one new (or auto-accepted) request."""
    subject = f"{name} connected with you" if auto else f"{name} wants to connect with you"
    text = render_template("email/new_request.txt", owner_name=owner_name, name=name, email=email, note=note,
                           link_label=link_label, auto=auto, inbox_url=external_url("inbox.inbox"))
    send_mail(to, subject, text)


def send_digest(to: str, owner_name: str, rows: Sequence, total: int, key: str | None = None) -> None:
    """Mail the daily digest: ``total`` new requests, the newest ``rows`` (name, requester_email, note, label).
    ``key``: the digest's idempotency key (one mail per owner and window, however many runs)."""
    text = render_template("email/request_digest.txt", owner_name=owner_name, rows=rows, total=total,
                           inbox_url=external_url("inbox.inbox"))
    send_mail(to, f"{total} new connection request{'s' if total != 1 else ''}", text, key=key)


def send_invitation(to: str, sender_name: str, recipient_name: str, message: str, member: bool) -> None:
    """Mail an invitation: to a member's inbox of invitations, or to register first (``member=False``)."""
    url = external_url("invitations.received" if member else "auth.register")
    text = render_template("email/invitation.txt", sender_name=sender_name, recipient_name=recipient_name,
                           recipient_email=to, message=message, member=member, url=url)
    send_mail(to, f"{' '.join(sender_name.split())} invites you to connect on oneclick", text)


def send_request_accepted(to: str, owner_name: str, member: bool, card: Sequence = ()) -> None:
    """Tell a requester (a member at their verified address, or a guest at the address they confirmed) that
    ``owner_name`` accepted their request, with the card fields the owner's link shares (``card``: (label, value)
    pairs). Never sent for a declined request, so it tells nothing else."""
    url = external_url("inbox.connections" if member else "auth.register")
    text = render_template("email/request_accepted.txt", owner_name=owner_name, member=member, url=url, card=card)
    send_mail(to, f"{' '.join(owner_name.split())} accepted your request to connect", text)


def send_link_warning(to: str, owner_name: str, link_id: int, label: str, warning: str) -> None:
    """Warn an owner once that one of their links will soon stop working (``warning``: "Expires in 20 hours",
    "8 of 10 requests used")."""
    text = render_template("email/link_warning.txt", owner_name=owner_name, label=label, warning=warning,
                           url=external_url("links.detail", link_id=link_id))
    send_mail(to, f'Your link "{label}": {warning[:1].lower()}{warning[1:]}', text)


def send_webhook_disabled(to: str, owner_name: str, url: str, endpoint_id: int, failing_since) -> None:
    """Tell a member their webhook endpoint was disabled after failing since ``failing_since``."""
    text = render_template("email/webhook_disabled.txt", owner_name=owner_name, url=url, failing_since=failing_since,
                           page=external_url("webhooks.detail", endpoint_id=endpoint_id))
    send_mail(to, "Your webhook endpoint was disabled", text)
